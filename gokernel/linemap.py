"""Map positions in generated Go files back to notebook cells.

The composer records, for each generated line, which cell (execution count) and which
line of that cell it came from. Everything that reports positions (compiler, panics,
race detector, t.Errorf) is rewritten through one map so users only ever see cell lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# `./main.go:12:5`, `/tmp/x/main.go:12 +0x1d`, `main_test.go:40:`; the file name is captured
# without its directory. Only our generated files are mapped.
_POSITION = re.compile(
    r"(?<![\w.-])(?P<prefix>(?:[^\s:'\"()]*/)?)(?P<file>main(?:_test)?\.go):(?P<line>\d+)(?::(?P<col>\d+))?"
)


@dataclass(frozen=True)
class CellLoc:
    cell: int
    line: int
    column: int | None = None

    def __str__(self) -> str:
        base = f"cell[{self.cell}] line {self.line}"
        return f"{base}:{self.column}" if self.column is not None else base


@dataclass
class LineMap:
    _lines: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)

    def add(self, filename: str, gen_line: int, loc: CellLoc) -> None:
        self._lines.setdefault(filename, {})[gen_line] = (loc.cell, loc.line)

    def add_block(self, filename: str, first_gen_line: int, cell: int, first_cell_line: int, count: int) -> None:
        """Map `count` consecutive generated lines to consecutive cell lines."""
        table = self._lines.setdefault(filename, {})
        for i in range(count):
            table[first_gen_line + i] = (cell, first_cell_line + i)

    def lookup(self, filename: str, line: int, column: int | None = None) -> CellLoc | None:
        name = filename.rsplit("/", 1)[-1]
        hit = self._lines.get(name, {}).get(line)
        if hit is None:
            return None
        return CellLoc(hit[0], hit[1], column)

    def rewrite(self, text: str) -> str:
        """Replace generated-file positions in `text` with cell positions; unknown lines stay as they are."""

        def repl(m: re.Match[str]) -> str:
            col = int(m["col"]) if m["col"] else None
            loc = self.lookup(m["file"], int(m["line"]), col)
            return str(loc) if loc else m.group(0)

        return _POSITION.sub(repl, text)


# `cell3.go:5:2`: positions in files whose `//line` directives name the cell (the live session's packages).
_CELL_FILE_POSITION = re.compile(r"(?<![\w.-])(?:[^\s:'\"()]*/)?cell(?P<cell>\d+)\.go:(?P<line>\d+)(?::(?P<col>\d+))?")


class CellFileMap(LineMap):
    """Positions in `cellN.go` files are already cell positions: the compiler read them from `//line`."""

    def lookup(self, filename: str, line: int, column: int | None = None) -> CellLoc | None:
        m = re.fullmatch(r"cell(\d+)\.go", filename.rsplit("/", 1)[-1])
        return CellLoc(int(m[1]), line, column) if m else super().lookup(filename, line, column)

    def rewrite(self, text: str) -> str:
        def repl(m: re.Match[str]) -> str:
            col = int(m["col"]) if m["col"] else None
            return str(CellLoc(int(m["cell"]), int(m["line"]), col))

        return _CELL_FILE_POSITION.sub(repl, super().rewrite(text))
