"""Turn a child's raw output chunks into what the kernel shows: whole lines, positions mapped to cells,
and a crash report (panic / fatal error) captured instead of streamed, so it can become the error reply."""

from __future__ import annotations

import collections
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from .linemap import LineMap


def human_size(n: int) -> str:
    """Bytes for a notice: `10 MB`, `1.5 MB`, `200 KB`, `512 bytes`."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


_MARKER_LINE = re.compile(r"^(?:panic: |fatal error: |SIGQUIT: )", re.MULTILINE)


class StderrFilter:
    """Streams stderr with generated positions mapped to cells; from the first `panic:`/`fatal error:` line
    on, it captures instead, so the panic becomes the error reply.

    Text is handled in blocks, not line by line, and each `feed` emits what it completes as one piece (a
    flood of lines is a few messages, not one per line). The capture is bounded: its head and tail are kept
    (a deadlock of 100,000 goroutines prints 12 MB) and `captured` says how much of the middle was cut.
    """

    MARKERS = ("panic: ", "fatal error: ", "SIGQUIT: ")
    MAX_LINE = 16 << 10
    HEAD_CHARS = TAIL_CHARS = 256 << 10

    def __init__(self, linemap: LineMap, emit: Callable[[str], None]) -> None:
        self.linemap = linemap
        self.emit = emit
        self.partial = ""
        self._capture: _BoundedText | None = None
        self._skip_line = False  # dropping the rest of an over-long captured line

    @property
    def captured(self) -> list[str] | None:
        return None if self._capture is None else self._capture.lines(self.linemap.rewrite, self.MAX_LINE)

    @captured.setter
    def captured(self, value: list[str] | None) -> None:
        self._capture = None
        if value is not None:
            self._capture = _BoundedText(self.HEAD_CHARS, self.TAIL_CHARS)
            self._capture.add("".join(line + "\n" for line in value))

    def feed(self, text: str) -> None:
        if self._skip_line:
            text = self._skip_rest_of_line(text)
        data = self.partial + text
        end = data.rfind("\n") + 1
        shown = self._complete(data[:end])
        self.partial = data[end:]
        if self.partial and (self._capture is not None or self._may_be_marker(self.partial)):
            if len(self.partial) > self.MAX_LINE:
                # A crash report line without end (panic(hugeString)): keep a line's worth, drop the rest.
                shown += self._complete(self.partial[: self.MAX_LINE] + " …\n")
                if self._capture is not None:
                    self._capture.dropped_chars += len(self.partial) - self.MAX_LINE
                self._skip_line = True
                self.partial = ""
        elif self.partial:
            # A prompt without newline (`fmt.Fprint(os.Stderr, "> ")`) must show now, not at exit.
            shown += self.partial
            self.partial = ""
        if shown:
            self.emit(shown)

    def _skip_rest_of_line(self, text: str) -> str:
        nl = text.find("\n")
        if self._capture is not None:
            self._capture.dropped_chars += len(text) if nl < 0 else nl
        if nl < 0:
            return ""
        self._skip_line = False
        return text[nl + 1 :]

    def _may_be_marker(self, partial: str) -> bool:
        """Could this unfinished line be (the start of) a panic header? Then hold it until its newline."""
        return any(m.startswith(partial) or partial.startswith(m) for m in self.MARKERS)

    def _complete(self, text: str) -> str:
        """Whole lines: what comes before a crash report is returned for showing, the report is captured."""
        if not text:
            return ""
        shown = ""
        if self._capture is None:
            m = _MARKER_LINE.search(text)
            if m is None:
                return self.linemap.rewrite(text)
            shown, text = self.linemap.rewrite(text[: m.start()]), text[m.start() :]
            self._capture = _BoundedText(self.HEAD_CHARS, self.TAIL_CHARS)
        self._capture.add(text)
        return shown

    def close(self) -> None:
        if self.partial:
            if text := self._complete(self.partial):
                self.emit(text)
            self.partial = ""


class _BoundedText:
    """The first `head` and last `tail` characters' worth of a report, and a count of what fell between.

    Blocks of whole lines are kept as they come; the middle is dropped block by block, so a report of
    millions of lines costs no per-line work (lines are split, cut and mapped only when asked for)."""

    def __init__(self, head: int, tail: int) -> None:
        self.head: list[str] = []
        self.head_room = head
        self.tail: collections.deque[str] = collections.deque()
        self.tail_size, self.tail_limit = 0, tail
        self.dropped_lines = 0
        self.dropped_chars = 0

    def add(self, text: str) -> None:
        if self.head_room > 0 and not self.tail:
            cut = len(text) if len(text) <= self.head_room else text.rfind("\n", 0, self.head_room) + 1
            self.head.append(text[:cut])
            self.head_room = self.head_room - cut if cut == len(text) else 0  # full: the rest goes to the tail
            text = text[cut:]
        if not text:
            return
        self.tail.append(text)
        self.tail_size += len(text)
        while len(self.tail) > 1 and self.tail_size - len(self.tail[0]) >= self.tail_limit:
            old = self.tail.popleft()
            self.tail_size -= len(old)
            self.dropped_lines += old.count("\n")
            self.dropped_chars += len(old)

    def lines(self, rewrite: Callable[[str], str], max_line: int) -> list[str]:
        def split(text: str) -> list[str]:
            lines = rewrite(text).split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            return [line if len(line) <= max_line else line[:max_line] + " …" for line in lines]

        head, tail = split("".join(self.head)), split("".join(self.tail))
        if not self.dropped_lines and not self.dropped_chars:
            return head + tail
        note = (
            f"[gokernel] … {self.dropped_lines} lines ({human_size(self.dropped_chars)}) of this report cut; "
            "its start and end are shown …"
        )
        return [*head, note, *tail]


class Coalescer:
    """Batches one stream's text into few messages.

    A flood of short writes (200,000 log lines) was one IOPub message per line and most of them never
    reached the frontend. Text after a quiet spell goes out at once (a prompt, a progress line); during a
    flood it goes out every `interval` seconds, or as soon as `max_chars` have gathered.
    """

    def __init__(
        self,
        emit: Callable[[str], None],
        *,
        interval: float = 0.05,
        max_chars: int = 1 << 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.emit = emit
        self.interval = interval
        self.max_chars = max_chars
        self.clock = clock
        self._parts: list[str] = []
        self._size = 0
        self._last = -math.inf

    def feed(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.max_chars or self.clock() - self._last >= self.interval:
            self.flush()

    def due(self) -> float | None:
        """When the gathered text must go out (None when nothing waits)."""
        return self._last + self.interval if self._parts else None

    def tick(self) -> None:
        if self._parts and self.clock() >= self._last + self.interval:
            self.flush()

    def flush(self) -> None:
        self._last = self.clock()
        if self._parts:
            text = "".join(self._parts)
            self._parts, self._size = [], 0
            self.emit(text)


class OutputBudget:
    """One output limit for everything a cell prints (stdout and stderr together).

    What is shown is complete up to the cut; then a single notice says the limit was reached, and later
    text is dropped without being kept.
    """

    def __init__(self, limit: int, notice: Callable[[str], None], *, what: str = "the program") -> None:
        self.limit = limit
        self.notice = notice
        self.what = what
        self.sent = 0
        self.cut = False

    def wrap(self, emit: Callable[[str], None]) -> Callable[[str], None]:
        def limited(text: str) -> None:
            if self.cut or not text:
                return
            room = self.limit - self.sent
            if len(text) <= room:
                self.sent += len(text)
                emit(text)
                return
            self.cut = True
            if room > 0:
                emit(text[:room])
            self.notice(truncation_notice(self.limit, self.what))

        return limited


def truncation_notice(limit: int, what: str = "the program") -> str:
    return (
        f"\n[gokernel] output truncated after {human_size(limit)}; {what} kept running "
        "(%env GOKERNEL_OUTPUT_LIMIT=50MB raises the limit)\n"
    )


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int | None:
    """`10485760`, `10MB`, `10M`, `512k`, `1.5GiB` -> bytes; None when it is not a size."""
    m = _SIZE.match(text)
    if not m:
        return None
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m[2].lower()]
    return int(float(m[1]) * scale)


def output_limit(env: Mapping[str, str], default: int) -> int:
    """The cell's output limit: `GOKERNEL_OUTPUT_LIMIT` of its environment (`%env`, or the kernel's own), else
    `default`. Read for every cell, so `%env GOKERNEL_OUTPUT_LIMIT=...` takes effect with the next one."""
    size = parse_size(env.get("GOKERNEL_OUTPUT_LIMIT", ""))
    return size if size is not None and size > 0 else default


class LineBuffer:
    """Turns arbitrary chunks into whole lines for line-oriented consumers (test2json)."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line = on_line
        self.partial = ""

    def feed(self, text: str) -> None:
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            self.on_line(line)

    def close(self) -> None:
        if self.partial:
            self.on_line(self.partial)
            self.partial = ""


def display_bundle(payload: str) -> dict[str, Any] | None:
    """A MIME bundle from the `display` package's JSON record; JSON MIME types carry parsed JSON."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    bundle: dict[str, Any] = {}
    for mime, value in data.items():
        if mime == "application/json" or mime.endswith("+json"):
            try:
                bundle[mime] = json.loads(value)
            except (TypeError, ValueError):
                continue
        else:
            bundle[mime] = value
    return bundle or None
