"""What a live session holds: the packages of the cells it loaded, with the declarations and variables of
each that later cells can still see (a name declared again in a later cell hides the older one).

A variable remembers which declarations of its notebook types it was made with (`TypeVersions`): when a later
cell declares one of them again with the same source (to add a method, or by running its cell again), the
variable is read through the new type (a "view": same memory, new methods); when the declaration changed,
it keeps the type it was made with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LiveDecl:
    kind: str  # func | method | type | const | test
    names: tuple[str, ...]  # "T.m" for methods
    source: str
    cell: int
    line: int
    refs: frozenset[str] = frozenset()
    uses: frozenset[str] = frozenset()  # names it depends on (cells.Decl.uses)

    def segment(self) -> dict[str, Any]:
        return {"src": self.source, "cell": self.cell, "line": self.line}

    def hidden_by(self, names: set[str]) -> bool:
        if names.intersection(self.names):
            return True
        # Methods belong to their type: a type declared again takes its methods' place.
        return self.kind == "method" and any(n.split(".", 1)[0] in names for n in self.names)


# type name -> (package that declares it, its declaration's source), for the notebook types a type mentions
TypeVersions = dict[str, tuple[str, str]]
_IDENT = re.compile(r"(?<![\w.])[A-Za-z_]\w*")


@dataclass(frozen=True)
class LiveVar:
    name: str
    type: str  # in the notebook's terms ("[]person", "*bytes.Buffer")
    imports: dict[str, str]
    cell: int
    made_with: TypeVersions = field(default_factory=dict)

    def viewed(self, now: TypeVersions) -> bool:
        """Whether the variable must be read through the current declarations of its types: one of them was
        declared again since it was made, and every one still has the source it had (the same layout)."""
        if not self.made_with:
            return False
        moved = False
        for name, (pkg, source) in self.made_with.items():
            held = now.get(name)
            if held is None or held[1] != source:
                return False
            moved = moved or held[0] != pkg
        return moved


def type_versions(type_text: str, types: Mapping[str, tuple[str, LiveDecl]]) -> TypeVersions:
    """The notebook types `type_text` mentions, with the ones their declarations mention, transitively."""
    out: TypeVersions = {}
    todo = [n for n in _IDENT.findall(type_text) if n in types]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        pkg, decl = types[name]
        out[name] = (pkg, decl.source)
        todo += [n for n in decl.uses if n in types and n not in out]
    return out


@dataclass
class LivePackage:
    pkg: str
    cell: int
    archive: Path
    decls: list[LiveDecl] = field(default_factory=list)
    vars: list[LiveVar] = field(default_factory=list)
    # anonymous struct types with lowercase fields it published as aliases (the rewriter's Prior.Structs)
    structs: list[dict[str, Any]] = field(default_factory=list)

    def request(self, hidden: set[str], types_now: TypeVersions | None = None) -> dict[str, Any]:
        """This package as the rewriter's merged view needs it, without what the new cell declares again."""
        now = types_now or {}
        return {
            "pkg": self.pkg,
            "decls": [d.segment() for d in self.decls if not d.hidden_by(hidden)],
            "vars": [
                {"name": v.name, "type": v.type, "imports": v.imports, "view": v.viewed(now)}
                for v in self.vars
                if v.name not in hidden
            ],
            "structs": self.structs,
        }


@dataclass
class LiveStore:
    packages: list[LivePackage] = field(default_factory=list)

    def add(self, package: LivePackage, names: set[str]) -> None:
        for p in self.packages:
            p.decls = [d for d in p.decls if not d.hidden_by(names)]
            p.vars = [v for v in p.vars if v.name not in names]
        self.packages.append(package)

    def visible(self) -> list[LivePackage]:
        return [p for p in self.packages if p.decls or p.vars or p.structs]

    def archives(self) -> dict[str, Path]:
        return {p.pkg: p.archive for p in self.packages}

    def decls(self) -> list[LiveDecl]:
        return [d for p in self.packages for d in p.decls]

    def variables(self) -> list[LiveVar]:
        return [v for p in self.packages for v in p.vars]

    def names(self) -> set[str]:
        return {n for d in self.decls() for n in d.names} | {v.name for v in self.variables()}

    def types(self, extra: Iterable[LiveDecl] = (), extra_pkg: str = "") -> dict[str, tuple[str, LiveDecl]]:
        """Type name -> (declaring package, declaration) as the session holds them, `extra` (declared by the
        cell being built, in package `extra_pkg`) winning."""
        held = {n: (p.pkg, d) for p in self.packages for d in p.decls if d.kind == "type" for n in d.names}
        held.update({n: (extra_pkg, d) for d in extra if d.kind == "type" for n in d.names})
        return held

    def type_decl(self, name: str) -> list[LiveDecl]:
        """The declaration of type `name` and its methods, as the session holds them."""
        return [
            d for d in self.decls() if name in d.names or (d.kind == "method" and d.names[0].startswith(f"{name}."))
        ]

    def remove(self, name: str) -> bool:
        found = False
        for p in self.packages:
            before = len(p.vars) + len(p.decls)
            p.vars = [v for v in p.vars if v.name != name]
            p.decls = [d for d in p.decls if not d.hidden_by({name})]
            found = found or before != len(p.vars) + len(p.decls)
        return found
