"""Real programs run as a notebook would run them, compared with `go run` of the same source.

Notebook mode: the declarations in one cell, then main's body one statement per cell (live session: values
carry from cell to cell). A declaration per cell: the same with each import, type, func, var and const in a
cell of its own (an interface in one cell, its implementations in others). File mode: the whole program as one
cell, in the live session and in fresh mode.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_go

from gokernel import toolchains
from gokernel.executor import GoSession
from gokernel.scratch import ScratchModule
from tests.go_programs import GOROOT_PROGRAMS, PROGRAMS
from tests.test_live_rewrite import RecordingIO


@cache
def go_run(name: str) -> str:
    tc = toolchains.active()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.go").write_text({**PROGRAMS, **GOROOT_PROGRAMS}[name])
        env = toolchains.go_environ(tc)
        res = subprocess.run([tc.go, "run", "main.go"], cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout


def notebook_cells(source: str) -> list[str]:
    """[everything but func main] + one cell per statement of main's body."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))
    data = source.encode()
    root = parser.parse(data).root_node
    main = next(
        n
        for n in root.named_children
        if n.type == "function_declaration" and (name := n.child_by_field_name("name")) and name.text == b"main"
    )
    decls = (data[: main.start_byte] + data[main.end_byte :]).decode().replace("package main", "", 1)
    body = main.child_by_field_name("body")
    assert body is not None
    # tree-sitter-go puts a block's statements in a statement_list
    nodes = [c for n in body.named_children for c in (n.named_children if n.type == "statement_list" else [n])]
    statements = [data[n.start_byte : n.end_byte].decode() for n in nodes if n.type != "comment"]
    return [decls, *statements]


def declaration_cells(source: str) -> list[str]:
    """One cell per top-level declaration (func main's body as in notebook_cells)."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))
    data = source.encode()
    decls = []
    for n in parser.parse(data).root_node.named_children:
        name = n.child_by_field_name("name")
        if n.type in ("package_clause", "comment") or (
            n.type == "function_declaration" and name and name.text == b"main"
        ):
            continue
        decls.append(data[n.start_byte : n.end_byte].decode())
    return [*decls, *notebook_cells(source)[1:]]


def run_cells(session: GoSession, cells: list[str], first: int) -> str:
    out: list[str] = []
    for i, code in enumerate(cells, first):
        io = RecordingIO()
        outcome = session.execute(code, i, io)
        assert outcome.ok, (outcome.ename, outcome.evalue, outcome.traceback, code)
        out.extend(io.out)
    return "".join(out)


@pytest.fixture(scope="module")
def session() -> Iterator[GoSession]:
    s = GoSession(ScratchModule(Path(tempfile.mkdtemp(prefix="gk-programs-"))))
    yield s
    s.shutdown()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_notebook_mode_matches_go_run(session: GoSession, name: str) -> None:
    session.execute("%reset", 1, RecordingIO())
    assert run_cells(session, notebook_cells(PROGRAMS[name]), 100) == go_run(name)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_declaration_per_cell_matches_go_run(session: GoSession, name: str) -> None:
    session.execute("%reset", 1, RecordingIO())
    cells = declaration_cells(PROGRAMS[name])
    assert len(cells) > len(notebook_cells(PROGRAMS[name]))  # really split
    assert run_cells(session, cells, 300) == go_run(name)


@pytest.mark.parametrize("mode", ["live", "fresh"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_file_mode_matches_go_run(session: GoSession, name: str, mode: str) -> None:
    session.execute(f"%reset\n%mode {mode}", 1, RecordingIO())
    try:
        assert run_cells(session, [PROGRAMS[name]], 500) == go_run(name)
    finally:
        session.execute("%mode live", 2, RecordingIO())


@pytest.mark.parametrize("name", sorted(GOROOT_PROGRAMS))
def test_goroot_program_in_notebook_mode_matches_go_run(session: GoSession, name: str) -> None:
    session.execute("%reset", 1, RecordingIO())
    assert run_cells(session, notebook_cells(GOROOT_PROGRAMS[name]), 100) == go_run(name)
