"""Turn a child's raw output chunks into what the kernel shows: whole lines, positions mapped to cells,
and a crash report (panic / fatal error) captured instead of streamed, so it can become the error reply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .linemap import LineMap


def human_size(n: int) -> str:
    """Bytes for a notice: `10 MB`, `1.5 MB`, `200 KB`, `512 bytes`."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


class StderrFilter:
    """Streams stderr line by line with generated positions mapped to cells; from the first
    `panic:`/`fatal error:` line on, it captures instead, so the panic becomes the error reply."""

    MARKERS = ("panic: ", "fatal error: ", "SIGQUIT: ")

    def __init__(self, linemap: LineMap, emit: Callable[[str], None]) -> None:
        self.linemap = linemap
        self.emit = emit
        self.partial = ""
        self.captured: list[str] | None = None

    def feed(self, text: str) -> None:
        data = self.partial + text
        lines = data.split("\n")
        self.partial = lines.pop()
        for line in lines:
            self._line(line + "\n")
        # A prompt without newline (`fmt.Fprint(os.Stderr, "> ")`) must show now, not at exit.
        if self.partial and self.captured is None and not self._may_be_marker(self.partial):
            self.emit(self.partial)
            self.partial = ""

    def _may_be_marker(self, partial: str) -> bool:
        """Could this unfinished line be (the start of) a panic header? Then hold it until its newline."""
        return any(m.startswith(partial) or partial.startswith(m) for m in self.MARKERS)

    def _line(self, line: str) -> None:
        if self.captured is None and line.startswith(self.MARKERS):
            self.captured = []
        if self.captured is not None:
            self.captured.append(self.linemap.rewrite(line.rstrip("\n")))
        else:
            self.emit(self.linemap.rewrite(line))

    def close(self) -> None:
        if self.partial:
            self._line(self.partial)
            self.partial = ""


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
