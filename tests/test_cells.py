"""The cell splitter, is_complete and the declaration store (pure Python, no toolchain)."""

from __future__ import annotations

import pytest

from gokernel.cells import Import, ParsedCell, guess_package_name, is_complete, split
from gokernel.decls import DeclStore


def kinds(cell: ParsedCell) -> list[tuple[str, tuple[str, ...]]]:
    return [(d.kind, d.names) for d in cell.decls]


def test_issue_example_cells() -> None:
    c1 = split(
        'import "strings"\n'
        "type Point struct{X, Y int}\n"
        "func (p Point) Norm1() int { return abs(p.X)+abs(p.Y) }\n"
        "func abs(x int) int {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}\n"
    )
    assert c1.imports == (Import("strings", None, 1),)
    assert kinds(c1) == [("type", ("Point",)), ("method", ("Point.Norm1",)), ("func", ("abs",))]
    assert [d.line for d in c1.decls] == [2, 3, 4]
    assert c1.statements == () and c1.trailing_expr is None
    assert c1.decls[1].refs == frozenset()  # p.X: p is the receiver, not a package

    c2 = split('p := Point{3, -4}\nfmt.Println(p.Norm1(), strings.Repeat("go", 2))\n')
    assert [s.line for s in c2.statements] == [1, 2]
    assert c2.defines == ("p",)
    assert c2.refs == {"fmt", "strings"}
    # The trailing expression is also the last statement.
    assert c2.trailing_expr is c2.statements[-1]
    assert c2.trailing_callee == "fmt.Println" and c2.trailing_is_call


def test_generics_and_generic_method_receivers() -> None:
    cell = split(
        "type Stack[T any] struct{ xs []T }\n"
        "func (s *Stack[T]) Push(v T) { s.xs = append(s.xs, v) }\n"
        "func (s Stack[T]) Len() int { return len(s.xs) }\n"
        "func Max[T cmp.Ordered](a, b T) T { return max(a, b) }\n"
        "type Pair[K comparable, V any] struct{ k K; v V }\n"
        "func (p *Pair[K, V]) Key() K { return p.k }\n"
    )
    assert kinds(cell) == [
        ("type", ("Stack",)),
        ("method", ("Stack.Push",)),
        ("method", ("Stack.Len",)),
        ("func", ("Max",)),
        ("type", ("Pair",)),
        ("method", ("Pair.Key",)),
    ]
    assert cell.decls[3].refs == {"cmp"}


def test_raw_strings_with_braces_and_comments() -> None:
    src = "// leading comment\nvar tmpl = `}{ not code }`\n/* block\n} */\nfmt.Println(tmpl) // trailing }\n"
    cell = split(src)
    assert kinds(cell) == [("var", ("tmpl",))]
    # The doc comment directly above belongs to the declaration (keeps //go:embed and friends working).
    assert cell.decls[0].source.startswith("// leading comment\nvar tmpl")
    assert cell.decls[0].line == 1
    assert [(s.source, s.line) for s in cell.statements] == [("fmt.Println(tmpl)", 5)]
    assert is_complete(src) == "complete"


def test_only_comments() -> None:
    cell = split("// nothing here\n/* still nothing */\n")
    assert cell.decls == () and cell.statements == () and cell.imports == ()
    assert cell.trailing_expr is None and not cell.has_error


def test_var_const_blocks_and_blank() -> None:
    cell = split(
        "var (\n\ta, b = 1, 2\n\tc string\n)\nconst (\n\tRed = iota\n\tGreen\n\tBlue\n)\nvar _ fmt.Stringer = nil\n"
    )
    assert kinds(cell) == [("var", ("a", "b", "c")), ("const", ("Red", "Green", "Blue")), ("var", ())]
    assert [d.line for d in cell.decls] == [1, 5, 10]
    assert cell.decls[2].refs == {"fmt"}
    assert split("p := Point{X: Sqrt(2)}\nvar t testing.T").statements[0].exported_idents == {"Point", "X", "Sqrt"}


def test_top_level_statements_of_all_sorts() -> None:
    src = (
        "x, _ := 1, 2\n"
        "outer:\n"
        "for i := 0; i < 3; i++ {\n\tif i == 1 { break outer }\n}\n"
        "go func() { ch <- 1 }()\n"
        "func() { defer fmt.Println(x) }()\n"
        "select {\ncase v := <-ch:\n\t_ = v\ndefault:\n}\n"
        'defer fmt.Println("bye")\n'
        "f := p.Norm1\n"
        "f()\n"
    )
    cell = split(src)
    assert cell.decls == ()
    assert [s.line for s in cell.statements] == [1, 2, 6, 7, 8, 13, 14, 15]
    assert cell.statements[1].source.startswith("outer:\nfor i")
    assert cell.defines == ("x", "f")  # not i, v (inner scopes) nor _
    assert cell.refs == {"fmt", "p"}  # p is not local: the composer resolves it against the store
    assert cell.trailing_expr is not None and cell.trailing_callee == "f"


@pytest.mark.parametrize(
    "source",
    [
        "switch list := x.(type) {\ncase int:\n\tlist.Foo()\n}",
        "for _, list := range xs {\n\tlist.Foo()\n}",
        "select {\ncase list, ok := <-ch:\n\t_ = ok\n\tlist.Foo()\n}",
        "func(list T) { list.Foo() }(x)",
        "if list := f(); list != nil {\n\tlist.Foo()\n}",
        "func() {\n\tvar list T\n\tlist.Foo()\n}()",
    ],
)
def test_locals_are_not_package_references(source: str) -> None:
    # A local named like a std package must never trigger an auto-import ("imported and not used").
    assert "list" not in split(source).refs


def test_trailing_expressions() -> None:
    assert split("x * 2").trailing_expr is not None
    assert split("x * 2").trailing_callee is None and not split("x * 2").trailing_is_call
    assert split("p.Sum()").trailing_callee == "p.Sum"
    assert split("(p.Sum())").trailing_callee == "p.Sum"
    assert split("x := 2").trailing_expr is None
    assert split("x = 2").trailing_expr is None
    # Ends with a declaration, not an expression.
    assert split("x\nfunc f() {}").trailing_expr is None
    # A trailing comment does not hide the expression.
    assert split("x // the answer").trailing_expr is not None


def test_full_package_main_file_with_init_and_tests() -> None:
    cell = split(
        "package main\n\n"
        'import (\n\t"fmt"\n\tstr "strings"\n\t_ "embed"\n\t. "math"\n\t"gopkg.in/yaml.v3"\n)\n\n'
        'func init() { fmt.Println("init") }\n'
        'func main() {\n\tfmt.Println(str.ToUpper("hi"), Pi)\n}\n'
        "func TestAdd(t *testing.T) {}\n"
        "func BenchmarkAdd(b *testing.B) {}\n"
        "func FuzzAdd(f *testing.F) {}\n"
        "func ExampleAdd() {}\n"
        "func Testify() {}\n"
        "func TestData() []int { return nil }\n"
    )
    assert cell.has_package_clause
    assert [(i.path, i.name, i.ident, i.line) for i in cell.imports] == [
        ("fmt", None, "fmt", 4),
        ("strings", "str", "str", 5),
        ("embed", "_", "_", 6),
        ("math", ".", ".", 7),
        ("gopkg.in/yaml.v3", None, "yaml", 8),
    ]
    assert kinds(cell) == [
        ("init", ("init",)),
        ("main", ("main",)),
        ("test", ("TestAdd",)),
        ("test", ("BenchmarkAdd",)),
        ("test", ("FuzzAdd",)),
        ("test", ("ExampleAdd",)),
        ("func", ("Testify",)),
        ("func", ("TestData",)),
    ]
    assert cell.tests == ("TestAdd", "BenchmarkAdd", "FuzzAdd", "ExampleAdd")
    assert cell.statements == ()


@pytest.mark.parametrize(
    ("path", "ident"),
    [
        ("fmt", "fmt"),
        ("math/rand/v2", "rand"),
        ("github.com/go-yaml/yaml/v3", "yaml"),
        ("gopkg.in/yaml.v3", "yaml"),
        ("github.com/mattn/go-sqlite3", "sqlite3"),
        ("github.com/x/ginkgo-go", "ginkgo"),
    ],
)
def test_import_ident_guess(path: str, ident: str) -> None:
    assert guess_package_name(path) == ident
    assert Import(path, None, 1).ident == ident
    assert Import(path, "alias", 1).ident == "alias"


def test_bad_syntax_never_raises_and_keeps_lines() -> None:
    cell = split("x := 1\nfunc broken( {\n}\ny := x +\n")
    assert cell.has_error
    all_lines = sorted([s.line for s in cell.statements] + [d.line for d in cell.decls])
    assert all_lines[0] == 1 and all(1 <= n <= 4 for n in all_lines)
    split("}}}{{{")  # no exception
    split("")


def test_columns_are_preserved() -> None:
    cell = split("a := 1; b := 2\n  fmt.Println(a, b)")
    assert [s.source for s in cell.statements] == ["a := 1", "        b := 2", "  fmt.Println(a, b)"]
    assert [s.line for s in cell.statements] == [1, 1, 2]


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("", "complete"),
        ("x := 1", "complete"),
        ("i++", "complete"),
        ("func f() {", "incomplete"),
        ("fmt.Println(1,", "incomplete"),
        ("xs := []int{\n1, 2,", "incomplete"),
        ("s := `raw\n", "incomplete"),
        ("/* open comment", "incomplete"),
        ("x := 1 +", "incomplete"),
        ("ok := a &&", "incomplete"),
        ("x :=", "incomplete"),
        ("x := 1 // trailing +", "complete"),
        ('s := "}"', "complete"),
        ("r := '{'", "complete"),
        ("if x {\n} else", "incomplete"),
        ("defer", "incomplete"),
        ("outer:", "incomplete"),
        ("return", "complete"),
        ("x.defer2", "complete"),
        ("elsewhere", "complete"),
        ("}", "invalid"),
        ("f(]", "invalid"),
        ('s := "unterminated\n', "invalid"),
    ],
)
def test_is_complete(source: str, status: str) -> None:
    assert is_complete(source) == status


# ---- DeclStore --------------------------------------------------------------------------------
def test_store_redefinition_replaces_and_is_immutable() -> None:
    s0 = DeclStore()
    s1 = s0.apply(split("func f() int { return 1 }\nvar (a, b = 1, 2)\ntype T int"), 1)
    s2 = s1.apply(split("func f() int { return 2 }\nvar b = 3"), 2)
    assert s0.listing() == []
    assert s1.listing() == [("func", "f", 1), ("var", "a", 1), ("var", "b", 1), ("type", "T", 1)]
    # The `var (a, b)` block goes whole when b is redefined; order is definition order.
    assert s2.listing() == [("type", "T", 1), ("func", "f", 2), ("var", "b", 2)]
    assert [d.decl.source for d in s2.decls if d.decl.names == ("f",)] == ["func f() int { return 2 }"]


def test_store_imports_merge_by_ident() -> None:
    s = DeclStore().apply(split('import (\n\t"math/rand"\n\t_ "embed"\n\t"fmt"\n)'), 1)
    s = s.apply(split('import "math/rand/v2"\nimport _ "image/png"'), 2)
    assert s.listing() == [
        ("import", "_ embed", 1),
        ("import", "fmt", 1),
        ("import", "math/rand/v2", 2),
        ("import", "_ image/png", 2),
    ]


def test_store_skips_main_keeps_init_funcs_and_tests() -> None:
    s = DeclStore().apply(split("func main() {}\nfunc init() {}\nfunc TestX(t *testing.T) {}\nx := 1"), 3)
    assert s.listing() == [("init", "init", 3), ("test", "TestX", 3)]
    # Every cell's init funcs are kept (a package may have many); running the same one again replaces it.
    s = s.apply(split("func init() { println(1) }"), 4).apply(split("func init() {}"), 5)
    assert s.listing() == [("test", "TestX", 3), ("init", "init", 4), ("init", "init", 5)]
    assert [d.decl.kind for d in s.remove("init").decls] == ["test"]


def test_store_same_name_twice_in_one_cell_is_left_to_the_compiler() -> None:
    s = DeclStore().apply(split("func f() {}\nfunc f() {}"), 1)
    assert len(s.decls) == 2


def test_store_remove_and_reset() -> None:
    s = DeclStore().apply(
        split('import s "strings"\ntype T int\nfunc (T) M() {}\nfunc g() {}\nvar _ = g'),
        1,
    )
    assert s.remove("T").listing() == [("import", "s strings", 1), ("func", "g", 1), ("var", "_", 1)]
    assert s.remove("s").listing()[0] == ("type", "T", 1)
    assert s.remove("strings").listing() == s.remove("s").listing()
    assert s.remove("T.M").listing() == [
        ("import", "s strings", 1),
        ("type", "T", 1),
        ("func", "g", 1),
        ("var", "_", 1),
    ]
    with pytest.raises(KeyError):
        s.remove("nope")
    assert s.reset().listing() == []
    assert len(s.listing()) == 5  # the original never changes


@pytest.mark.parametrize(
    "source, preamble, line",
    [
        ('// int twice(int x) { return 2*x; }\nimport "C"', "// int twice(int x) { return 2*x; }", 1),
        ('x := 1\n\n/*\n#include <stdio.h>\n*/\nimport "C"', "/*\n#include <stdio.h>\n*/", 3),
        ('// a\n// b\nimport (\n\t"C"\n)', "// a\n// b", 1),
        ('import (\n\t"fmt" // fmt\n\t// int f(void);\n\t"C"\n)', " // int f(void);", 3),
        ('// about fmt\n\nimport "C"', "", 0),  # a blank line: not cgo's preamble
        ('import (\n\t"fmt" // fmt\n\t"C"\n)', "", 0),  # the previous spec's comment
    ],
)
def test_cgo_preamble_travels_with_import_c(source: str, preamble: str, line: int) -> None:
    (imp,) = [i for i in split(source).imports if i.path == "C"]
    assert (imp.preamble, imp.preamble_line) == (preamble, line)


def test_store_remove_blank_declarations_listed_as_underscore() -> None:
    cell = 'import _ "embed"\nfunc g() int { return 1 }\nvar _ = g\nvar _ = g()\nvar _, x = 1, 2'
    s = DeclStore().apply(split(cell), 1)
    assert [row[1] for row in s.listing()] == ["_ embed", "g", "_", "_", "x"]
    assert [row[1] for row in s.remove("_").listing()] == ["_ embed", "g", "x"]
    assert [row[1] for row in s.remove("_ embed").listing()] == ["g", "_", "_", "x"]
    with pytest.raises(KeyError):
        s.remove("_").remove("_")
