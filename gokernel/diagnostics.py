"""Compiler / vet output -> Diagnostic model.

API:
    Diagnostic(message, file, line, column, loc)   str(d) -> "cell[3] line 5:7: undefined: x"
    parse_build_output(text, linemap) -> list[Diagnostic]
        `# pkg` headers are skipped; lines without a position (go: downloading, module errors)
        are kept as Diagnostic with file "" and line 0.
    format_diagnostics(diags) -> str   plain text, one per line
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from gokernel.linemap import CellLoc, LineMap

# `./main_test.go:12:5: msg`, `main.go:3: msg`, `/abs/dir/main.go:7:2: msg`
_POSITIONED = re.compile(r"^(?P<file>[^\s:]+\.go):(?P<line>\d+)(?::(?P<col>\d+))?:\s?(?P<msg>.*)$")


@dataclass
class Diagnostic:
    message: str
    file: str = ""
    line: int = 0
    column: int | None = None
    loc: CellLoc | None = None

    def __str__(self) -> str:
        if self.loc is not None:
            where = f"cell[{self.loc.cell}] line {self.loc.line}"
            if self.column is not None:
                where += f":{self.column}"
            return f"{where}: {self.message}"
        if self.line:
            col = f":{self.column}" if self.column is not None else ""
            return f"{self.file}:{self.line}{col}: {self.message}"
        return self.message

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = str(self)
        return data


def parse_build_output(text: str, linemap: LineMap) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.startswith("# "):
            continue
        m = _POSITIONED.match(line.strip())
        if m is None:
            # Continuation lines of a multi-line message (tab-indented) belong to the previous diagnostic.
            if raw.startswith("\t") and diags and diags[-1].line:
                diags[-1].message += "\n" + linemap.rewrite(line.strip())
            else:
                diags.append(Diagnostic(message=linemap.rewrite(line.strip())))
            continue
        file = m["file"].rsplit("/", 1)[-1]
        lineno = int(m["line"])
        col = int(m["col"]) if m["col"] else None
        diags.append(
            Diagnostic(
                message=linemap.rewrite(m["msg"]),
                file=file,
                line=lineno,
                column=col,
                loc=linemap.lookup(file, lineno, col),
            )
        )
    return diags


def format_diagnostics(diags: Iterable[Diagnostic]) -> str:
    return "\n".join(str(d) for d in diags)
