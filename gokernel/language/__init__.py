"""Completion and inspection from gopls, for kernel.py's complete_request and inspect_request.

`complete(session, code, cursor_pos)` and `inspect(...)` answer from gopls or return None, and the kernel
then falls back to its own std/`go doc` answers. gopls starts on the first request, on a thread of its own
(found, or installed once per machine), so an idle kernel never runs it and no request waits for it: each
request is bounded by REQUEST_BUDGET seconds in all, start-up included.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import magics
from ..toolchains import NoToolchainError, Toolchain, UnknownToolchainError
from . import gopls
from .completion import complete_reply, inspect_reply
from .lsp import LspError
from .server import GoplsServer
from .view import LiveValue, View, compose_view, offset_to_position, utf16_column

if TYPE_CHECKING:
    from ..executor import GoSession

# Imported (blank) by every view from the start, so that a cell's first use of one of them costs gopls no
# metadata reload; loaded while gopls warms up, in the background.
WARM_STD = (
    "bufio", "bytes", "context", "encoding/json", "errors", "fmt", "io", "maps", "math", "math/rand/v2", "os",
    "regexp", "slices", "sort", "strconv", "strings", "sync", "sync/atomic", "testing", "time", "unicode",
)  # fmt: skip
START_TIMEOUT = 120.0  # initialize + loading the workspace (std type-checked) on a cold machine
MAX_STARTS = 3  # a gopls that keeps dying is given up on for this kernel


def request_budget() -> float:
    """Seconds one completion/inspect request may spend on gopls: $GOKERNEL_COMPLETION_TIMEOUT, default 2."""
    try:
        return max(0.05, float(os.environ.get("GOKERNEL_COMPLETION_TIMEOUT") or 2.0))
    except ValueError:
        return 2.0


def _say(text: str) -> None:
    # The kernel's stderr goes to the Jupyter server's log; a completion reply has no place for notices.
    print(text, file=sys.__stderr__, flush=True)


class LanguageService:
    """The gopls of one kernel, started on first use; every method is called from the kernel's thread."""

    def __init__(self, session: GoSession, say: Callable[[str], None] = _say) -> None:
        self.session = session
        self.say = say
        self.server: GoplsServer | None = None
        self.state = "idle"  # idle | starting | ready | unavailable
        self.reason = ""
        self._ready = threading.Event()
        self._starts = 0
        self._installing = False
        self._paths: set[str] = set(WARM_STD)  # import paths every view keeps (see compose_view)
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    # ---- lifecycle ---------------------------------------------------------------------------------
    def _run_worker(self) -> None:
        # One thread for the kernel's lifetime: gopls is spawned from it, and its parent-death signal fires
        # when the thread that forked it ends, so that thread must live as long as the kernel.
        while True:
            job = self._jobs.get()
            try:
                job()
            except LspError as e:
                # gopls died or did not load the workspace in time: the next request may start it again.
                self._drop_server(f"gopls failed to start: {e}")
            except Exception as e:  # noqa: BLE001 - a failed start must leave the kernel's fallback working
                self._drop_server()
                self._set_unavailable(f"gopls failed to start: {e}")

    def _drop_server(self, reason: str = "") -> None:
        with self._lock:
            server, self.server = self.server, None
            if reason and self.state == "starting":
                self.state, self.reason = "idle", reason
        if server is not None:
            server.stop()
        if reason:
            self.say(f"gokernel: {reason}")
            self._ready.set()

    def _set_unavailable(self, reason: str) -> None:
        with self._lock:
            self.state = "unavailable"
            self.reason = reason
        self.say(f"gokernel: completion without gopls: {reason}")
        self._ready.set()

    def _start(self, tc: Toolchain, env: dict[str, str], scratch_root: Path, initial: str) -> None:
        binary = _explicit_gopls()
        if binary is None:
            binary = gopls.find(tc, env)
        if binary is None:
            if self.session.toolchains.offline:
                self._set_unavailable("gopls is not installed and offline mode is on (no install)")
                return
            self._installing = True  # minutes: requests meanwhile fall back at once instead of waiting
            try:
                binary = gopls.install(tc, env, self.say)
            finally:
                self._installing = False
        server = GoplsServer(binary, tc, gopls.server_env(env), scratch_root)
        with self._lock:
            if self.state != "starting":  # shut down meanwhile
                server.stop()
                return
            self.server = server
        server.initialize(START_TIMEOUT)
        server.sync(initial)
        # Loading the workspace and type-checking std's dependencies happens on the first request: do it now,
        # on this thread, so the user's first completions are warm.
        line = initial.count("\n") - 1
        server.request("textDocument/completion", line, 0, START_TIMEOUT)
        with self._lock:
            if self.state == "starting":
                self.state = "ready"
        self._ready.set()

    def _ensure(self, tc: Toolchain, env: dict[str, str], budget_end: float) -> GoplsServer | None:
        with self._lock:
            if self.server is not None and (self.server.tc.id != tc.id or not self.server.alive):
                # A toolchain switch (gopls runs with its GOROOT), or gopls died: start again.
                self.server.stop()
                self.server = None
                self.state = "idle"
            if self.state == "unavailable":
                return None
            if self.state == "idle":
                if self._starts >= MAX_STARTS:
                    self.state, self.reason = "unavailable", "gopls kept exiting"
                    return None
                self._starts += 1
                self.state = "starting"
                self._ready.clear()
                scratch = self.session.scratch
                if not scratch.gomod.exists():  # the pre-warm creates it; a completion may come first
                    scratch.ensure_gomod(tc.version)
                    scratch.ensure_display_package()
                initial = self._view("", 0, tc, env).text
                self._jobs.put(lambda: self._start(tc, env, scratch.root, initial))
                if self._worker is None:
                    self._worker = threading.Thread(target=self._run_worker, name="gokernel-gopls", daemon=True)
                    self._worker.start()
        if not self._installing:
            self._ready.wait(max(0.0, budget_end - time.monotonic()))
        with self._lock:
            return self.server if self.state == "ready" else None

    def shutdown(self) -> None:
        with self._lock:
            server, self.server = self.server, None
            self.state = "unavailable"
            self.reason = "the kernel is shutting down"
        if server is not None:
            server.stop()

    # ---- requests ------------------------------------------------------------------------------------
    def _view(self, code: str, cursor_line: int, tc: Toolchain, env: dict[str, str]) -> View:
        values = [LiveValue(v.name, v.type, v.imports) for v in self.session.live.variables()]
        std = self.session.std_packages(tc, env)
        view = compose_view(code, cursor_line, self.session.store, values, std, self._paths)
        # Only paths known to resolve: not the half-typed import line of the cell being edited.
        known = set(std.values()) | {i.imp.path for i in self.session.store.imports}
        self._paths |= view.paths & (known | {p for v in values for p in v.imports.values()})
        return view

    def _at(self, code: str, offset: int, method: str, **extra: Any) -> tuple[Any, str, View] | None:
        """Send `method` for the cell position `offset`; (result, Go source, view) or None."""
        budget_end = time.monotonic() + request_budget()
        try:
            tc = self.session.toolchain()
            env = self.session.environ()
        except (NoToolchainError, UnknownToolchainError):
            return None
        server = self._ensure(tc, env, budget_end)
        if server is None:
            return None
        source = magics.go_source(code)
        line, column = offset_to_position(source, offset)
        view = self._view(source, line, tc, env)
        pos = view.to_view(line, column)
        if pos is None:
            return None
        view_line = view.text.split("\n")[pos[0]]
        try:
            server.sync(view.text)
            remaining = budget_end - time.monotonic()
            if remaining <= 0:
                return None
            result = server.request(method, pos[0], utf16_column(view_line, pos[1]), remaining, **extra)
        except LspError:
            return None
        return result, source, view

    def complete(self, code: str, cursor_pos: int) -> dict[str, Any] | None:
        line_start = code.rfind("\n", 0, cursor_pos) + 1
        if code[line_start:cursor_pos].lstrip().startswith(("%", "!")):
            return None  # magics and shell lines are the kernel's own
        answer = self._at(code, cursor_pos, "textDocument/completion")
        if answer is None:
            return None
        result, source, view = answer
        return complete_reply(result, source, view, cursor_pos)

    def inspect(self, code: str, cursor_pos: int) -> dict[str, Any] | None:
        offset = hover_offset(code, cursor_pos)
        if offset is None:
            return None
        answer = self._at(code, offset, "textDocument/hover")
        return inspect_reply(answer[0]) if answer is not None else None


def _explicit_gopls() -> Path | None:
    """$GOKERNEL_GOPLS: the gopls to use; when it is not an executable, gopls is off (no search, no install)."""
    value = os.environ.get("GOKERNEL_GOPLS")
    if not value:
        return None
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(f"GOKERNEL_GOPLS={value} is not an executable")
    return path


def _is_ident(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def hover_offset(code: str, pos: int) -> int | None:
    """Where to hover for Shift+Tab at `pos`: the identifier under or just before the cursor, else the
    function of the call whose arguments the cursor is in (`strings.Split(s, |`)."""
    pos = max(0, min(pos, len(code)))
    if pos < len(code) and _is_ident(code[pos]):
        return pos
    if pos > 0 and _is_ident(code[pos - 1]):
        return pos - 1
    depth = 0
    i = pos - 1
    while i >= 0 and pos - i < 2000:  # far enough for a long call, bounded for a huge cell
        ch = code[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            if depth == 0:
                if ch != "(":
                    return None
                j = i - 1
                while j >= 0 and code[j] in " \t":
                    j -= 1
                return j if j >= 0 and _is_ident(code[j]) else None
            depth -= 1
        i -= 1
    return None


_SERVICES: weakref.WeakKeyDictionary[GoSession, LanguageService] = weakref.WeakKeyDictionary()


def service(session: GoSession) -> LanguageService:
    svc = _SERVICES.get(session)
    if svc is None:
        svc = _SERVICES[session] = LanguageService(session)
    return svc


def complete(session: GoSession, code: str, cursor_pos: int) -> dict[str, Any] | None:
    return service(session).complete(code, cursor_pos)


def inspect(session: GoSession, code: str, cursor_pos: int) -> dict[str, Any] | None:
    return service(session).inspect(code, cursor_pos)


def shutdown(session: GoSession) -> None:
    svc = _SERVICES.get(session)
    if svc is not None:
        svc.shutdown()
