"""The Jupyter side of gokernel: speaks the messaging protocol, delegates everything else.

Execution lives in executor.GoSession, parsing in cells/magics, rendering in render.

Start-up: the kernel_info reply is what a frontend waits for after a start, and it needs only the toolchain's
version. gokernel.launcher sends the first ones itself while ipykernel loads, then hands its sockets to
GoKernelApp (below). Everything else (the executor with tree-sitter, the live session, gopls glue, rendering:
~0.1 s of imports) is imported and built on first use, which is right after that reply (the pre-warm), so no
cell waits; the kernel state file is written from a thread (its fsync took 60 ms of the start).
"""

from __future__ import annotations

import atexit
import html
import os
import re
import subprocess
import threading
from typing import TYPE_CHECKING, Any

import zmq
from ipykernel._version import kernel_protocol_version  # what the base class implements
from ipykernel.iostream import IOPubThread
from ipykernel.kernelapp import IPKernelApp
from ipykernel.kernelbase import Kernel
from traitlets import Any as AnyTrait

from . import __version__, kernelinfo, kernelstate, toolchains
from .cellio import CellIO, CellOutcome, interrupted_outcome
from .history import History
from .toolchains import NoToolchainError, UnknownToolchainError

if TYPE_CHECKING:
    from .executor import GoSession
    from .launcher import EarlyReplies

GO_KEYWORDS = [
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
]
GO_BUILTINS = [
    "append",
    "cap",
    "clear",
    "close",
    "complex",
    "copy",
    "delete",
    "imag",
    "len",
    "make",
    "max",
    "min",
    "new",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "any",
    "bool",
    "byte",
    "comparable",
    "complex64",
    "complex128",
    "error",
    "float32",
    "float64",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "rune",
    "string",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "true",
    "false",
    "iota",
    "nil",
]
_IDENT_AT_END = re.compile(r"([A-Za-z_][A-Za-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_]*)?$")
_IDENT_AROUND = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class KernelIO(CellIO):
    """CellIO that publishes on IOPub for one execute_request."""

    def __init__(self, kernel: GoKernel, silent: bool, allow_stdin: bool) -> None:
        self.kernel = kernel
        self.silent = silent
        self.allow_stdin = allow_stdin
        self.last_result: str | None = None
        # Pinned: live-session goroutines may print after the cell ended, from another thread, while the
        # kernel's current parent is some later request (a completion); their output belongs to this cell.
        self.parent = kernel.get_parent()

    def _send(self, msg_type: str, content: dict[str, Any]) -> None:
        if not self.silent and self.kernel.session is not None:
            self.kernel.session.send(
                self.kernel.iopub_socket, msg_type, content, parent=self.parent, ident=self.kernel._topic(msg_type)
            )

    def stdout(self, text: str) -> None:
        self._send("stream", {"name": "stdout", "text": text})

    def stderr(self, text: str) -> None:
        self._send("stream", {"name": "stderr", "text": text})

    def display(self, bundle: dict[str, Any], *, display_id: str | None = None, update: bool = False) -> None:
        content: dict[str, Any] = {"data": bundle, "metadata": {}, "transient": {}}
        if display_id:
            content["transient"]["display_id"] = display_id
        self._send("update_display_data" if update else "display_data", content)

    def result(self, bundle: dict[str, Any]) -> None:
        self.last_result = bundle.get("text/plain")
        self._send("execute_result", {"execution_count": self.kernel.execution_count, "data": bundle, "metadata": {}})

    def input(self, prompt: str) -> str | None:
        if not self.allow_stdin:
            return None
        try:
            return self.kernel.raw_input(prompt)
        except (EOFError, KeyboardInterrupt):
            return None


class GoKernel(Kernel):
    implementation = kernelinfo.IMPLEMENTATION
    implementation_version = __version__
    language = "go"
    banner = kernelinfo.BANNER
    help_links = kernelinfo.HELP_LINKS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notebook = os.environ.get("JPY_SESSION_NAME")
        self._go: GoSession | None = None
        self._go_lock = threading.Lock()
        self.kernel_id = kernelstate.kernel_id_from_connection_file(self._connection_file())
        self.history = History()
        # Set by GoKernelApp when the launcher answered the first kernel_info_requests (gokernel.launcher).
        self.early_replies: EarlyReplies | None = None
        self._state_lock = threading.Lock()
        self._state_removed = False
        threading.Thread(target=self._write_state, name="gokernel-state", daemon=True).start()
        # The pre-warm `go build` competes for the CPU with the kernel's own start-up: begin it once the
        # client has its kernel_info reply (or after a few seconds for clients that never ask).
        timer = threading.Timer(3.0, lambda: self.go.prewarm())
        timer.daemon = True
        timer.start()

    @property
    def go(self) -> GoSession:
        """The notebook's Go session, built (and its modules imported) on first use, not at kernel start."""
        with self._go_lock:  # first used from the event loop or from the pre-warm timer thread
            if self._go is not None:
                return self._go
            from .executor import GoSession
            from .scratch import ScratchModule

            self._go = GoSession(ScratchModule.for_notebook(self.notebook), notebook=self.notebook)
        self._write_state()  # now with the scratch dir
        return self._go

    async def kernel_info_request(self, stream: Any, ident: Any, parent: Any) -> None:  # type: ignore[override]
        await super().kernel_info_request(stream, ident, parent)
        # The reply is out, but clients also wait for the idle status sent after this handler returns: build
        # the session (imports included) and warm the build cache on a thread, not here.
        self._start_session_thread()

    def _start_session_thread(self) -> None:
        threading.Thread(target=lambda: self.go.prewarm(), name="gokernel-session", daemon=True).start()

    def start(self) -> None:
        early = self.early_replies
        if early is not None and early.held:
            # The first shell message that was not a kernel_info_request, read by the launcher: handled first,
            # as the shell stream would have (it reads the next message only after this is queued).
            channel = self.shell_channel_thread
            _ = channel.manager  # created on this thread, as Kernel.start would, before the channel thread uses it
            for frames in early.held:
                channel.io_loop.add_callback(self.shell_channel_thread_main, [zmq.Frame(f) for f in frames])
        super().start()
        if early is not None and early.answered:
            self._start_session_thread()  # what kernel_info_request does after the reply the launcher sent

    def _publish_status(self, status: str, channel: str, parent: Any = None) -> None:
        if status == "starting" and self.early_replies is not None:
            # Said by the launcher before its replies; saying it now, after them, would show a ready kernel
            # as starting in JupyterLab until its next request.
            return
        super()._publish_status(status, channel, parent)

    def _connection_file(self) -> str:
        try:
            from ipykernel.kernelapp import IPKernelApp

            if IPKernelApp.initialized():
                return str(IPKernelApp.instance().connection_file)
        except Exception:  # noqa: BLE001 - an embedded kernel has no app; any id will do
            pass
        return f"kernel-{os.getpid()}.json"

    # ---- kernel_info -------------------------------------------------------------------------
    @property
    def language_info(self) -> dict[str, Any]:  # type: ignore[override]
        if self._go is None:  # before the first cell no %go use can have happened: the saved/default choice
            return kernelinfo.language_info(kernelinfo.default_go_version())
        try:
            version = self._go.toolchain().version.removeprefix("go")
        except (NoToolchainError, UnknownToolchainError):
            version = ""
        return kernelinfo.language_info(version)

    @property
    def kernel_info(self) -> dict[str, Any]:  # type: ignore[override]
        # Not super().kernel_info: it imports debugpy (~0.13 s of kernel start) only to advertise a Python
        # debugger, which this kernel does not have. The launcher's early reply says the same (kernelinfo).
        features = ["kernel subshells"] if getattr(self, "_supports_kernel_subshells", False) else []
        return kernelinfo.reply_content(self.language_info, features, kernel_protocol_version)

    def _write_state(self) -> None:
        with self._state_lock:  # from the start-up thread, the session's first use and each cell; newest wins
            if not self._state_removed:
                self._write_state_locked()

    def _write_state_locked(self) -> None:
        go = self._go  # at start-up (no session yet): the default toolchain, scratch dir filled in later
        tc = go.last_toolchain if go is not None else None
        if tc is None:
            try:
                tc = go.toolchain() if go is not None else toolchains.active()
            except (NoToolchainError, UnknownToolchainError):
                tc = None
        try:
            kernelstate.write(
                self.kernel_id,
                {
                    "notebook": self.notebook,
                    "toolchain_id": tc.id if tc else None,
                    "go_version": tc.version if tc else None,
                    "scratch": str(go.scratch.root) if go is not None else None,
                    "mode": go.current_mode if go is not None else None,
                    "project": go.project.file if go is not None and go.project else None,
                    # the notebook's own `%go use` (the sidebar marks it: it does not follow the default)
                    "override": go.toolchains.override if go is not None else None,
                },
            )
        except OSError as e:
            self.log.warning("gokernel: cannot write kernel state: %s", e)

    # ---- execute -----------------------------------------------------------------------------
    async def do_execute(  # type: ignore[override]
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        self._allow_stdin = allow_stdin  # ipykernel's raw_input checks this
        io = KernelIO(self, silent, allow_stdin)
        try:
            outcome = self.go.execute(code, self.execution_count, io)
        except KeyboardInterrupt:
            outcome = interrupted_outcome()
        except Exception as e:  # noqa: BLE001 - a kernel bug must not kill the kernel
            self.log.exception("gokernel internal error")
            outcome = CellOutcome.error("InternalError", f"{type(e).__name__}: {e}")
        self._write_state()
        if store_history and not silent:
            self.history.record(self.execution_count, code, io.last_result)
        if outcome.ok:
            return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}
        content = {"ename": outcome.ename, "evalue": outcome.evalue, "traceback": outcome.traceback}
        if not silent:
            self.send_response(self.iopub_socket, "error", content)
        return {"status": "error", "execution_count": self.execution_count, **content}

    # ---- is_complete / complete / inspect ----------------------------------------------------
    async def do_is_complete(self, code: str) -> dict[str, Any]:  # type: ignore[override]
        from . import cells, magics

        status = cells.is_complete(magics.go_source(code))
        reply: dict[str, Any] = {"status": status}
        if status == "incomplete":
            last = code.rstrip("\n").split("\n")[-1] if code.strip() else ""
            indent = re.match(r"\s*", last)
            reply["indent"] = (indent.group(0) if indent else "") + ("\t" if last.rstrip().endswith(("{", "(")) else "")
        return reply

    async def do_complete(self, code: str, cursor_pos: int) -> dict[str, Any]:  # type: ignore[override]
        # gopls (language/) when it answers within its budget, else the kernel's own names below.
        from . import language

        reply = language.complete(self.go, code, cursor_pos)
        return reply if reply is not None else self._basic_complete(code, cursor_pos)

    def _basic_complete(self, code: str, cursor_pos: int) -> dict[str, Any]:
        from .magics import CELL_MAGICS, LINE_MAGICS

        m = _IDENT_AT_END.search(code[:cursor_pos])
        prefix = m.group(2) or "" if m else ""
        qualifier = (m.group(1) or "") if m else ""
        start = cursor_pos - len(prefix)
        if qualifier:
            names = package_members(self, qualifier.rstrip("."))
        else:
            line_start = code.rfind("\n", 0, cursor_pos) + 1
            if code[line_start:cursor_pos].startswith("%%"):
                names = [f"%%{n}" for n in CELL_MAGICS]
            elif code[line_start:cursor_pos].startswith("%"):
                names = [f"%{n}" for n in LINE_MAGICS]
            else:
                names = sorted(
                    set(GO_KEYWORDS)
                    | set(GO_BUILTINS)
                    | set(self.go.store.names())
                    | {v.name for v in self.go.live.variables()}
                    | {i.imp.ident for i in self.go.store.imports if i.imp.ident not in ("_", ".")}
                    | set(self._std_names())
                )
            if code[line_start:cursor_pos].startswith("%"):
                prefix = code[line_start:cursor_pos]
                start = line_start
        matches = [n for n in names if n.startswith(prefix)]
        return {"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": cursor_pos, "metadata": {}}

    def _std_names(self) -> list[str]:
        tc = self.go.last_toolchain
        return list(self.go._std.get(tc.id, {})) if tc else []

    async def do_inspect(
        self, code: str, cursor_pos: int, detail_level: int = 0, omit_sections: Any = ()
    ) -> dict[str, Any]:  # type: ignore[override]
        from . import language

        reply = language.inspect(self.go, code, cursor_pos)
        if reply is not None:
            return reply
        word = word_at(code, cursor_pos)
        doc = go_doc(self, word) if word else ""
        if not doc:
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {
            "status": "ok",
            "found": True,
            "data": {"text/plain": doc, "text/html": f"<pre>{html.escape(doc)}</pre>"},
            "metadata": {},
        }

    async def do_history(  # type: ignore[override]
        self,
        hist_access_type: str,
        output: bool,
        raw: bool,
        session: int | None = None,
        start: int | None = None,
        stop: int | None = None,
        n: int | None = None,
        pattern: str | None = None,
        unique: bool = False,
    ) -> dict[str, Any]:
        if hist_access_type == "tail":
            items = self.history.tail(n or 10, output=output)
        elif hist_access_type == "range":
            items = self.history.range(start or 0, stop, output=output)
        elif hist_access_type == "search":
            items = self.history.search(pattern or "*", n=n, unique=unique, output=output)
        else:
            items = []
        return {"status": "ok", "history": items}

    async def do_shutdown(self, restart: bool) -> dict[str, Any]:  # type: ignore[override]
        if self._go is not None:  # a kernel that never ran a cell has no session (nor gopls) to stop
            from . import language

            language.shutdown(self._go)
            self._go.shutdown()
        with self._state_lock:
            self._state_removed = True
            kernelstate.remove(self.kernel_id)
        return {"status": "ok", "restart": restart}


class GoKernelApp(IPKernelApp):
    """IPKernelApp, adopting the shell and IOPub sockets the launcher bound and answered kernel_info on."""

    early_replies = AnyTrait(None, allow_none=True, help="gokernel.launcher.EarlyReplies, or None").tag(config=False)

    def init_sockets(self) -> None:
        early: EarlyReplies | None = self.early_replies
        if early is None:
            super().init_sockets()
            return
        early.stop()  # from here on its sockets are this app's, used as IPKernelApp.init_sockets would
        self.log.info("Starting the kernel at pid: %i", os.getpid())
        if self.transport == "tcp":  # IPKernelApp's warning (the early replies never run with CurveZMQ)
            self.log.warning(
                "Kernel is running over TCP without encryption. All communication (including code and outputs)"
                " is sent in plain text and is susceptible to eavesdropping."
            )
        self.context = context = early.context
        atexit.register(self.close)
        self.session.session = early.session_id  # one session id for the early replies and the kernel's
        self.shell_socket = early.shell
        self.stdin_socket = context.socket(zmq.ROUTER)
        self.stdin_socket.linger = 1000
        self.stdin_port = self._bind_socket(self.stdin_socket, self.stdin_port)
        if hasattr(zmq, "ROUTER_HANDOVER"):
            self.stdin_socket.router_handover = 1
        self.init_control(context)
        self.init_iopub(context)

    def init_iopub(self, context: Any) -> None:
        early: EarlyReplies | None = self.early_replies
        if early is None:
            super().init_iopub(context)
            return
        self.iopub_socket = early.iopub
        self.configure_tornado_logger()
        self.iopub_thread = IOPubThread(self.iopub_socket, pipe=True, session=self.session)
        self.iopub_thread.start()
        self.iopub_socket = self.iopub_thread.background_socket

    def init_kernel(self) -> None:
        super().init_kernel()
        self.kernel.early_replies = self.early_replies


def word_at(code: str, pos: int) -> str:
    for m in _IDENT_AROUND.finditer(code):
        if m.start() <= pos <= m.end():
            return m.group(0).strip(".")
    return ""


def go_doc(kernel: GoKernel, word: str) -> str:
    """`go doc` for a std symbol (`fmt.Println`) or a package; empty when unknown."""
    try:
        tc = kernel.go.toolchain()
        env = kernel.go.environ()
    except (NoToolchainError, UnknownToolchainError):
        return ""
    pkg, _, sym = word.partition(".")
    std = kernel.go.std_packages(tc, env)
    target = std.get(pkg, pkg) + (f".{sym}" if sym else "")
    try:
        out = subprocess.run(
            [tc.go, "doc", target], env=env, cwd=kernel.go.scratch.root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout if out.returncode == 0 else ""


_MEMBERS: dict[str, list[str]] = {}
_EXPORTED = re.compile(r"^(?:func|type|var|const)\s+(?:\([^)]*\)\s*)?([A-Z][A-Za-z0-9_]*)", re.MULTILINE)


def package_members(kernel: GoKernel, pkg: str) -> list[str]:
    """Exported names of an imported, std or `display` package (from `go doc -short`), cached per path."""
    try:
        tc = kernel.go.toolchain()
        env = kernel.go.environ()
        # The notebook's own imports (third-party modules too) first, then std and `display`.
        imported = {i.imp.ident: i.imp.path for i in kernel.go.store.imports}
        path = imported.get(pkg) or kernel.go.std_packages(tc, env).get(pkg)
        if path is None:
            return []
        if path not in _MEMBERS:
            out = subprocess.run(
                [tc.go, "doc", "-short", path],
                env=env,
                cwd=kernel.go.scratch.root,  # resolves the module's requirements and `scratch/display`
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
            if not out:
                return []  # not downloaded yet, or not built: try again next time
            _MEMBERS[path] = sorted(set(_EXPORTED.findall(out)))
    except (NoToolchainError, UnknownToolchainError, OSError, subprocess.SubprocessError):
        return []
    return _MEMBERS[path]
