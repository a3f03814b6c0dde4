from __future__ import annotations

import pytest

from gokernel import magics


def test_cell_magic_and_code_keep_line_numbers() -> None:
    p = magics.parse("%%test -run TestX -v\nfunc TestX(t *testing.T) {}\n")
    assert p.cell_magic == "test" and p.cell_magic_args == "-run TestX -v"
    assert p.code.split("\n")[1] == "func TestX(t *testing.T) {}"
    assert p.code.split("\n")[0] == ""


def test_line_magics_and_shell_commands_in_order() -> None:
    p = magics.parse('%go use 1.22\n!go get "example.com/m@v1.0.0"\nfmt.Println(1)')
    assert [type(c).__name__ for c in p.commands] == ["LineMagic", "ShellCommand"]
    assert p.commands[0].args == ["use", "1.22"]  # type: ignore[union-attr]
    assert p.commands[1].argv == ["go", "get", "example.com/m@v1.0.0"]  # type: ignore[union-attr]
    assert p.code == "\n\nfmt.Println(1)"


@pytest.mark.parametrize(
    "cell, message",
    [
        ("%%nope\nx", "unknown cell magic"),
        ("%frob", "unknown magic %frob"),
        ("x := 1\n%%test", "first line"),
        ("%go 'open", "line 1"),
    ],
)
def test_bad_magics_get_clear_errors(cell: str, message: str) -> None:
    with pytest.raises(magics.MagicError, match=message):
        magics.parse(cell)


# Cells whose `!`/`%` lines are Go text: a raw string, a block comment, a continued expression, a composite
# literal. None of them may run a command, and the Go code must reach the compiler unchanged.
GO_TEXT_CELLS = [
    "s := `a\n!rm FILE\nb`\nfmt.Println(s)",
    "/*\n%reset\n*/\nx := 1",
    "/* one line */ /*\n!rm FILE\n%reset */",
    "ok := a &&\n!b",
    "bs := []bool{\n!a,\n}",
    "if\n!done {\n}",
    "f(\n!x)",
    "s := `x` + `\n%ls\n`",
]


@pytest.mark.parametrize("cell", GO_TEXT_CELLS)
def test_magic_lines_inside_go_text_are_go(cell: str) -> None:
    p = magics.parse(cell)
    assert p.commands == [] and p.cell_magic is None
    assert p.code == cell
    assert magics.go_source(cell) == cell


def test_magics_after_go_text_still_run_and_strings_do_not_confuse_the_scan() -> None:
    cell = "\n".join(
        [
            "s := `a",  # 1: a raw string that spans lines
            "!rm FILE",
            "b`",
            "%ls",  # 4: after the raw string closed
            'q := "`" + \'"\' + "\\"/*"',  # 5: quotes, escapes and comment markers inside literals
            "!echo one",  # 6
            "// a line comment `",  # 7: a backtick in a line comment opens nothing
            "%rm x",  # 8
            "return",  # 9: a newline after return ends the statement
            "!echo two",  # 10
        ]
    )
    p = magics.parse(cell)
    assert [c.line for c in p.commands] == [4, 6, 8, 10]
    lines = p.code.split("\n")
    assert lines[1] == "!rm FILE" and lines[3] == "" and lines[5] == "" and lines[7] == "" and lines[9] == ""


def test_go_source_blanks_magics_and_ignores_malformed_ones() -> None:
    assert magics.go_source("%%test\n%frob 'open\n!x\nfunc TestA(t *testing.T) {}") == (
        "\n\n\nfunc TestA(t *testing.T) {}"
    )


def test_cell_magic_text_inside_a_raw_string_is_not_misplaced() -> None:
    p = magics.parse("s := `\n%%test\n`")
    assert p.cell_magic is None and p.commands == []
