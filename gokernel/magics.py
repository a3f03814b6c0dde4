"""Split a cell into magics and Go code.

`%` and `!` cannot start a line of Go, so any line that starts with them (at column 0) is a
magic or a shell command. A cell magic (`%%test`, `%%bench`) must be the first line and
applies to the whole cell body.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

CELL_MAGICS = ("test", "bench")
LINE_MAGICS = ("ls", "rm", "reset", "scratch", "go", "test", "bench", "help", "lsmagic", "env")

HELP = """\
gokernel magics
  %%test [flags]     run go test -json (-race when available) with this cell's code; flags: -run -v -short
                     -cover -timeout -shuffle -cpu -failfast -count
  %%bench [flags]    run benchmarks (-bench pattern, -count 5, -benchtime, -cpu, --go A,B to compare toolchains)
  %test / %bench     the same for what the scratch module already holds
  %ls                list the declarations the scratch module holds
  %rm NAME [NAME..]  remove declarations (or imports) by name
  %reset             clear all declarations (go.mod requirements stay)
  %scratch           print the scratch module's directory
  %go list|use V|version|env|offline on|off|install V
                     Go toolchains: list, switch for this notebook, show, environment, offline mode, install
  %env NAME=VALUE    set an environment variable for go and the programs
  !cmd args          run a command (no shell) in the scratch module, e.g. !go get example.com/mod@v1.2.3
"""


class MagicError(ValueError):
    pass


@dataclass(frozen=True)
class LineMagic:
    name: str
    args: list[str]
    line: int  # 1-based line in the cell


@dataclass(frozen=True)
class ShellCommand:
    argv: list[str]
    line: int


@dataclass
class ParsedInput:
    """What a cell asks for: an optional cell magic, line magics/shell commands in order, and Go code."""

    cell_magic: str | None = None
    cell_magic_args: str = ""
    commands: list[LineMagic | ShellCommand] = field(default_factory=list)
    code: str = ""  # Go source with magic lines blanked, so Go line numbers still match the cell's


def parse(cell: str) -> ParsedInput:
    lines = cell.split("\n")
    out = ParsedInput()
    first = 0
    # Skip leading blank lines before a cell magic.
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first < len(lines) and lines[first].startswith("%%"):
        head = lines[first][2:].split(None, 1)
        name = head[0] if head else ""
        if name not in CELL_MAGICS:
            raise MagicError(f"unknown cell magic %%{name}; known: " + ", ".join(f"%%{m}" for m in CELL_MAGICS))
        out.cell_magic = name
        out.cell_magic_args = head[1] if len(head) > 1 else ""
        lines[first] = ""
    for i, text in enumerate(lines):
        if text.startswith("%") and not text.startswith("%%"):
            try:
                words = shlex.split(text[1:])
            except ValueError as e:
                raise MagicError(f"line {i + 1}: {e}") from None
            if not words:
                raise MagicError(f"line {i + 1}: empty magic")
            if words[0] not in LINE_MAGICS:
                raise MagicError(f"line {i + 1}: unknown magic %{words[0]} (try %help)")
            out.commands.append(LineMagic(words[0], words[1:], i + 1))
            lines[i] = ""
        elif text.startswith("!"):
            try:
                argv = shlex.split(text[1:])
            except ValueError as e:
                raise MagicError(f"line {i + 1}: {e}") from None
            if argv:
                out.commands.append(ShellCommand(argv, i + 1))
            lines[i] = ""
        elif text.startswith("%%"):
            raise MagicError(f"line {i + 1}: a cell magic must be the first line of the cell")
    out.code = "\n".join(lines)
    return out
