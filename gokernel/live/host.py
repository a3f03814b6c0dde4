"""The host process of a live session, seen from the kernel.

One reader thread owns the host's stdout, stderr and side channel (fd 3) for the whole session and hands
what arrives to the current `Sink`: the running cell's output while a cell runs, the last cell's otherwise
(a goroutine may print at any time). Commands go to the host on fd 4. Completion, results and the host's
exit reach the cell's thread through a queue, in the order the host produced them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import select
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .. import runner
from ..fresh import too_large_notice
from ..linemap import CellFileMap
from ..streams import Coalescer, StderrFilter, display_bundle

READ_SIZE = 1 << 16


class Sink(Protocol):
    def stdout(self, text: str) -> None: ...
    def stderr(self, text: str) -> None: ...
    def display(self, bundle: dict[str, Any]) -> None: ...


class NullSink:
    def stdout(self, text: str) -> None:
        pass

    def stderr(self, text: str) -> None:
        pass

    def display(self, bundle: dict[str, Any]) -> None:
        pass


@dataclass
class Event:
    kind: str  # "ready" | "result" | "done" | "exit"
    payload: str = ""
    returncode: int | None = None


def _high_fd(fd: int) -> int:
    return fcntl.fcntl(fd, fcntl.F_DUPFD, 10)


class HostProcess:
    def __init__(self, binary: Path, *, cwd: str, env: Mapping[str, str], display_limit: int | None = None) -> None:
        side_r, side_w = os.pipe()
        cmd_r, cmd_w = os.pipe()

        def preexec() -> None:
            runner._child_setup()
            # Move both ends out of the way first: dup2 onto 3 must not clobber the fd that becomes 4.
            s, c = _high_fd(side_w), _high_fd(cmd_r)
            os.dup2(s, 3)
            os.dup2(c, 4)
            # Only fds 3 and 4 may remain: a cell that closes fd 3 must close the channel for real.
            for fd in {s, c, side_w, cmd_r, side_r, cmd_w} - {3, 4}:
                with contextlib.suppress(OSError):
                    os.close(fd)

        # Every process a cell starts carries the session's token, so none escapes the session's end (Setsid).
        self.processes = runner.RunProcesses()
        self.display_limit = display_limit
        self.proc = subprocess.Popen(
            [str(binary)],
            cwd=cwd,
            env=self.processes.environ(env),
            stdin=subprocess.DEVNULL,  # each cell gets its own stdin pipe inside the host
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=preexec,
            close_fds=False,
        )
        self.processes.track(self.proc.pid)
        os.close(side_w)
        os.close(cmd_r)
        self._side = side_r
        self._cmd = cmd_w
        self.events: queue.Queue[Event] = queue.Queue()
        self._lock = threading.Lock()
        self._sink: Sink = NullSink()
        self.stderr_filter = StderrFilter(CellFileMap(), self._stderr)
        self.alive = True
        self._reader = threading.Thread(target=self._read, name="gokernel-live-host", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # ---- output routing ------------------------------------------------------------------------
    def set_sink(self, sink: Sink) -> None:
        with self._lock:
            self._sink = sink

    def _stdout(self, text: str) -> None:
        with self._lock:
            sink = self._sink
        sink.stdout(text)

    def _stderr(self, text: str) -> None:
        with self._lock:
            sink = self._sink
        sink.stderr(text)

    def _display(self, bundle: dict[str, Any]) -> None:
        with self._lock:
            sink = self._sink
        sink.display(bundle)

    def _read(self) -> None:
        assert self.proc.stdout and self.proc.stderr
        out_fd, err_fd = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        decoders = {out_fd: runner._Decoder(), err_fd: runner._Decoder()}
        records = runner.SideChannelReader(limit=self.display_limit)
        # A flood of short writes must become few messages (one per line lost most of them in the frontend).
        batched = {out_fd: Coalescer(self._stdout), err_fd: Coalescer(self.stderr_filter.feed)}
        sel = selectors.DefaultSelector()
        for fd in (out_fd, err_fd, self._side):
            sel.register(fd, selectors.EVENT_READ)
        open_fds = {out_fd, err_fd, self._side}

        def text(fd: int, data: bytes) -> None:
            decoded = decoders[fd](data)
            if decoded:
                batched[fd].feed(decoded)

        def flush() -> None:
            for coalescer in batched.values():
                coalescer.flush()

        def drain() -> None:
            # What the cell wrote before it reported completion is already in the pipes: show it first.
            for fd in (out_fd, err_fd):
                if fd not in open_fds:
                    continue
                for _ in range(256):
                    if not select.select([fd], [], [], 0)[0]:
                        break
                    data = os.read(fd, READ_SIZE)
                    if not data:
                        break
                    text(fd, data)

        try:
            while open_fds:
                due = [d for d in (c.due() for c in batched.values()) if d is not None]
                wait = min([0.5, *(max(d - time.monotonic(), 0.0) for d in due)])
                for key, _ in sel.select(wait):
                    fd = int(key.fd)
                    try:
                        data = os.read(fd, READ_SIZE)
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(fd)
                        open_fds.discard(fd)
                        if fd == self._side and not self._exits_soon():
                            # The program closed fd 3 (or 4): the host can no longer report, the session is
                            # unusable. End it rather than leave the cell waiting for a report that never comes.
                            self.stderr_filter.feed("fatal error: the cell closed the kernel's channel (fd 3)\n")
                            with contextlib.suppress(ProcessLookupError, PermissionError):
                                os.killpg(self.proc.pid, signal.SIGKILL)
                        continue
                    if fd != self._side:
                        text(fd, data)
                        continue
                    for tag, payload in records.feed(data):
                        if tag == runner.SideChannelReader.TOO_LARGE:
                            flush()
                            self._stderr(too_large_notice(payload, self.display_limit or 0))
                        elif tag == "display":
                            bundle = display_bundle(payload)
                            if bundle:
                                self._display(bundle)
                        elif tag == "done":
                            drain()
                            flush()
                            self.events.put(Event("done", payload))
                        elif tag in ("result", "ready"):
                            self.events.put(Event(tag, payload))
                for coalescer in batched.values():
                    coalescer.tick()
        finally:
            sel.close()
            flush()
            self.stderr_filter.close()
            code = self.proc.wait()
            self.alive = False
            with contextlib.suppress(OSError):
                os.close(self._side)
            self.events.put(Event("exit", returncode=code))

    def _exits_soon(self) -> bool:
        """An exiting process closes fd 3 too: tell that apart from a cell that closed it and lives on."""
        try:
            self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return False
        return True

    # ---- commands ------------------------------------------------------------------------------
    def send(self, command: dict[str, Any]) -> bool:
        try:
            os.write(self._cmd, (json.dumps(command) + "\n").encode())
            return True
        except OSError:
            return False

    def run(self, cell_id: int, plugin: Path) -> bool:
        return self.send({"op": "run", "id": cell_id, "path": str(plugin)})

    def setenv(self, key: str, value: str) -> bool:
        return self.send({"op": "setenv", "key": key, "data": value})

    def interrupt(self) -> bool:
        return self.send({"op": "interrupt"})

    def write_stdin(self, line: str | None) -> None:
        """A line for the running cell; None ends its input (the next cell gets a new stdin)."""
        self.send({"op": "eof"} if line is None else {"op": "stdin", "data": line + "\n"})

    def waiting_for_stdin(self) -> bool:
        return self.alive and runner.waiting_for_stdin(self.proc.pid)

    def stop(self) -> None:
        """End the session: its goroutines, servers and children go with the process group."""
        with contextlib.suppress(OSError):
            os.close(self._cmd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.processes.kill_all()  # children that left the process group (Setsid) too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
