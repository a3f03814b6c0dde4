"""Declarations that persist across cells, keyed by name.

The store is immutable: every change returns a new store, so the kernel only adopts the new one
when the cell compiled, and a failing cell changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .cells import PERSISTED_KINDS, Decl, Import, ParsedCell


@dataclass(frozen=True)
class StoredImport:
    imp: Import
    cell_no: int

    @property
    def key(self) -> str:
        # Blank and dot imports have no usable identifier: several may coexist, one per path.
        return f"{self.imp.name} {self.imp.path}" if self.imp.name in ("_", ".") else self.imp.ident

    @property
    def label(self) -> str:
        return self.imp.path if self.imp.name is None else f"{self.imp.name} {self.imp.path}"


@dataclass(frozen=True)
class StoredDecl:
    decl: Decl
    cell_no: int

    @property
    def keys(self) -> tuple[str, ...]:
        # `var _ = x` has no name: identical source is the only sensible identity. Likewise `func init`:
        # a package may have many, so each cell's init is kept (running the same one again replaces it).
        if self.decl.kind == "init":
            return (f"init:{self.decl.source.strip()}",)
        return self.decl.names or (f"_:{self.decl.source.strip()}",)


@dataclass(frozen=True)
class DeclStore:
    imports: tuple[StoredImport, ...] = ()
    decls: tuple[StoredDecl, ...] = ()  # definition order; tests included (kind "test")

    def apply(self, cell: ParsedCell, cell_no: int) -> DeclStore:
        """A new store with the cell's imports and persisted declarations replacing older ones of the same name."""
        new_imports = [StoredImport(i, cell_no) for i in cell.imports]
        new_import_keys = {i.key for i in new_imports}
        imports = [i for i in self.imports if i.key not in new_import_keys]
        seen: set[str] = set()
        for imp in new_imports:  # the same import twice in one cell: keep one
            if imp.key not in seen:
                seen.add(imp.key)
                imports.append(imp)

        new_decls = [StoredDecl(d, cell_no) for d in cell.decls if d.kind in PERSISTED_KINDS]
        new_keys = {k for d in new_decls for k in d.keys}
        # Decls of the same cell are all kept, so a name declared twice in one cell is the compiler's to report.
        decls = [d for d in self.decls if not new_keys.intersection(d.keys)] + new_decls
        return replace(self, imports=tuple(imports), decls=tuple(decls))

    def remove(self, name: str) -> DeclStore:
        """Drop the import (ident, path or listing label) or the declaration holding `name`.

        Removing a type also removes its methods, which could not compile without it. `_` is what %ls lists
        for blank declarations (`var _ = x`): it removes all of them (a blank import has its label, `_ path`).
        """
        imports = tuple(i for i in self.imports if not _import_named(i, name))
        decls = tuple(d for d in self.decls if not _decl_named(d, name))
        if len(imports) == len(self.imports) and len(decls) == len(self.decls):
            raise KeyError(name)
        return replace(self, imports=imports, decls=decls)

    def reset(self) -> DeclStore:
        return DeclStore()

    def listing(self) -> list[tuple[str, str, int]]:
        """(kind, name, cell_no) in definition order, imports first; one row per declared name."""
        rows = [("import", i.label, i.cell_no) for i in self.imports]
        for d in self.decls:
            rows.extend((d.decl.kind, name, d.cell_no) for name in (d.decl.names or ("_",)))
        return rows

    def names(self) -> frozenset[str]:
        """Top-level identifiers declared by the store (method keys excluded: they are not identifiers)."""
        return frozenset(n for d in self.decls if d.decl.kind != "method" for n in d.decl.names)


def _import_named(imp: StoredImport, name: str) -> bool:
    # A blank or dot import's "identifier" is `_` or `.`: it is named by its key, path or label instead.
    ident = imp.imp.ident if imp.imp.name not in ("_", ".") else None
    return name in (imp.key, imp.imp.path, imp.label, ident)


def _decl_named(stored: StoredDecl, name: str) -> bool:
    if name == "_":
        return not stored.decl.names
    return name in stored.keys or name in stored.decl.names or any(k.startswith(f"{name}.") for k in stored.decl.names)
