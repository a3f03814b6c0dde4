"""What a live session holds: the packages of the cells it loaded, with the declarations and variables of
each that later cells can still see (a name declared again in a later cell hides the older one)."""

from __future__ import annotations

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

    def segment(self) -> dict[str, Any]:
        return {"src": self.source, "cell": self.cell, "line": self.line}

    def hidden_by(self, names: set[str]) -> bool:
        if names.intersection(self.names):
            return True
        # Methods belong to their type: a type declared again takes its methods' place.
        return self.kind == "method" and any(n.split(".", 1)[0] in names for n in self.names)


@dataclass(frozen=True)
class LiveVar:
    name: str
    type: str  # in the notebook's terms ("[]person", "*bytes.Buffer")
    imports: dict[str, str]
    cell: int


@dataclass
class LivePackage:
    pkg: str
    cell: int
    archive: Path
    decls: list[LiveDecl] = field(default_factory=list)
    vars: list[LiveVar] = field(default_factory=list)

    def request(self, hidden: set[str]) -> dict[str, Any]:
        """This package as the rewriter's merged view needs it, without what the new cell declares again."""
        return {
            "pkg": self.pkg,
            "decls": [d.segment() for d in self.decls if not d.hidden_by(hidden)],
            "vars": [{"name": v.name, "type": v.type, "imports": v.imports} for v in self.vars if v.name not in hidden],
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
        return [p for p in self.packages if p.decls or p.vars]

    def archives(self) -> dict[str, Path]:
        return {p.pkg: p.archive for p in self.packages}

    def decls(self) -> list[LiveDecl]:
        return [d for p in self.packages for d in p.decls]

    def variables(self) -> list[LiveVar]:
        return [v for p in self.packages for v in p.vars]

    def names(self) -> set[str]:
        return {n for d in self.decls() for n in d.names} | {v.name for v in self.variables()}

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
