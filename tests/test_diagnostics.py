"""Compiler output -> Diagnostics mapped to cells; real `go build` output for the compile-error case."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gokernel.diagnostics import Diagnostic, format_diagnostics, parse_build_output
from gokernel.linemap import CellLoc, LineMap
from tests.conftest_gotest import GO


def _linemap() -> LineMap:
    lm = LineMap()
    lm.add_block("main.go", 10, 3, 1, 5)  # main.go lines 10..14 are cell[3] lines 1..5
    lm.add_block("main_test.go", 4, 7, 2, 3)
    return lm


def test_positions_are_mapped_and_headers_skipped() -> None:
    text = (
        "# scratch\n"
        "./main.go:12:5: undefined: x\n"
        "./main_test.go:5:2: declared and not used: y\n"
        "main.go:99:1: missing return\n"
    )
    diags = parse_build_output(text, _linemap())
    assert [str(d) for d in diags] == [
        "cell[3] line 3:5: undefined: x",
        "cell[7] line 3:2: declared and not used: y",
        "main.go:99:1: missing return",  # a generated line no cell owns stays as it is
    ]
    assert diags[0] == Diagnostic("undefined: x", "main.go", 12, 5, CellLoc(3, 3, 5))


def test_unpositioned_lines_are_kept_with_line_zero() -> None:
    text = "go: downloading example.com/m v1.0.0\ngo: example.com/m@v1.0.0: missing go.sum entry\n"
    diags = parse_build_output(text, _linemap())
    assert [(d.line, d.loc, d.message) for d in diags] == [
        (0, None, "go: downloading example.com/m v1.0.0"),
        (0, None, "go: example.com/m@v1.0.0: missing go.sum entry"),
    ]
    assert format_diagnostics(diags) == text.strip()


def test_continuation_lines_join_their_diagnostic() -> None:
    text = "./main.go:11:9: cannot use s (variable of type string) as int value in return statement\n\thave (string)\n"
    diags = parse_build_output(text, _linemap())
    assert len(diags) == 1
    assert diags[0].message.endswith("\nhave (string)")


def test_real_go_build_output(tmp_path: Path) -> None:
    if not Path(GO).exists():
        pytest.skip(f"no Go toolchain at {GO}")
    (tmp_path / "go.mod").write_text("module scratch\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {\n\tvar s string = 1\n\tundefinedFn()\n}\n")
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOPROXY": "off"}
    res = subprocess.run([GO, "build", "."], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
    lm = LineMap()
    lm.add_block("main.go", 1, 4, 1, 6)
    diags = parse_build_output(res.stderr, lm)
    assert [d.loc for d in diags] == [CellLoc(4, 4, 6), CellLoc(4, 4, 17), CellLoc(4, 5, 2)]
    assert str(diags[2]) == "cell[4] line 5:2: undefined: undefinedFn"
    assert not any(d.message.startswith("#") for d in diags)
