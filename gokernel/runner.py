"""Run go builds and the cell programs: own process group, streaming output, interrupt, stdin.

One loop serves every child (go build, the cell binary, go test -json): it multiplexes stdout,
stderr and the side channel (fd 3) with `selectors`, hands output to callbacks as soon as it
arrives, and on KeyboardInterrupt (the kernel's SIGINT) stops the whole process group: SIGINT
first, SIGKILL after a grace period, so `for {}` loops and grandchildren die too.
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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .streams import Coalescer, OutputBudget

GRACE_SECONDS = 0.5
TICK_SECONDS = 0.05
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


def waiting_for_stdin(pid: int) -> bool:
    """True when some thread of `pid` is blocked reading fd 0 (Linux /proc)."""
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
        except OSError:
            continue
        if len(fields) >= 2 and fields[0] == _READ_SYSCALL and int(fields[1], 16) == 0:
            return True
    return False


def _kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop_process_group(proc: subprocess.Popen[bytes], grace: float = GRACE_SECONDS) -> None:
    """SIGINT the group, then SIGKILL whatever is left after `grace` seconds."""
    _kill_group(proc, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    # Grandchildren may outlive the leader; KILL the group regardless.
    _kill_group(proc, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=2)


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
    """Run `argv` to completion in its own process group.

    Output goes to the callbacks as it arrives (or is captured into the result when a callback is
    None). `read_stdin` is asked for a line whenever the program blocks reading stdin; returning
    None closes stdin (EOF). Without it stdin is /dev/null, so a program reading it sees EOF at once.
    Side-channel bytes go to `on_side` as they arrive when given, else into `result.side_channel`.
    """
    side_r = side_w = -1
    if side_channel:
        side_r, side_w = os.pipe()
    start = time.monotonic()

    def preexec() -> None:
        _child_setup()
        if side_w >= 0:
            # The program expects the channel on fd 3. dup2 clears close-on-exec; dup2(3, 3) would not.
            if side_w == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(side_w, 3)

    # close_fds=False: Python and zmq create their fds close-on-exec, so only fd 3 is inherited extra.
    proc = subprocess.Popen(
        list(argv),
        cwd=str(cwd),
        env=dict(env),
        stdin=subprocess.PIPE if read_stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=preexec,
        close_fds=False,
    )
    if side_channel:
        os.close(side_w)
    result = ProcessResult(returncode=None)
    out = _Outputs(result, on_stdout, on_stderr, output_limit, on_truncate)
    side_chunks: list[bytes] = []
    sel = selectors.DefaultSelector()
    assert proc.stdout and proc.stderr
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    side_file = None
    if side_channel:
        side_file = os.fdopen(side_r, "rb", buffering=0)
        sel.register(side_file, selectors.EVENT_READ, "side")
    open_streams = len(sel.get_map())
    exited_at: float | None = None
    deliver = out.deliver

    try:
        while open_streams:
            for key, _ in sel.select(out.timeout(TICK_SECONDS)):
                fobj = key.fileobj
                data = os.read(fobj.fileno(), READ_SIZE)  # type: ignore[union-attr]
                if not data:
                    sel.unregister(fobj)
                    open_streams -= 1
                    if key.data != "side":
                        out.end(key.data)
                    continue
                if key.data == "side":
                    (on_side or side_chunks.append)(data)
                    continue
                deliver(key.data, data)
            out.tick()
            if read_stdin and proc.stdin and proc.poll() is None and waiting_for_stdin(proc.pid):
                out.flush()  # the prompt shows before the input box
                line = read_stdin()
                try:
                    if line is None:
                        proc.stdin.close()
                    else:
                        proc.stdin.write((line + "\n").encode())
                        proc.stdin.flush()
                except (BrokenPipeError, ValueError):
                    pass
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
            # A background grandchild can hold the pipes open after the program ended: don't wait for it.
            if exited_at is not None and time.monotonic() - exited_at > 0.3:
                _kill_group(proc, signal.SIGKILL)
                if time.monotonic() - exited_at > 1.0:
                    break
    except KeyboardInterrupt:
        result.interrupted = True
        stop_process_group(proc)
    finally:
        # Whatever is already buffered in the pipes still belongs to the cell (a slow reader under
        # load must not lose the tail of a panic message); read it without waiting for more.
        for key in list(sel.get_map().values()):
            fd = key.fileobj.fileno()  # type: ignore[union-attr]
            with contextlib.suppress(OSError):
                for _ in range(64):  # bounded: an escaped grandchild may keep writing forever
                    if not select.select([fd], [], [], 0)[0] or not (rest := os.read(fd, READ_SIZE)):
                        break
                    if key.data == "side":
                        (on_side or side_chunks.append)(rest)
                    else:
                        deliver(key.data, rest)
        out.end("out")
        out.end("err")
        sel.close()
        for f in (proc.stdout, proc.stderr, proc.stdin, side_file):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
    try:
        result.returncode = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        stop_process_group(proc, grace=0)
        result.returncode = proc.poll()
    result.side_channel = b"".join(side_chunks)
    result.elapsed = time.monotonic() - start
    result.captured_stdout, result.captured_stderr = out.captured()
    return result


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
