"""Cell history for history_request (tail, range, search), as IPython answers it.

Session 0 is "this session", as in IPython. Kept in memory: Go cells are cheap to re-type but a
console's up-arrow should work within a session.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

CURRENT_SESSION = 0


@dataclass
class History:
    entries: list[tuple[int, str, str | None]] = field(default_factory=list)  # (line, input, output)

    def record(self, line: int, source: str, output: str | None = None) -> None:
        self.entries.append((line, source, output))

    def _item(self, entry: tuple[int, str, str | None], output: bool) -> tuple[Any, ...]:
        line, source, out = entry
        return (CURRENT_SESSION, line, (source, out) if output else source)

    def tail(self, n: int, *, output: bool = False) -> list[tuple[Any, ...]]:
        return [self._item(e, output) for e in self.entries[-n:]] if n > 0 else []

    def range(self, start: int, stop: int | None, *, output: bool = False) -> list[tuple[Any, ...]]:
        return [self._item(e, output) for e in self.entries if e[0] >= start and (stop is None or e[0] < stop)]

    def search(
        self, pattern: str, *, n: int | None = None, unique: bool = False, output: bool = False
    ) -> list[tuple[Any, ...]]:
        hits = [e for e in self.entries if fnmatch.fnmatchcase(e[1], pattern or "*")]
        if unique:
            seen: set[str] = set()
            kept = []
            for e in reversed(hits):
                if e[1] not in seen:
                    seen.add(e[1])
                    kept.append(e)
            hits = kept[::-1]
        if n:
            hits = hits[-n:]
        return [self._item(e, output) for e in hits]
