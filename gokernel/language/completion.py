"""LSP answers -> Jupyter replies: complete_reply with kinds and signatures, inspect_reply from a hover."""

from __future__ import annotations

import re
from typing import Any

from .view import View, column_from_utf16, position_to_offset

# LSP CompletionItemKind -> the `type` JupyterLab shows (and picks an icon by).
_KINDS = {
    2: "method",
    3: "function",
    4: "function",  # constructor
    5: "field",
    6: "variable",
    7: "type",  # class
    8: "type",  # interface
    9: "package",  # module
    10: "field",  # property
    14: "keyword",
    21: "constant",
    22: "type",  # struct
    25: "type",  # type parameter
}
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_]")


def kind_name(kind: int | None) -> str:
    return _KINDS.get(kind or 0, "text")


def _edit_range(item: dict[str, Any]) -> dict[str, Any] | None:
    edit = item.get("textEdit")
    if not edit:
        return None
    rng: dict[str, Any] | None = edit.get("range") or edit.get("replace")  # InsertReplaceEdit has no range
    return rng


_INTERNAL_PATH = re.compile(r'^"(?:.*/)?(?:internal|vendor)(?:/|")')


def _hidden(item: dict[str, Any], text: str, imported: frozenset[str]) -> bool:
    """The view's own helpers, packages a notebook cannot import (std's internal ones), and modules that merely
    sit in the module cache (gopls offers every package it finds there; the kernel auto-imports only std)."""
    if text.startswith("_gk"):
        return True
    if item.get("kind") != 9:
        return False
    detail = item.get("detail") or ""
    path = detail.strip('"')
    return bool(_INTERNAL_PATH.match(detail)) or ("." in path.split("/")[0] and path not in imported)


def _insert_text(item: dict[str, Any]) -> str:
    edit = item.get("textEdit") or {}
    return str(edit.get("newText") or item.get("insertText") or item.get("label", ""))


def _cell_offset(cell: str, view: View, pos: dict[str, int]) -> int | None:
    view_line = view.text.split("\n")[pos["line"]] if pos["line"] < view.text.count("\n") + 1 else ""
    mapped = view.to_cell(pos["line"], column_from_utf16(view_line, pos["character"]))
    if mapped is None:
        return None
    return position_to_offset(cell, *mapped)


def complete_reply(result: Any, cell: str, view: View, cursor_pos: int) -> dict[str, Any] | None:
    """The complete_reply content for gopls's completion `result`; None when it offers nothing."""
    items: list[dict[str, Any]] = result.get("items", []) if isinstance(result, dict) else (result or [])
    if not items:
        return None
    start = end = None
    for item in items:
        rng = _edit_range(item)
        if rng is not None:
            start = _cell_offset(cell, view, rng["start"])
            end = _cell_offset(cell, view, rng["end"])
            break
    if start is None or end is None:
        start = cursor_pos
        while start > 0 and _IDENT_CHAR.match(cell[start - 1]):
            start -= 1
        end = cursor_pos
    items = sorted(items, key=lambda i: i.get("sortText") or i.get("label", ""))
    # gopls matches fuzzily (`strings.cont` -> Contains); what was typed as a prefix is what a user expects
    # first and alone, as every other Jupyter kernel does. Fuzzy matches remain when nothing starts so.
    typed = cell[start:end].lower()
    prefixed = [i for i in items if _insert_text(i).lower().startswith(typed)]
    items = prefixed or items
    matches: list[str] = []
    types: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        text = _insert_text(item)
        if not text or text in seen or _hidden(item, text, view.paths):
            continue
        seen.add(text)
        matches.append(text)
        types.append(
            {
                "start": start,
                "end": end,
                "text": text,
                "type": kind_name(item.get("kind")),
                "signature": item.get("detail") or "",
            }
        )
    return {
        "status": "ok",
        "matches": matches,
        "cursor_start": start,
        "cursor_end": end,
        "metadata": {"_jupyter_types_experimental": types},
    }


def hover_markdown(result: Any) -> str:
    """The text of a Hover result (MarkupContent, MarkedString or a list of them)."""
    if not isinstance(result, dict):
        return ""
    contents = result.get("contents")
    parts = contents if isinstance(contents, list) else [contents]
    texts: list[str] = []
    for p in parts:
        if isinstance(p, str):
            texts.append(p)
        elif isinstance(p, dict):
            value = p.get("value", "")
            texts.append(f"```{p['language']}\n{value}\n```" if "language" in p else value)
    return "\n\n".join(t for t in texts if t.strip())


def markdown_to_plain(md: str) -> str:
    """Hover markdown as the plain text a console shows: fences dropped, escapes undone."""
    text = re.sub(r"^```\w*\n?", "", md, flags=re.MULTILINE)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>])", r"\1", text)
    return text.strip() + "\n"


_FILE_LINK = re.compile(r"\[([^\]]*)\]\(file://[^)]*\)")


def inspect_reply(result: Any) -> dict[str, Any] | None:
    # Doc links point into the server's files (file://.../strings.go#314,6): a browser cannot open them.
    md = _FILE_LINK.sub(r"\1", hover_markdown(result))
    if not md.strip():
        return None
    return {
        "status": "ok",
        "found": True,
        "data": {"text/plain": markdown_to_plain(md), "text/markdown": md},
        "metadata": {},
    }
