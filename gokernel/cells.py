"""Split a notebook cell into imports, declarations and top-level statements.

A cell is plain Go without `package`/`func main`; tree-sitter-go's `source_file` accepts top-level
statements mixed with declarations, which is exactly a cell. Splitting never raises: on bad syntax
the pieces are a best effort and the Go compiler reports the error at the right cell line.

Every `source` keeps the cell's columns: its first line is padded with spaces up to the column where
the node started, so compiler columns (bytes) stay right after composing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache

import tree_sitter
import tree_sitter_go

DECL_KINDS = ("func", "method", "type", "var", "const", "test", "init", "main")
# Kinds kept by the declaration store: every program of a notebook carries its init funcs too (Go runs them
# after the package variables are initialised); "main" runs only with its own cell.
PERSISTED_KINDS = frozenset({"func", "method", "type", "var", "const", "test", "init"})

_VERSION_SUFFIX = re.compile(r"^v\d+$")
_TEST_PREFIX = re.compile(r"^(Test|Benchmark|Fuzz|Example)(?![a-z])")
_TEST_PARAM = {"Test": "testing.T", "Benchmark": "testing.B", "Fuzz": "testing.F"}


@dataclass(frozen=True)
class Import:
    path: str
    name: str | None  # alias, "_" or "."; None when the import has no name
    line: int
    # For `import "C"`: the comment directly above it (cgo's preamble, columns kept) and its first cell line.
    preamble: str = ""
    preamble_line: int = 0

    @property
    def ident(self) -> str:
        """The identifier code uses for this import: the alias, else a guess from the path."""
        if self.name:
            return self.name
        return guess_package_name(self.path)


def guess_package_name(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return path
    last = parts[-1]
    # Major-version suffix: "github.com/x/yaml/v3" is package yaml.
    if _VERSION_SUFFIX.match(last) and len(parts) > 1:
        last = parts[-2]
    # gopkg.in style "yaml.v3" and "go-foo" / "foo-go" repository names.
    last = re.sub(r"\.v\d+$", "", last)
    if last.startswith("go-"):
        last = last[3:]
    last = re.sub(r"[-.]go$", "", last)
    return re.sub(r"\W", "_", last) or path


def std_imports(names: Iterable[str], std: Mapping[str, str]) -> list[tuple[str | None, str]]:
    """(alias or None, path) of the std (and `display`) packages the kernel imports for the names a cell uses
    as `name.Sel` without importing them; an alias only where the path's own package name differs."""
    found = []
    for name in sorted(names):
        path = std.get(name)
        if path is not None:
            found.append((None if guess_package_name(path) == name else name, path))
    return found


@dataclass(frozen=True)
class Decl:
    kind: str  # one of DECL_KINDS
    names: tuple[str, ...]  # store keys: "F", "T.M" for methods, "T", each var/const name; empty for `var _ = ...`
    source: str
    line: int  # 1-based first line of `source` in the cell
    refs: frozenset[str]  # X of X.Sel not declared inside the decl: candidate package references
    # Unqualified exported-looking names not declared inside: what a dot import could provide.
    exported_idents: frozenset[str] = frozenset()
    # Every name it uses that it does not bind (types, functions, variables, constants): what it depends on.
    uses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Statement:
    source: str
    line: int
    refs: frozenset[str] = frozenset()
    exported_idents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedCell:
    source: str
    imports: tuple[Import, ...]
    decls: tuple[Decl, ...]
    # All top-level statements in order. The trailing expression, when there is one, is also the last element.
    statements: tuple[Statement, ...]
    trailing_expr: Statement | None
    trailing_callee: str | None  # "p.Sum" when the trailing expression is a call, else None
    trailing_is_call: bool
    defines: tuple[str, ...]  # names bound by top-level `:=` (top-level `var` is a persisted declaration)
    refs: frozenset[str]  # union of decl and statement refs
    tests: tuple[str, ...]  # Test/Benchmark/Fuzz/Example funcs declared in this cell
    has_package_clause: bool = False
    has_error: bool = False  # tree-sitter found a syntax error somewhere


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode(errors="replace")


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


# Node types whose `field` children (identifiers, possibly inside an expression_list) bind a name.
_BINDERS = {
    "short_var_declaration": "left",
    "range_clause": "left",
    "receive_statement": "left",
    "type_switch_statement": "alias",
    "parameter_declaration": "name",
    "variadic_parameter_declaration": "name",
    "var_spec": "name",
    "const_spec": "name",
    "type_spec": "name",
    "type_alias": "name",
    "type_parameter_declaration": "name",
}


def _bound_names(node: tree_sitter.Node) -> set[str]:
    """Names bound anywhere inside `node` (scope-insensitive: good enough to tell locals from packages)."""
    names: set[str] = set()
    for n in _walk(node):
        field = _BINDERS.get(n.type)
        if field is None:
            continue
        for child in n.children_by_field_name(field):
            targets = child.named_children if child.type == "expression_list" else [child]
            names.update(_text(t) for t in targets if t.type in ("identifier", "type_identifier"))
    return names


def _selector_operands(node: tree_sitter.Node) -> set[str]:
    found: set[str] = set()
    for n in _walk(node):
        if n.type == "selector_expression":
            operand = n.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                found.add(_text(operand))
        elif n.type == "qualified_type":
            pkg = n.child_by_field_name("package")
            if pkg is not None:
                found.add(_text(pkg))
    return found


def _refs(node: tree_sitter.Node, also_local: set[str] | None = None) -> frozenset[str]:
    return frozenset(_selector_operands(node) - _bound_names(node) - (also_local or set()))


def _uses(node: tree_sitter.Node) -> frozenset[str]:
    found = {_text(n) for n in _walk(node) if n.type in ("identifier", "type_identifier")}
    return frozenset(found - _bound_names(node))


def _exported_idents(node: tree_sitter.Node) -> frozenset[str]:
    found = {
        _text(n)
        for n in _walk(node)
        if n.type in ("identifier", "type_identifier")
        and (n.parent is None or n.parent.type != "qualified_type")
        and _text(n)[:1].isupper()
    }
    return frozenset(found - _bound_names(node))


def _unquote(lit: str) -> str:
    if len(lit) >= 2 and lit[0] in '"`' and lit[-1] == lit[0]:
        return lit[1:-1]
    return lit.strip('"`')


def _imports(node: tree_sitter.Node, source: bytes, attached: list[tree_sitter.Node]) -> list[Import]:
    """The import specs of an import declaration; `attached` are the comments directly above it."""
    specs = [n for n in _walk(node) if n.type == "import_spec"]
    out: list[Import] = []
    for n in specs:
        path_node = n.child_by_field_name("path")
        name_node = n.child_by_field_name("name")
        if path_node is None:
            continue
        imp = Import(
            path=_unquote(_text(path_node)),
            name=_text(name_node) if name_node is not None else None,
            line=n.start_point.row + 1,
        )
        if imp.path == "C":
            imp = _with_preamble(imp, source, _comments_above(n) or (attached if len(specs) == 1 else []))
        out.append(imp)
    return out


def _comments_above(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The run of comments right above `node` among its siblings, no blank line between (a Go doc comment)."""
    found: list[tree_sitter.Node] = []
    row = node.start_point.row
    prev = node.prev_named_sibling
    while prev is not None and prev.type == "comment" and prev.end_point.row >= row - 1:
        before = prev.prev_named_sibling
        if before is not None and before.type != "comment" and before.end_point.row == prev.start_point.row:
            break  # `"fmt" // note`: a comment on the previous spec's line belongs to that spec
        found.insert(0, prev)
        row = prev.start_point.row
        prev = prev.prev_named_sibling
    return found


def _with_preamble(imp: Import, source: bytes, comments: list[tree_sitter.Node]) -> Import:
    # cgo compiles the comment directly above `import "C"` as C: it must travel with the import.
    if not comments:
        return imp
    first, last = comments[0], comments[-1]
    text = _padded(source, first.start_byte, first.start_point.column, last.end_byte)
    return replace(imp, preamble=text, preamble_line=first.start_point.row + 1)


def _receiver_type(receiver: tree_sitter.Node | None) -> str:
    # "(s *Stack[T])" -> "Stack"
    text = _text(receiver) if receiver is not None else ""
    text = re.sub(r"\[.*\]", "", text.strip("()"))
    return text.split()[-1].lstrip("*") if text.split() else "?"


def _is_test_func(name: str, params: tree_sitter.Node | None) -> bool:
    m = _TEST_PREFIX.match(name)
    if not m:
        return False
    params_text = _text(params) if params is not None else "()"
    if m.group(1) == "Example":
        return re.fullmatch(r"\(\s*\)", params_text) is not None
    return _TEST_PARAM[m.group(1)] in params_text


def _spec_names(node: tree_sitter.Node, spec_types: tuple[str, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for n in _walk(node):
        if n.type in spec_types:
            names.extend(_text(c) for c in n.children_by_field_name("name"))
    return tuple(dict.fromkeys(x for x in names if x != "_"))


def _classify_decl(node: tree_sitter.Node) -> tuple[str, tuple[str, ...]] | None:
    """(kind, names) for a declaration node, None when the node is not a declaration."""
    t = node.type
    if t == "function_declaration":
        name_node = node.child_by_field_name("name")
        name = _text(name_node) if name_node is not None else ""
        if name == "main":
            return "main", ("main",)
        if name == "init":
            return "init", ("init",)
        if _is_test_func(name, node.child_by_field_name("parameters")):
            return "test", (name,)
        return "func", (name,) if name else ()
    if t == "method_declaration":
        name_node = node.child_by_field_name("name")
        recv = _receiver_type(node.child_by_field_name("receiver"))
        return "method", (f"{recv}.{_text(name_node)}",) if name_node is not None else ()
    if t == "type_declaration":
        return "type", _spec_names(node, ("type_spec", "type_alias"))
    if t == "var_declaration":
        return "var", _spec_names(node, ("var_spec",))
    if t == "const_declaration":
        return "const", _spec_names(node, ("const_spec",))
    if t == "ERROR":
        # Broken declarations should stay top-level so the compiler's message makes sense.
        m = re.match(r"\s*(func|type|var|const)\b\s*(?:\([^)]*\)\s*)?(\w+)?", _text(node))
        if m:
            kind, name = m.group(1), m.group(2)
            return kind, (name,) if name and name != "_" else ()
    return None


def _padded(source: bytes, node_start: int, column: int, end: int) -> str:
    return " " * column + source[node_start:end].decode(errors="replace")


def _callee(expr_stmt: tree_sitter.Node) -> tuple[bool, str | None]:
    inner = expr_stmt.named_children[0] if expr_stmt.named_children else None
    while inner is not None and inner.type == "parenthesized_expression" and inner.named_children:
        inner = inner.named_children[0]
    if inner is not None and inner.type == "type_conversion_expression":
        # `f[int](1)` parses as a conversion to a generic type; it may as well be an instantiated call, whose
        # value (or lack of one) the compiler decides: treat it as a call (a void one is then run as a statement).
        target = inner.child_by_field_name("type")
        if target is not None and target.type == "generic_type":
            return True, re.sub(r"\s+", "", _text(target))
    if inner is None or inner.type != "call_expression":
        return False, None
    fn = inner.child_by_field_name("function")
    return True, re.sub(r"\s+", "", _text(fn)) if fn is not None else None


def split(source: str) -> ParsedCell:
    """Split a cell into imports, declarations and statements with 1-based cell line numbers."""
    source = source.replace("\r\n", "\n")
    # tree-sitter-go wants every top-level statement terminated; a cell's last line often is not.
    data = source.encode() + (b"" if source.endswith("\n") else b"\n")
    root = _parser().parse(data).root_node
    imports: list[Import] = []
    decls: list[Decl] = []
    stmt_nodes: list[tree_sitter.Node] = []
    has_package = False
    pending_comments: list[tree_sitter.Node] = []  # comments directly above the next node (doc, //go:embed)

    for node in root.named_children:
        if node.type == "comment":
            if pending_comments and node.start_point.row > pending_comments[-1].end_point.row + 1:
                pending_comments = []
            pending_comments.append(node)
            continue
        attached = (
            pending_comments
            if pending_comments and node.start_point.row <= pending_comments[-1].end_point.row + 1
            else []
        )
        pending_comments = []
        if node.type == "package_clause":
            has_package = True
            continue
        if node.type == "import_declaration":
            imports.extend(_imports(node, data, attached))
            continue
        classified = _classify_decl(node)
        # A `var` after the cell's first statement is a statement too: it runs in the order written (its
        # initialiser may use what the statements before it did: `os.Setenv(...)`, `x := 1`).
        if classified is None or (classified[0] == "var" and stmt_nodes and node.type == "var_declaration"):
            stmt_nodes.append(node)
            continue
        kind, names = classified
        first = attached[0] if attached and kind in PERSISTED_KINDS else node
        decls.append(
            Decl(
                kind=kind,
                names=names,
                source=_padded(data, first.start_byte, first.start_point.column, node.end_byte),
                line=first.start_point.row + 1,
                refs=_refs(node),
                exported_idents=_exported_idents(node),
                uses=_uses(node),
            )
        )

    defines: list[str] = []
    for n in stmt_nodes:
        if n.type == "short_var_declaration":
            left = n.child_by_field_name("left")
            if left is not None:
                defines.extend(_text(c) for c in left.named_children if c.type == "identifier" and _text(c) != "_")
        elif n.type == "var_declaration":
            defines.extend(_spec_names(n, ("var_spec",)))
    defines = list(dict.fromkeys(defines))
    cell_level = set(defines)

    statements = tuple(
        Statement(
            source=_padded(data, n.start_byte, n.start_point.column, n.end_byte),
            line=n.start_point.row + 1,
            refs=_refs(n, cell_level),
            exported_idents=_exported_idents(n),
        )
        for n in stmt_nodes
    )
    code_nodes = [n for n in root.named_children if n.type != "comment"]
    trailing: Statement | None = None
    is_call, callee = False, None
    if stmt_nodes and code_nodes and code_nodes[-1] is stmt_nodes[-1] and stmt_nodes[-1].type == "expression_statement":
        trailing = statements[-1]
        is_call, callee = _callee(stmt_nodes[-1])

    refs: set[str] = set()
    for d in decls:
        refs |= d.refs
    for s in statements:
        refs |= s.refs
    return ParsedCell(
        source=source,
        imports=tuple(imports),
        decls=tuple(decls),
        statements=statements,
        trailing_expr=trailing,
        trailing_callee=callee,
        trailing_is_call=is_call,
        defines=tuple(defines),
        refs=frozenset(refs),
        tests=tuple(d.names[0] for d in decls if d.kind == "test"),
        has_package_clause=has_package,
        has_error=root.has_error,
    )


# ---- is_complete ----------------------------------------------------------------------------
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Tokens after which Go needs more input (binary operators, assignment, comma, dot, receive).
_CONTINUATION_OPS = (
    "&&", "||", "<<", ">>", "&^", "==", "!=", "<=", ">=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "<<=", ">>=", "&^=", "<-", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "=", ",", ".", "!",
)  # fmt: skip


_FLOAT_ENDING_IN_DOT = re.compile(r"(?<![\w.])\d[\d_]*\.$")
# Keywords that cannot end a statement (a label's ":" neither).
_CONTINUATION_KEYWORD = re.compile(
    r"(?:^|[^\w.])(?:else|go|defer|func|import|type|var|const|package|range|chan|map|struct|interface|select"
    r"|switch|for|if|case|goto)$|:$"
)


def is_complete(source: str) -> str:
    """Return "complete", "incomplete" (open bracket, raw string, block comment, trailing operator) or "invalid"."""
    stack: list[str] = []
    i, n = 0, len(source)
    last_token_end = 0  # end of the last non-comment, non-space text
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            nl = source.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                return "incomplete"
            i = end + 2
            continue
        if c == "`":
            end = source.find("`", i + 1)
            if end < 0:
                return "incomplete"
            i = last_token_end = end + 1
            continue
        if c in "\"'":
            j = i + 1
            while j < n and source[j] != c and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            if j >= n or source[j] != c:
                return "invalid"
            i = last_token_end = j + 1
            continue
        if c in "([{":
            stack.append(c)
        elif c in ")]}":
            if not stack or stack[-1] != _CLOSERS[c]:
                return "invalid"
            stack.pop()
        if not c.isspace():
            last_token_end = i + 1
        i += 1
    if stack:
        return "incomplete"
    tail = source[:last_token_end].rstrip()
    if tail.endswith(("++", "--")):
        return "complete"
    if _FLOAT_ENDING_IN_DOT.search(tail):  # `x := 1.` is a float literal, not a selector to be continued
        return "complete"
    if tail.endswith(_CONTINUATION_OPS) or _CONTINUATION_KEYWORD.search(tail):
        return "incomplete"
    return "complete"
