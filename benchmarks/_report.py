"""Result rows, the printed table and the JSON document."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ._stats import Check, Summary, ratio


@dataclass
class Row:
    scenario: str
    unit: str
    summary: Summary | None = None
    floor: Summary | None = None  # the raw toolchain on the same source, same run
    gonb: Summary | None = None
    checks: list[Check] = field(default_factory=list)
    note: str = ""
    error: str = ""  # set when the scenario itself failed (cell error, no output)
    skipped: str = ""  # reason, when the scenario could not be run here

    @property
    def vs_floor(self) -> float | None:
        return ratio(self.summary.median if self.summary else None, self.floor.median if self.floor else None)

    @property
    def vs_gonb(self) -> float | None:
        return ratio(self.summary.median if self.summary else None, self.gonb.median if self.gonb else None)


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if abs(x) < 100 else f"{x:.0f}"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}×"


HEADER = ("scenario", "n", "min", "median", "max", "unit", "vs floor", "vs GoNB", "targets / notes")


def table_rows(rows: list[Row]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for r in rows:
        s = r.summary
        notes = "; ".join(c.describe() for c in r.checks)
        extra = r.error and f"FAILED: {r.error}" or r.skipped and f"skipped: {r.skipped}" or r.note
        if extra:
            notes = f"{notes}; {extra}" if notes else extra
        out.append(
            (
                r.scenario,
                str(s.n) if s else "-",
                _num(s.min if s else None),
                _num(s.median if s else None),
                _num(s.max if s else None),
                r.unit,
                _ratio(r.vs_floor),
                _ratio(r.vs_gonb),
                notes,
            )
        )
    return out


def format_table(rows: list[Row]) -> str:
    body = [HEADER, *table_rows(rows)]
    # The last column is free text: don't pad it.
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER) - 1)]
    lines = []
    for k, line in enumerate(body):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=False))]
        lines.append("  ".join([*cells, line[-1]]))
        if k == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + len(HEADER[-1])))
    return "\n".join(lines)


def row_to_json(r: Row) -> dict[str, Any]:
    d = asdict(r)
    d["vs_floor"] = r.vs_floor
    d["vs_gonb"] = r.vs_gonb
    d["checks"] = [{**asdict(c), "verdict": c.verdict} for c in r.checks]
    return d


def document(rows: list[Row], meta: dict[str, Any]) -> dict[str, Any]:
    return {**meta, "rows": [row_to_json(r) for r in rows], "failed": [r.scenario for r in rows if r.error]}


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
