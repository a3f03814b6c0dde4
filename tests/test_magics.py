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
