"""Run go builds and the cell programs: own process group, streaming output, interrupt, stdin.

One loop serves every child (go build, the cell binary, go test -json): it multiplexes stdout,
stderr and the side channel (fd 3) with `selectors`, hands output to callbacks as soon as it
arrives, and on KeyboardInterrupt (the kernel's SIGINT) stops every process of the run: SIGINT,
then SIGTERM, then SIGKILL on one timer, so `for {}` loops, programs that ignore SIGINT and their
children (even in a session of their own) die too. The run ends when the program exits, not when its
pipes close, and no process of it outlives the run.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import os
import platform
import select
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .streams import Coalescer, OutputBudget

TERM_AFTER = 0.3  # seconds after the interrupt: SIGTERM to whatever of the run is left
KILL_AFTER = 0.6  # ... then SIGKILL
DRAIN_AFTER_EXIT = 0.3  # how long children may keep the pipes open after the program exited
TICK_SECONDS = 0.05
STDIN_SCAN_SECONDS = 0.2  # how often descendants are checked for a blocked read of the stdin pipe
RUN_ENV = "GOKERNEL_RUN"  # marks the processes of one run, so those that left its process tree are found
READ_SIZE = 1 << 16

# syscall number of read(2): a thread blocked in read(0, ...) means the program waits for stdin.
_READ_SYSCALL = {"x86_64": "0", "amd64": "0", "aarch64": "63", "arm64": "63"}.get(platform.machine().lower())


@dataclass
class ProcessResult:
    returncode: int | None
    interrupted: bool = False
    side_channel: bytes = b""
    stdout_bytes: int = 0
    truncated: bool = False
    elapsed: float = 0.0
    captured_stderr: str = ""
    captured_stdout: str = ""
    peak_rss: int = 0  # bytes, of the program (and the children it waited for); 0 when unknown
    oom_kills: int = 0  # OOM kills in the kernel's memory cgroup while it ran


TextCallback = Callable[[str], None]


_PR_SET_PDEATHSIG = 1
try:  # Linux: let a program die with the kernel even when the kernel is killed -9 (no chance to clean up).
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
except OSError:
    _LIBC = None


def _child_setup() -> None:
    # The kernel ignores SIGINT between messages; a child would inherit that and be unkillable by ^C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_CHILD_SUBREAPER = 36


def _run_child_setup() -> None:
    _child_setup()
    if _LIBC is not None:
        # The program adopts its orphaned descendants (kept across exec), so while it lives every process
        # it started, even a double fork, stays in its process tree where the kernel can find it.
        _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _blocked_reading(pid: int, wanted: Callable[[str], bool]) -> bool:
    """True when some thread of `pid` is blocked in read(2) on an fd whose /proc link satisfies `wanted`."""
    if _READ_SYSCALL is None:
        return False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                fields = f.read().split()
            if len(fields) >= 2 and fields[0] == _READ_SYSCALL and wanted(fields[1]):
                return True
        except (OSError, ValueError):
            continue
    return False


def waiting_for_stdin(pid: int) -> bool:
    """True when some thread of `pid` is blocked reading fd 0 (Linux /proc)."""
    return _blocked_reading(pid, lambda fd: int(fd, 16) == 0)


def reading_pipe(pid: int, inode: int) -> bool:
    """True when some thread of `pid` is blocked reading the pipe `inode` (through whatever fd it has)."""

    def is_pipe(fd: str) -> bool:
        return os.readlink(f"/proc/{pid}/fd/{int(fd, 16)}") == f"pipe:[{inode}]"

    return _blocked_reading(pid, is_pipe)


class _Stat(NamedTuple):
    ppid: int
    state: str  # R, S, D, Z (zombie), ...
    start: int  # clock ticks after boot


def _stat(pid: int | str) -> _Stat | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()  # the name before ")" may hold spaces
        return _Stat(int(fields[1]), fields[0].decode(), int(fields[19]))
    except (OSError, IndexError, ValueError):
        return None


def _process_table() -> dict[int, _Stat]:
    """pid -> its /proc stat of every process (Linux /proc)."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(name)) is not None:
            table[int(name)] = st
    return table


def _has_env(pid: int, entry: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return entry in f.read().split(b"\0")
    except OSError:
        return False


class RunProcesses:
    """Every live process of one run: the program, its process tree, and processes marked with the run's
    token in their environment (children of a program that already died, which its tree no longer holds)."""

    _counter = 0

    def __init__(self) -> None:
        RunProcesses._counter += 1
        self.token = f"{os.getpid()}-{RunProcesses._counter}-{time.monotonic_ns()}"
        self.pid = 0
        self.started = 0  # start time of the program (clock ticks after boot); its processes start later

    def track(self, pid: int) -> None:
        self.pid = pid
        st = _stat(pid)
        self.started = st.start if st else 0

    def environ(self, env: Mapping[str, str]) -> dict[str, str]:
        return {**env, RUN_ENV: self.token}

    def pids(self, *, marked: bool = True) -> set[int]:
        """Live (not zombie) processes of the run; without `marked`, only the program's tree (cheaper)."""
        if not os.path.isdir("/proc"):
            return set()
        table = _process_table()
        roots = {self.pid}
        if marked:
            # Only processes started since the program are candidates: few environments to read.
            entry = f"{RUN_ENV}={self.token}".encode()
            roots |= {
                pid
                for pid, st in table.items()
                if st.start >= self.started and pid != os.getpid() and _has_env(pid, entry)
            }
        children: dict[int, list[int]] = {}
        for pid, st in table.items():
            children.setdefault(st.ppid, []).append(pid)
        found, todo = set(), [r for r in roots if r in table]
        while todo:
            pid = todo.pop()
            if pid not in found:
                found.add(pid)
                todo.extend(children.get(pid, ()))
        return {pid for pid in found if table[pid].state not in "ZX"}

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    def kill_all(self) -> None:
        """SIGKILL every process of the run, again until none is left (one may fork while we look)."""
        for _ in range(100):
            left = self.pids()
            if not left:
                return
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def reading(self, inode: int, *, tree: bool) -> bool:
        """Is the program (or, with `tree`, any process of its tree) blocked reading the pipe `inode`?"""
        pids = self.pids(marked=False) if tree else {self.pid}
        return any(reading_pipe(pid, inode) for pid in pids)


def _exited(pid: int) -> bool:
    """Has the child exited? Leaves it unreaped, so wait4 can collect its exit status and peak memory."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _reap(proc: subprocess.Popen[bytes], result: ProcessResult) -> None:
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:
        result.returncode = proc.poll()
        return
    proc.returncode = result.returncode = os.waitstatus_to_exitcode(status)
    result.peak_rss = usage.ru_maxrss * 1024 if sys.platform == "linux" else usage.ru_maxrss


def _stop(procs: RunProcesses) -> None:
    """SIGINT now, SIGTERM after TERM_AFTER, SIGKILL after KILL_AFTER; then nothing of the run is left.

    One timer: an interrupt that arrives meanwhile (the user clicking stop again) neither restarts the
    escalation nor cuts it short, and cannot leave the program running."""
    start = time.monotonic()
    steps = [(0.0, signal.SIGINT), (TERM_AFTER, signal.SIGTERM), (KILL_AFTER, signal.SIGKILL)]
    while steps:
        try:
            while steps and time.monotonic() - start >= steps[0][0]:
                procs.signal(steps.pop(0)[1])
            if _exited(procs.pid):
                break
            time.sleep(0.01)
        except KeyboardInterrupt:
            continue
    while True:
        try:
            procs.kill_all()  # what ignored the signals or outlived the program (a Setsid child)
            return
        except KeyboardInterrupt:
            continue


class _InterruptCounter:
    """Counts SIGINTs while installed (main thread only), passing each on to the previous handler.

    ipykernel's input request turns an interrupt into an empty answer; the count tells the runner that
    the user stopped the cell rather than ending its input."""

    def __init__(self) -> None:
        self.count = 0
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> _InterruptCounter:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        if callable(self._previous):
            self._previous(signum, frame)
        elif self._previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)


class _Decoder:
    def __init__(self) -> None:
        self._dec = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def __call__(self, data: bytes, final: bool = False) -> str:
        return self._dec.decode(data, final)


class _Outputs:
    """A child's stdout and stderr on their way to the callbacks: decoded, under one output limit (both
    streams together), and coalesced into few messages; or captured when a stream has no callback."""

    def __init__(
        self,
        result: ProcessResult,
        on_stdout: TextCallback | None,
        on_stderr: TextCallback | None,
        limit: int | None,
        on_truncate: Callable[[int], None] | None,
    ) -> None:
        self.result = result
        self.decoders = {"out": _Decoder(), "err": _Decoder()}
        self.captured_text: dict[str, list[str]] = {"out": [], "err": []}
        budget = None
        if limit is not None:

            def cut(_notice: str) -> None:
                result.truncated = True
                if on_truncate:
                    on_truncate(limit)

            budget = OutputBudget(limit, cut)
        self.sinks: dict[str, Coalescer] = {}
        for key, cb in (("out", on_stdout), ("err", on_stderr)):
            if cb is not None:
                self.sinks[key] = Coalescer(budget.wrap(cb) if budget else cb)

    def deliver(self, key: str, data: bytes) -> None:
        if key == "out":
            self.result.stdout_bytes += len(data)
        self._text(key, self.decoders[key](data))

    def _text(self, key: str, text: str) -> None:
        if not text:
            return
        if key in self.sinks:
            self.sinks[key].feed(text)
        else:
            self.captured_text[key].append(text)

    def end(self, key: str) -> None:
        """The stream is closed: the decoder's last bytes and everything gathered go out now."""
        self._text(key, self.decoders[key](b"", final=True))
        if key in self.sinks:
            self.sinks[key].flush()

    def timeout(self, tick: float) -> float:
        """How long select may wait: a tick, or less when gathered text is due."""
        dues = [d for s in self.sinks.values() if (d := s.due()) is not None]
        return max(0.0, min([tick, *(d - time.monotonic() for d in dues)]))

    def tick(self) -> None:
        for sink in self.sinks.values():
            sink.tick()

    def flush(self) -> None:
        for sink in self.sinks.values():
            sink.flush()

    def captured(self) -> tuple[str, str]:
        return "".join(self.captured_text["out"]), "".join(self.captured_text["err"])


class _Pipes:
    """The program's stdout, stderr and side channel, read as they become readable."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        side: BinaryIO | None,
        out: _Outputs,
        on_side: Callable[[bytes], None],
    ) -> None:
        self.out = out
        self.on_side = on_side
        self.sel = selectors.DefaultSelector()
        assert proc.stdout and proc.stderr
        self.sel.register(proc.stdout, selectors.EVENT_READ, "out")
        self.sel.register(proc.stderr, selectors.EVENT_READ, "err")
        if side is not None:
            self.sel.register(side, selectors.EVENT_READ, "side")
        self.streams = len(self.sel.get_map())
        # The program's exit wakes the loop at once (Linux pidfd), even after it closed its pipes.
        self.pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(proc.pid)
            self.sel.register(self.pidfd, selectors.EVENT_READ, "exit")

    @property
    def open(self) -> bool:
        return self.streams > 0

    def read(self) -> None:
        """Read what is there, waiting at most a tick (less when coalesced output is due)."""
        timeout = self.out.timeout(TICK_SECONDS)
        if not self.sel.get_map():  # the program closed them all and works on: its exit ends the run
            time.sleep(timeout)
        for key, _ in self.sel.select(timeout) if self.sel.get_map() else []:
            if key.data == "exit":
                self._close_pidfd()
                continue
            data = os.read(key.fd, READ_SIZE)
            if not data:
                self.streams -= 1
                self.sel.unregister(key.fileobj)
                if key.data != "side":
                    self.out.end(key.data)
            elif key.data == "side":
                self.on_side(data)
            else:
                self.out.deliver(key.data, data)
        self.out.tick()

    def drain(self) -> None:
        """Whatever is already buffered still belongs to the cell (a slow reader under load must not lose
        the tail of a panic message): read it without waiting for more."""
        for key in list(self.sel.get_map().values()):
            if key.data == "exit":
                continue
            with contextlib.suppress(OSError):
                for _ in range(64):  # bounded: an escaped grandchild may keep writing forever
                    if not select.select([key.fd], [], [], 0)[0] or not (rest := os.read(key.fd, READ_SIZE)):
                        break
                    if key.data == "side":
                        self.on_side(rest)
                    else:
                        self.out.deliver(key.data, rest)
        self.out.end("out")
        self.out.end("err")
        self._close_pidfd()
        self.sel.close()

    def _close_pidfd(self) -> None:
        if self.pidfd is not None:
            self.sel.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None


class _Stdin:
    """Answers reads of the program's stdin pipe by any process of the run (`cmd.Stdin = os.Stdin` too)."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        procs: RunProcesses,
        read_stdin: Callable[[], str | None],
        out: _Outputs,
        interrupts: _InterruptCounter,
    ) -> None:
        assert proc.stdin is not None
        self.pipe = proc.stdin
        self.inode = os.fstat(self.pipe.fileno()).st_ino
        self.procs, self.read_stdin, self.out, self.interrupts = procs, read_stdin, out, interrupts
        self.next_tree_scan = 0.0

    def poll(self) -> None:
        if self.pipe.closed:
            return
        # The program itself every tick; its whole tree (a /proc scan) a few times a second.
        now = time.monotonic()
        tree = now >= self.next_tree_scan
        if tree:
            self.next_tree_scan = now + STDIN_SCAN_SECONDS
        if not self.procs.reading(self.inode, tree=tree):
            return
        self.out.flush()  # the prompt shows before the input box
        before = self.interrupts.count
        line = self.read_stdin()
        if self.interrupts.count != before:
            raise KeyboardInterrupt  # stopped while the input box was open: stop the program, not just its input
        try:
            if line is None:
                self.pipe.close()
            else:
                self.pipe.write((line + "\n").encode())
                self.pipe.flush()
        except (BrokenPipeError, ValueError):
            pass


def _wait_for_exit(proc: subprocess.Popen[bytes], procs: RunProcesses, pipes: _Pipes, stdin: _Stdin | None) -> None:
    """Stream until the program exits (not until its pipes close: it may close them and work on)."""
    exited_at: float | None = None
    while True:
        pipes.read()
        if stdin is not None:
            stdin.poll()
        now = time.monotonic()
        if exited_at is None and _exited(proc.pid):
            exited_at = now
        if exited_at is None:
            continue
        if not pipes.open:
            return
        # A background child can hold the pipes open after the program ended: don't wait for it.
        if now - exited_at > DRAIN_AFTER_EXIT:
            procs.kill_all()
        if now - exited_at > 1.0:
            return


def _retrying(fn: Callable[[], None]) -> None:
    """Run cleanup to its end even if the user interrupts again meanwhile."""
    while True:
        try:
            fn()
            return
        except KeyboardInterrupt:
            continue


def run(
    argv: Sequence[str],
    *,
    cwd: str | Path,
    env: Mapping[str, str],
    on_stdout: TextCallback | None = None,
    on_stderr: TextCallback | None = None,
    read_stdin: Callable[[], str | None] | None = None,
    side_channel: bool = False,
    on_side: Callable[[bytes], None] | None = None,
    output_limit: int | None = None,
    on_truncate: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Run `argv` to completion in its own process group; no process of it outlives the call.

    Output goes to the callbacks as it arrives (or is captured into the result when a callback is
    None). `read_stdin` is asked for a line whenever a process of the run blocks reading stdin; returning
    None closes stdin (EOF). Without it stdin is /dev/null, so a program reading it sees EOF at once.
    Side-channel bytes go to `on_side` as they arrive when given, else into `result.side_channel`.
    """
    side_r = side_w = -1
    if side_channel:
        side_r, side_w = os.pipe()
    start = time.monotonic()
    procs = RunProcesses()

    def preexec() -> None:
        _run_child_setup()
        if side_w >= 0:
            # The program expects the channel on fd 3. dup2 clears close-on-exec; dup2(3, 3) would not.
            if side_w == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(side_w, 3)

    oom_before = oom_kill_count()
    # close_fds=False: Python and zmq create their fds close-on-exec, so only fd 3 is inherited extra.
    proc = subprocess.Popen(
        list(argv),
        cwd=str(cwd),
        env=procs.environ(env),
        stdin=subprocess.PIPE if read_stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=preexec,
        close_fds=False,
    )
    procs.track(proc.pid)
    side_file = None
    if side_channel:
        os.close(side_w)
        side_file = os.fdopen(side_r, "rb", buffering=0)
    result = ProcessResult(returncode=None)
    out = _Outputs(result, on_stdout, on_stderr, output_limit, on_truncate)
    side_chunks: list[bytes] = []
    pipes = _Pipes(proc, side_file, out, on_side or side_chunks.append)
    with _InterruptCounter() as interrupts:
        stdin = _Stdin(proc, procs, read_stdin, out, interrupts) if read_stdin else None
        try:
            _wait_for_exit(proc, procs, pipes, stdin)
        except KeyboardInterrupt:
            result.interrupted = True
            _stop(procs)
        finally:
            _retrying(pipes.drain)
            for f in (proc.stdout, proc.stderr, proc.stdin, side_file):
                if f is not None:
                    with contextlib.suppress(OSError):
                        f.close()
            _retrying(procs.kill_all)
            _retrying(lambda: _reap(proc, result))
    oom_after = oom_kill_count()
    result.oom_kills = oom_after - oom_before if oom_after is not None and oom_before is not None else 0
    result.side_channel = b"".join(side_chunks)
    result.elapsed = time.monotonic() - start
    result.captured_stdout, result.captured_stderr = out.captured()
    return result


def _cgroup_memory_file(name_v2: str, name_v1: str) -> Path | None:
    """A memory controller file of the kernel's own cgroup (v2 `name_v2`, else v1 `name_v1`)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            candidate = Path("/sys/fs/cgroup" + path.rstrip("/")) / name_v2
        elif "memory" in controllers.split(","):
            candidate = Path("/sys/fs/cgroup/memory" + path.rstrip("/")) / name_v1
        else:
            continue
        if candidate.exists():
            return candidate
    return None


def oom_kill_count() -> int | None:
    """How many processes the OOM killer ended in the kernel's memory cgroup so far (None: unknown)."""
    f = _cgroup_memory_file("memory.events", "memory.oom_control")
    try:
        text = f.read_text() if f else ""
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill" and value.strip().isdigit():
            return int(value)
    return None


def memory_limit() -> int | None:
    """The memory the cell's program may use at most: the cgroup's limit or the machine's RAM."""
    limits: list[int] = []
    f = _cgroup_memory_file("memory.max", "memory.limit_in_bytes")
    with contextlib.suppress(OSError, ValueError):
        if f:
            limits.append(int(f.read_text().strip()))
    with contextlib.suppress(OSError, ValueError, StopIteration), open("/proc/meminfo") as m:
        limits.append(next(int(line.split()[1]) * 1024 for line in m if line.startswith("MemTotal:")))
    return min(limits) if limits else None


@dataclass
class SideRecords:
    result: str | None = None
    goroutines: int = 0
    other: dict[str, str] = field(default_factory=dict)


class SideChannelReader:
    """Incremental parser of `<tag> <length>\\n<payload>` records written by the generated program on fd 3.

    Bytes may arrive split anywhere; `feed` returns the records completed by them, in order. Linear in the
    bytes fed: a payload is collected as a list of chunks until its announced length has arrived (appending
    to one growing bytes object made a 40 MB display take ~17 s). A record longer than `limit` is never
    held in memory: its bytes are skipped and it comes back as `(TOO_LARGE, "<tag> <length>")`.
    """

    TOO_LARGE = "too-large"
    MAX_HEADER = 256  # a header longer than this is not our protocol

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._header = bytearray()
        self._tag: str | None = None  # the record whose payload is being collected
        self._size = 0
        self._need = 0
        self._chunks: list[bytes] = []

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        records: list[tuple[str, str]] = []
        pos = 0
        while pos < len(data) or (self._tag is not None and self._need == 0):
            if self._tag is None:
                pos = self._read_header(data, pos)
                if pos < 0:
                    return records
            else:
                take = min(self._need, len(data) - pos)
                if not self._skipping():
                    self._chunks.append(data[pos : pos + take])
                pos += take
                self._need -= take
            if self._tag is not None and self._need == 0:
                records.append(self._finish())
        return records

    def _read_header(self, data: bytes, pos: int) -> int:
        """Consume header bytes from `pos`; the position after the header, len(data) if unfinished, -1 if bad."""
        nl = data.find(b"\n", pos)
        self._header += data[pos : nl if nl >= 0 else len(data)]
        if len(self._header) > self.MAX_HEADER:
            self._header.clear()  # not our protocol: drop it rather than misparse the rest
            return -1
        if nl < 0:
            return len(data)
        header = self._header.decode(errors="replace").split()
        self._header.clear()
        if len(header) != 2 or not header[1].isdigit():
            return -1  # not our protocol: drop the rest of this chunk rather than misparse it
        self._tag, self._size = header[0], int(header[1])
        self._need = self._size
        return nl + 1

    def _skipping(self) -> bool:
        return self.limit is not None and self._size > self.limit

    def _finish(self) -> tuple[str, str]:
        tag, size = self._tag or "", self._size
        payload = b"".join(self._chunks)
        self._tag, self._chunks = None, []
        if self.limit is not None and size > self.limit:
            return (self.TOO_LARGE, f"{tag} {size}")
        return (tag, payload.decode(errors="replace"))


def add_side_record(out: SideRecords, tag: str, payload: str) -> None:
    if tag == "result":
        out.result = payload
    elif tag == "goroutines":
        out.goroutines = int(payload) if payload.strip().isdigit() else 0
    else:
        out.other[tag] = payload


def parse_side_channel(data: bytes) -> SideRecords:
    """All records of a complete side-channel capture."""
    out = SideRecords()
    for tag, payload in SideChannelReader().feed(data):
        add_side_record(out, tag, payload)
    return out
