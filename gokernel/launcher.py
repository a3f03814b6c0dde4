"""Launching the kernel (`python -m gokernel -f CONNECTION_FILE`, the kernelspec's argv), replying early.

A frontend waits for the kernel_info reply after a start. ipykernel's IPKernelApp needs ~0.3 s of imports and
set-up before it can send one (IPython, jupyter_client, tornado, asyncio, ...), none of it needed for that reply.
So the launcher first binds the shell and IOPub sockets of the connection file (pyzmq only) and answers
kernel_info_requests from a thread (status busy, reply, status idle, signed with the connection's key, as
ipykernel does; new IOPub subscribers get ipykernel 7's iopub_welcome) while the main thread imports and sets up
IPKernelApp. IPKernelApp then takes over the same bound sockets (gokernel.kernel.GoKernelApp): from there on the
kernel is ipykernel's, as before.

Nothing is lost or reordered: the first shell message that is not a kernel_info_request stops the early replies;
the kernel handles that message first, then everything after it (GoKernel.start). Control, stdin and heartbeat
are bound by IPKernelApp itself; what a client sends there meanwhile waits in ZeroMQ's queues.

The early reply is only used for what the kernelspec starts (`-f FILE` alone, an HMAC key, tcp or ipc, no
CurveZMQ) and with an ipykernel that has the shell-channel thread (7.x); anything else, GOKERNEL_EARLY_REPLY=0,
or a failure here starts IPKernelApp the ordinary way.
"""

from __future__ import annotations

# Only what the early reply needs, and cheap to import (no pathlib, datetime, uuid: ~10 ms here together).
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from .kernelinfo import MESSAGE_PROTOCOL_VERSION, default_go_version, language_info, reply_content

if TYPE_CHECKING:
    import zmq

DELIM = b"<IDS|MSG>"


def launch(argv: list[str]) -> None:
    # Interrupts are for cells (the kernel handles SIGINT while one runs); until IPKernelApp ignores it too, an
    # early interrupt must not end a kernel that is still loading.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    front = EarlyReplies.start(argv)
    from .kernel import GoKernel, GoKernelApp

    GoKernelApp.launch_instance(argv=argv, kernel_class=GoKernel, early_replies=front)


def connection_file_of(argv: list[str]) -> str | None:
    """The connection file when argv is exactly what the kernelspec passes (`-f FILE`), else None."""
    if len(argv) == 2 and argv[0] == "-f":
        return argv[1]
    return None


class EarlyReplies:
    """The shell and IOPub sockets, bound before ipykernel is imported, answering kernel_info_requests."""

    def __init__(self, info: dict[str, Any]) -> None:
        import zmq

        self.session_id = _uuid4()
        self.username = os.environ.get("USER", "username")  # jupyter_client.session.Session's default
        self.key = str(info.get("key", "")).encode()
        scheme = str(info.get("signature_scheme", "hmac-sha256"))
        self.digest = getattr(hashlib, scheme.removeprefix("hmac-"))
        self.topic = f"kernel.{_uuid4()}.status".encode()
        self.content: dict[str, Any] = {}
        self.answered = 0  # kernel_info_requests answered here
        self.held: list[list[bytes]] = []  # the first other shell message, for the kernel
        self._count = 0

        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.ROUTER)
        self.iopub = self.context.socket(zmq.XPUB)
        self._wake_send = self.context.socket(zmq.PAIR)
        self._wake_recv = self.context.socket(zmq.PAIR)
        try:
            for s in (self.shell, self.iopub):
                s.linger = 1000
            if hasattr(zmq, "ROUTER_HANDOVER"):  # as IPKernelApp sets it (ipython/ipykernel#270)
                self.shell.router_handover = 1
            self.shell.bind(_endpoint(info, int(info["shell_port"])))
            self.iopub.bind(_endpoint(info, int(info["iopub_port"])))
            endpoint = f"inproc://gokernel-early-{id(self)}"
            self._wake_recv.bind(endpoint)
            self._wake_send.connect(endpoint)
            # Bound: clients connect now (ZeroMQ's I/O thread) while the reply is put together; requests wait.
            # ipykernel 7 (the only one used with early replies) has subshells; GoKernel has no Python debugger.
            lang = language_info(default_go_version())
            self.content = {"status": "ok", **reply_content(lang, ["kernel subshells"])}
        except BaseException:
            self.close()  # unbound again, for IPKernelApp
            raise
        self._publish("starting", {})  # what ipykernel's Kernel.start says (GoKernel does not repeat it)
        self._thread = threading.Thread(target=self._serve, name="gokernel-early-replies", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, argv: list[str]) -> EarlyReplies | None:
        """Bind and start answering, or None when the kernel should start the ordinary way (see the module doc)."""
        path = connection_file_of(argv)
        if path is None or os.environ.get("GOKERNEL_EARLY_REPLY", "1") == "0" or not _ipykernel_has_shell_thread():
            return None
        try:
            with open(path, encoding="utf-8") as f:
                info = json.load(f)
            usable = (
                info.get("transport", "tcp") in ("tcp", "ipc")
                and str(info.get("signature_scheme", "hmac-sha256")).startswith("hmac-")
                and not info.get("curve_secretkey")
                and int(info.get("shell_port") or 0) > 0
                and int(info.get("iopub_port") or 0) > 0
            )
            if not usable:
                return None
            return cls(info)
        except Exception as e:  # noqa: BLE001 - unreadable file, port taken, ...: IPKernelApp will say what is wrong
            print(f"gokernel: no early kernel_info reply ({type(e).__name__}: {e})", file=sys.stderr)
            return None

    def stop(self) -> list[list[bytes]]:
        """Stop answering (the sockets now belong to the caller's thread); return the message(s) held back."""
        self._wake_send.send(b"")
        self._thread.join()
        self._wake_send.close(linger=0)
        self._wake_recv.close(linger=0)
        return self.held

    def close(self) -> None:
        for s in (self.shell, self.iopub, self._wake_send, self._wake_recv):
            s.close(linger=0)
        self.context.term()

    # ---- the thread --------------------------------------------------------------------------
    def _serve(self) -> None:
        import zmq

        poller = zmq.Poller()
        poller.register(self.shell, zmq.POLLIN)
        poller.register(self.iopub, zmq.POLLIN)
        poller.register(self._wake_recv, zmq.POLLIN)
        while True:
            ready = dict(poller.poll())
            if self._wake_recv in ready:
                self._wake_recv.recv()
                return
            if self.iopub in ready:
                self._welcome(self.iopub.recv_multipart())
            if self.shell in ready:
                frames = self.shell.recv_multipart()
                if not self._answer(frames):
                    # Not ours: the kernel handles it, then what follows it, so nothing overtakes it.
                    self.held.append(frames)
                    poller.unregister(self.shell)

    def _answer(self, frames: list[bytes]) -> bool:
        """Reply to a valid kernel_info_request for the main shell; False for any other message."""
        try:
            i = frames.index(DELIM)
            signature, header, parent, metadata, content = frames[i + 1 : i + 6]
            if not hmac.compare_digest(signature, self._sign([header, parent, metadata, content])):
                return False
            request = json.loads(header)
            if request.get("msg_type") != "kernel_info_request" or request.get("subshell_id") is not None:
                return False
        except (ValueError, TypeError):  # malformed: the kernel's Session says so
            return False
        self._publish("busy", request)
        self._send(self.shell, frames[:i], "kernel_info_reply", self.content, request)
        self._publish("idle", request)
        self.answered += 1
        return True

    def _welcome(self, frames: list[bytes]) -> None:
        """ipykernel 7's IOPubThread greets each new IOPub subscription with an iopub_welcome message (JEP 65);
        until it runs, the same greeting from here, so a client gets it on subscribing, not once ipykernel is up."""
        for frame in frames:
            if frame[:1] == b"\x01":  # subscribe (b"\x00": unsubscribe)
                topic = frame[1:]
                idents = [topic] if topic else []
                self._send(self.iopub, idents, "iopub_welcome", {"subscription": topic.decode("utf-8", "replace")}, {})

    def _publish(self, state: str, parent: dict[str, Any]) -> None:
        self._send(self.iopub, [self.topic], "status", {"execution_state": state}, parent)

    def _send(
        self, socket: zmq.Socket[Any], idents: list[bytes], msg_type: str, content: dict[str, Any], parent: Any
    ) -> None:
        """jupyter_client's wire format: idents, delimiter, HMAC, header, parent header, metadata, content."""
        self._count += 1
        header = {
            "msg_id": f"{self.session_id}_{os.getpid()}_{self._count}",
            "msg_type": msg_type,
            "username": self.username,
            "session": self.session_id,
            "date": _utcnow_iso(),
            "version": MESSAGE_PROTOCOL_VERSION,
        }
        parts = [_pack(header), _pack(parent), _pack({}), _pack(content)]
        socket.send_multipart([*idents, DELIM, self._sign(parts), *parts])

    def _sign(self, parts: list[bytes]) -> bytes:
        if not self.key:
            return b""
        h = hmac.new(self.key, digestmod=self.digest)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode()


def _uuid4() -> str:
    """A random (version 4) UUID, as `str(uuid.uuid4())` gives, without importing uuid."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _utcnow_iso() -> str:
    """As jupyter_client dates its headers: ISO 8601, microseconds, UTC as Z."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


def _pack(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf8", errors="surrogateescape")


def _endpoint(info: dict[str, Any], port: int) -> str:
    ip = info.get("ip", "127.0.0.1")
    if info.get("transport", "tcp") == "ipc":
        return f"ipc://{ip}-{port}"  # IPKernelApp's naming
    return f"tcp://{ip}:{port}"


def _ipykernel_has_shell_thread() -> bool:
    """ipykernel 7's shell-channel thread is what GoKernel.start hands the held message to; found without
    importing ipykernel (that import is what the early reply avoids)."""
    spec = find_spec("ipykernel")
    return bool(spec and spec.origin and os.path.isfile(os.path.join(os.path.dirname(spec.origin), "shellchannel.py")))
