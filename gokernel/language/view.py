"""The Go file gopls sees for the cell being edited, and the map between its positions and the cell's.

The view is one `package main` file: the notebook's imports (with the std packages the kernel imports for
the user added), its declarations, a `var name Type` for each value that lives in the session, and the
cell being edited: its declarations at top level, its statements inside a function. The cell's lines are
copied verbatim in runs, so a cell position maps to the view by a line offset alone (columns unchanged).
Errors in the view (unused imports and variables, redeclarations) do not matter: gopls completes and
hovers through them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .. import cells
from ..decls import DeclStore

FUNC_NAME = "_gkCell"  # the function the cell's statements are wrapped in
_SELECTOR_OPERAND = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\.")
# `func f(` or `func (r T) m(`, not a function literal (`func() {`, `func() (int, error) {`).
_TOP_LEVEL_FUNC = re.compile(r"^\s*func\s*(?:[A-Za-z_]|\([^)]*\)\s*[A-Za-z_]\w*\s*[\[(])")


@dataclass(frozen=True)
class LiveValue:
    """A value of an earlier cell that lives in the session (its type in the notebook's own terms)."""

    name: str
    type: str
    imports: Mapping[str, str]  # package name -> import path the type needs


@dataclass(frozen=True)
class Run:
    """Cell lines [cell_line, cell_line + count) copied to view lines [view_line, view_line + count) (0-based)."""

    view_line: int
    cell_line: int
    count: int


@dataclass
class View:
    text: str
    runs: list[Run] = field(default_factory=list)
    paths: frozenset[str] = frozenset()  # the import paths of the view

    def to_view(self, line: int, column: int) -> tuple[int, int] | None:
        """Cell (line, column) -> view (line, column), 0-based; None when the cell line is not in the view."""
        for r in self.runs:
            if r.cell_line <= line < r.cell_line + r.count:
                return r.view_line + line - r.cell_line, column
        return None

    def to_cell(self, line: int, column: int) -> tuple[int, int] | None:
        for r in self.runs:
            if r.view_line <= line < r.view_line + r.count:
                return r.cell_line + line - r.view_line, column
        return None


def _import_line(name: str | None, path: str) -> str:
    return f'{name} "{path}"' if name else f'"{path}"'


def _line_runs(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted line numbers -> (first, count) runs of consecutive lines."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(lines)):
        if runs and runs[-1][0] + runs[-1][1] == n:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((n, 1))
    return runs


def _lines_of(piece_line: int, source: str) -> range:
    """0-based cell lines of a declaration or statement that starts at 1-based `piece_line`."""
    return range(piece_line - 1, piece_line - 1 + source.count("\n") + 1)


def compose_view(
    cell: str,
    cursor_line: int,
    store: DeclStore,
    live_values: Iterable[LiveValue],
    std: Mapping[str, str],
    keep_paths: Iterable[str] = (),
) -> View:
    """The view for `cell` (Go source, magic lines blanked) being edited at 0-based `cursor_line`.

    `keep_paths` are imported blank when nothing refers to them: gopls reloads package metadata (`go list`,
    ~1 s) whenever the set of import paths of a file changes, so keeping the paths of earlier views (and
    commonly used std packages) in every view makes the next `bytes.` instant.
    """
    lines = cell.split("\n")
    parsed = cells.split(cell)
    if parsed.has_package_clause:  # a whole Go file: gopls sees it as it is
        paths = frozenset(i.path for i in parsed.imports)
        return View(cell if cell.endswith("\n") else cell + "\n", [Run(0, 0, len(lines))], paths)

    decl_lines: set[int] = set()
    for d in parsed.decls:
        decl_lines.update(_lines_of(d.line, d.source))
    stmt_lines: set[int] = set()
    for s in parsed.statements:
        stmt_lines.update(_lines_of(s.line, s.source))
    stmt_lines -= decl_lines
    import_lines = {i.line - 1 for i in parsed.imports}
    if cursor_line not in decl_lines | stmt_lines | import_lines and 0 <= cursor_line < len(lines):
        stmt_lines.add(cursor_line)  # a blank or comment line: the user is writing a statement
    # An unfinished `func f() { ...` is an error node to tree-sitter, so a statement: it belongs at top level.
    for first, count in _line_runs(stmt_lines):
        if _TOP_LEVEL_FUNC.match(lines[first]):
            block = set(range(first, first + count))
            stmt_lines -= block
            decl_lines |= block

    cell_names = {n for d in parsed.decls for n in d.names}
    kept = [d for d in store.decls if d.decl.kind != "test" and not cell_names.intersection(d.decl.names)]
    top_names = {n for d in kept if d.decl.kind != "method" for n in d.decl.names} | cell_names
    values = [v for v in live_values if v.name not in top_names]
    top_names |= {v.name for v in values}

    imports: dict[str, str] = {}  # import line -> its path
    bound: set[str] = set()
    for imp in [i.imp for i in store.imports] + list(parsed.imports):
        if imp.path == "C":
            continue  # cgo needs its preamble and a C compiler; completion can do without it
        imports[_import_line(imp.name, imp.path)] = imp.path
        bound.add(imp.ident)
    for v in values:
        for pkg, path in v.imports.items():
            if pkg not in bound:
                imports[_import_line(None if cells.guess_package_name(path) == pkg else pkg, path)] = path
                bound.add(pkg)
    # The kernel imports std packages (and `display`) for the user: `strings.` must complete without an import.
    wanted: set[str] = set()
    for kd in kept:
        wanted |= kd.decl.refs
    wanted |= set(_SELECTOR_OPERAND.findall(cell))
    for name in sorted(wanted - bound - top_names):
        std_path = std.get(name)
        if std_path is not None:
            imports[_import_line(None if cells.guess_package_name(std_path) == name else name, std_path)] = std_path
    named = set(imports.values())
    for path in sorted(set(keep_paths) - named - {"C"}):
        imports[_import_line("_", path)] = path

    out: list[str] = ["// Code generated by gokernel for the language server. DO NOT EDIT.", "package main", ""]
    if imports:
        out += ["import (", *(f"\t{line}" for line in sorted(imports)), ")", ""]
    for kd in kept:
        out += [*kd.decl.source.split("\n"), ""]
    for v in values:
        out.append(f"var {v.name} {v.type}")
    out.append("")

    runs: list[Run] = []

    def copy(line_set: set[int]) -> None:
        for first, count in _line_runs(line_set):
            runs.append(Run(len(out), first, count))
            out.extend(lines[first : first + count])

    copy(decl_lines)
    out.append(f"func {FUNC_NAME}() {{")
    copy(stmt_lines)
    out.append("}")
    return View("\n".join(out) + "\n", runs, frozenset(imports.values()))


def offset_to_position(text: str, offset: int) -> tuple[int, int]:
    """Code point offset (what Jupyter sends) -> 0-based (line, column in code points)."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start


def position_to_offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    if line >= len(lines):
        return len(text)
    return sum(len(x) + 1 for x in lines[:line]) + min(column, len(lines[line]))


def utf16_column(line_text: str, column: int) -> int:
    """Code points -> UTF-16 code units (LSP's default position encoding)."""
    return len(line_text[:column].encode("utf-16-le")) // 2


def column_from_utf16(line_text: str, units: int) -> int:
    count = 0
    for i, ch in enumerate(line_text):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(line_text)
