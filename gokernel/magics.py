"""Split a cell into magics and Go code.

A line starting with `%` or `!` (at column 0) is a magic or a shell command only where Go code could
not continue there: outside raw strings, interpreted strings, rune literals and comments, outside
brackets, and not after a token that leaves an expression open (`x := a &&` + `!b` is Go). Anything
else is Go text, so a raw string or comment holding `!rm FILE` never runs it. A cell magic (`%%test`,
`%%bench`) must be the first line and applies to the whole cell body.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

CELL_MAGICS = ("test", "bench")
LINE_MAGICS = ("ls", "rm", "reset", "scratch", "go", "test", "bench", "help", "lsmagic", "env", "mode", "project")

HELP = """\
gokernel magics
  %%test [flags]     run go test -json (-race when available) with this cell's code; flags: -run -v -short
                     -cover -timeout -shuffle -cpu -failfast -count
  %%bench [flags]    run benchmarks (-bench pattern, -count 5, -benchtime, -cpu, --go A,B to compare toolchains)
  %test / %bench     the same for what the scratch module already holds
  %ls                list the declarations and live values the notebook holds
  %rm NAME [NAME..]  remove declarations (or imports) by name
  %reset             clear declarations and values, stop goroutines (go.mod requirements stay)
  %project [off|DIR] the Go module/workspace the notebook is in, attached so cells import its packages;
                     off detaches; DIR attaches another
  %mode [live|fresh] show or set how cells run: live (one long-lived process: values and goroutines
                     persist) or fresh (each cell a new program)
  %scratch           print the scratch module's directory
  %go list|use V|version|env|offline on|off|install V
                     Go toolchains: list, switch for this notebook, show, environment, offline mode, install
  %env NAME=VALUE    set an environment variable for go and the programs (%env NAME shows one, %env lists)
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


_GO_KEYWORDS = frozenset(
    {
        "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for", "func",
        "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select", "struct",
        "switch", "type", "var",
    }
)  # fmt: skip
# Go inserts a semicolon at a newline after these keywords (and after identifiers, literals, `)`, `]`, `}`,
# `++`, `--`): only then may the next line start a new statement.
_STATEMENT_END_KEYWORDS = frozenset({"break", "continue", "fallthrough", "return"})


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_" or ord(c) > 127


def _skip_quoted(line: str, i: int) -> int:
    """Index after the interpreted string or rune literal starting at `line[i]` (or the line's end)."""
    quote, j = line[i], i + 1
    while j < len(line) and line[j] != quote:
        j += 2 if line[j] == "\\" else 1
    return min(j + 1, len(line))


@dataclass
class _GoLexer:
    """Just enough of Go's tokenizer to tell, line by line, whether a line starts outside Go text."""

    in_raw_string: bool = False
    in_block_comment: bool = False
    depth: int = 0  # open ( [ {
    statement_ended: bool = True  # a newline here would end the statement (or nothing was seen yet)

    def at_statement_start(self) -> bool:
        return not self.in_raw_string and not self.in_block_comment and self.depth == 0 and self.statement_ended

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.in_raw_string:
                end = line.find("`", i)
                if end < 0:
                    return
                self.in_raw_string, self.statement_ended, i = False, True, end + 1
            elif self.in_block_comment:
                end = line.find("*/", i)
                if end < 0:
                    return
                self.in_block_comment, i = False, end + 2
            else:
                i = self._token(line, i)

    def _token(self, line: str, i: int) -> int:
        """Consume one token (or a space) at `line[i]` outside strings and comments; return the next index."""
        c = line[i]
        if c.isspace():
            return i + 1
        if line.startswith("//", i):
            return len(line)
        if line.startswith("/*", i):
            self.in_block_comment = True
            return i + 2
        if c == "`":
            self.in_raw_string = True
            return i + 1
        if c in "\"'":
            self.statement_ended = True
            return _skip_quoted(line, i)
        if _is_word_char(c):
            j = i
            while j < len(line) and _is_word_char(line[j]):
                j += 1
            word = line[i:j]
            self.statement_ended = word not in _GO_KEYWORDS or word in _STATEMENT_END_KEYWORDS
            return j
        if line.startswith(("++", "--"), i):
            self.statement_ended = True
            return i + 2
        if c in "([{":
            self.depth += 1
        elif c in ")]}":
            self.depth = max(0, self.depth - 1)
        self.statement_ended = c in ")]};"
        return i + 1


def _magic_lines(lines: list[str]) -> list[bool]:
    """For each line: does it start with `%` or `!` where no Go code could be (see the module docstring)?"""
    lexer = _GoLexer()
    found: list[bool] = []
    for text in lines:
        magic = text.startswith(("%", "!")) and lexer.at_statement_start()
        found.append(magic)
        if not magic:
            lexer.feed(text)
    return found


def go_source(cell: str) -> str:
    """The cell's Go code with magic and shell lines blanked (line numbers kept); never raises.

    For callers that only need the Go text, such as is_complete, where a malformed magic is no concern.
    """
    lines = cell.split("\n")
    return "\n".join("" if magic else text for text, magic in zip(lines, _magic_lines(lines), strict=True))


def parse(cell: str) -> ParsedInput:
    lines = cell.split("\n")
    is_magic = _magic_lines(lines)
    out = ParsedInput()
    first = 0
    # Skip leading blank lines before a cell magic.
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first < len(lines) and is_magic[first] and lines[first].startswith("%%"):
        head = lines[first][2:].split(None, 1)
        name = head[0] if head else ""
        if name not in CELL_MAGICS:
            raise MagicError(f"unknown cell magic %%{name}; known: " + ", ".join(f"%%{m}" for m in CELL_MAGICS))
        out.cell_magic = name
        out.cell_magic_args = head[1] if len(head) > 1 else ""
        lines[first] = ""
        is_magic[first] = False
    for i, text in enumerate(lines):
        if not is_magic[i]:
            continue
        if text.startswith("%%"):
            raise MagicError(f"line {i + 1}: a cell magic must be the first line of the cell")
        command = _command(text, i + 1)
        if command is not None:
            out.commands.append(command)
        lines[i] = ""
    out.code = "\n".join(lines)
    return out


def _command(text: str, line: int) -> LineMagic | ShellCommand | None:
    """The line magic or shell command of one magic line; None for a bare `!`."""
    try:
        words = shlex.split(text[1:])
    except ValueError as e:
        raise MagicError(f"line {line}: {e}") from None
    if text.startswith("!"):
        return ShellCommand(words, line) if words else None
    if not words:
        raise MagicError(f"line {line}: empty magic")
    if words[0] not in LINE_MAGICS:
        raise MagicError(f"line {line}: unknown magic %{words[0]} (try %help)")
    return LineMagic(words[0], words[1:], line)
