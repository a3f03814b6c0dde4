"""A small JSON-RPC client for a language server speaking LSP over stdio.

One reader thread owns the server's stdout and hands each response to the request waiting for it, so a
request can give up after its timeout (and cancel) without leaving the stream half read. Requests from the
server (configuration, progress tokens, capability registration) get empty answers: the kernel needs none
of those features. Notifications are kept only for diagnostics.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import IO, Any

_PR_SET_PDEATHSIG = 1
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
except OSError:
    _LIBC = None


class LspError(Exception):
    """The server is gone, answered with an error, or did not answer in time."""


class LspTimeout(LspError):
    pass


def _child_setup() -> None:
    # Dies with the kernel even when the kernel is SIGKILLed (jupyter's shutdown_kernel(now=True)); its own
    # process group (start_new_session) keeps the kernel's interrupts (SIGINT to the group) away from it.
    # Without PDEATHSIG (macOS) gopls still exits once its stdin closes with the kernel.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: dict[str, Any] | None = None


class LspClient:
    """A started language server process; `request`/`notify` are safe from any thread."""

    def __init__(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> None:
        # PR_SET_PDEATHSIG fires when the *thread* that forked exits: callers spawn from a long-lived thread.
        self.proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_child_setup,
        )
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._next_id = 0
        self._closed = False
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}  # uri -> the last published diagnostics
        self._reader = threading.Thread(target=self._read_loop, name="gokernel-lsp-reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._closed and self.proc.poll() is None

    # ---- sending -----------------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        data = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        stdin = self.proc.stdin
        if stdin is None or not self.alive:
            raise LspError("the language server is not running")
        try:
            with self._write_lock:
                stdin.write(data)
                stdin.flush()
        except (OSError, ValueError) as e:
            raise LspError(f"the language server is not running: {e}") from e

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float) -> Any:
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            pending = self._pending[rid] = _Pending()
        try:
            self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
            if not pending.done.wait(timeout):
                # The server keeps working on it otherwise, delaying the next request.
                with contextlib.suppress(LspError):
                    self.notify("$/cancelRequest", {"id": rid})
                raise LspTimeout(f"{method}: no answer within {timeout:g} s")
        finally:
            with self._lock:
                self._pending.pop(rid, None)
        if pending.error is not None:
            raise LspError(f"{method}: {pending.error.get('message', pending.error)}")
        return pending.result

    # ---- receiving ---------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while (message := _read_message(stdout)) is not None:
                self._dispatch(message)
        except (OSError, ValueError):
            pass
        finally:
            self._closed = True
            with self._lock:
                for p in self._pending.values():
                    p.error = {"message": "the language server exited"}
                    p.done.set()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:  # a request from the server
                self._answer_server_request(message)
            elif message["method"] == "textDocument/publishDiagnostics":
                params = message.get("params") or {}
                self.diagnostics[params.get("uri", "")] = params.get("diagnostics") or []
            return
        with self._lock:
            pending = self._pending.get(message.get("id", -1))
        if pending is not None:
            pending.result = message.get("result")
            pending.error = message.get("error")
            pending.done.set()

    def _answer_server_request(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "workspace/configuration":
            # One settings object per requested section; empty means gopls's defaults.
            items = (message.get("params") or {}).get("items") or []
            result = [{} for _ in items]
        with contextlib.suppress(LspError):
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    # ---- stopping ----------------------------------------------------------------------------------
    def kill(self) -> None:
        """Stop the server and everything it started (its `go list` children share its process group)."""
        self._closed = True
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _read_message(stream: IO[bytes]) -> dict[str, Any] | None:
    """One `Content-Length` framed JSON message; None at end of stream."""
    length = -1
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length < 0:
        raise ValueError("LSP message without Content-Length")
    body = stream.read(length)
    if len(body) < length:
        return None
    message: dict[str, Any] = json.loads(body)
    return message
