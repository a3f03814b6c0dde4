"""A Go panic or fatal error trace -> a model the notebook can show as a card (like a compile error).

API:
    parse_trace(lines, ename="panic") -> PanicReport   lines: the trace with positions already mapped to cells
                                                       ("cell[3] line 5"), as fresh and live mode capture it
    PanicReport.summary() -> str                       one line for the error reply: "panic: boom (at cell[6] line 3)"

What the notebook view keeps: the panic value, each goroutine's header, the user's frames (positions in cells),
the count of runtime frames between them; what it drops: `+0x30` offsets, argument words, and the frames of the
code gokernel generates around a cell (main.main of the composed program, the live host's runner, scratch paths).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .linemap import CellLoc

_GOROUTINE = re.compile(r"^goroutine \d+ \[[^\]]*\]:$")
_CELL_POS = re.compile(r"^cell\[(?P<cell>\d+)\] line (?P<line>\d+)(?::(?P<col>\d+))?")
_OFFSET = re.compile(r" \+0x[0-9a-f]+$")
_CALL = re.compile(r"^(?P<func>.*?)\((?P<args>[^()]*)\)$")
# Files gokernel writes around the user's code; a frame there that is not in a cell is its wrapper.
_GENERATED_FILES = ("main.go", "main_test.go", "gokernel-run.go")
_GENERATED_FUNCS = ("main.gk", "main._gk", "plugin.", "scratch/gkrt.", "gkrt.")
# Generated names of user code: the whole-`package main` cell's main, the live cell's statements.
_RENAMED = ((re.compile(r"^main\._gkMain\b"), "main.main"), (re.compile(r"^main\.gkRun\b"), "main.cell"))


@dataclass
class PanicFrame:
    func: str  # "main.explode", "created by main.main"
    where: str  # "cell[6] line 3" or "/usr/lib/go/src/runtime/panic.go:115"
    loc: CellLoc | None = None

    @property
    def is_user(self) -> bool:
        return self.loc is not None


@dataclass
class Goroutine:
    header: str  # "goroutine 1 [running]:"
    frames: list[PanicFrame] = field(default_factory=list)

    @property
    def user_frames(self) -> list[PanicFrame]:
        return [f for f in self.frames if f.is_user]


@dataclass
class PanicReport:
    ename: str  # "panic" | "fatal error"
    message: list[str]  # the panic value (its first line without "panic: "), cut notices included
    goroutines: list[Goroutine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # other lines after the trace ("exit status 2", notices)

    def summary(self) -> str:
        """The error reply's one line: the value and where it happened; the card shows the rest."""
        head = f"{self.ename}: {self.message[0] if self.message else ''}".rstrip()
        user = [f.where for g in self.goroutines[:1] for f in g.user_frames]
        if user:
            head += f" (at {' ← '.join(user[:3])}{' ← …' if len(user) > 3 else ''})"
        return head

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _loc(where: str) -> CellLoc | None:
    m = _CELL_POS.match(where)
    if not m:
        return None
    return CellLoc(int(m["cell"]), int(m["line"]), int(m["col"]) if m["col"] else None)


def _user_name(name: str) -> str:
    for pattern, repl in _RENAMED:
        name = pattern.sub(repl, name)
    return name


def _func_name(line: str) -> str:
    text = line.strip()
    if text.startswith("created by "):
        return "created by " + _user_name(re.sub(r" in goroutine \d+$", "", text.removeprefix("created by ")))
    m = _CALL.match(text)
    return _user_name(m["func"] if m else text)


def _is_generated(func_line: str, where: str) -> bool:
    if _loc(where) is not None:
        return False
    base = where.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    func = func_line.strip().removeprefix("created by ")
    return base in _GENERATED_FILES or "/scratch/" in where or func.startswith(_GENERATED_FUNCS)


def parse_trace(lines: list[str], ename: str = "panic") -> PanicReport:
    message: list[str] = []
    goroutines: list[Goroutine] = []
    notes: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _GOROUTINE.match(line):
            goroutines.append(Goroutine(line))
        elif goroutines and nxt.startswith("\t") and not line.startswith("\t") and line:
            where = _OFFSET.sub("", nxt.strip())
            if not _is_generated(line, where):
                goroutines[-1].frames.append(PanicFrame(_func_name(line), where, _loc(where)))
            i += 2
            continue
        elif not goroutines:
            message.append(line)
        elif line.strip():
            notes.append(line)
        i += 1
    if message and message[0].startswith(f"{ename}: "):
        message[0] = message[0][len(ename) + 2 :]
    while message and not message[-1].strip():
        message.pop()
    return PanicReport(ename, message, goroutines, notes)
