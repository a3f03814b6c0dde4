"""What a cell execution talks to (CellIO) and what it ends with (CellOutcome), shared by both modes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class CellIO(Protocol):
    allow_stdin: bool

    def stdout(self, text: str) -> None: ...
    def stderr(self, text: str) -> None: ...
    def display(self, bundle: dict[str, Any], *, display_id: str | None = None, update: bool = False) -> None: ...
    def result(self, bundle: dict[str, Any]) -> None: ...
    def input(self, prompt: str) -> str | None: ...


@dataclass
class CellOutcome:
    ok: bool = True
    ename: str = ""
    evalue: str = ""
    traceback: list[str] = field(default_factory=list)
    # The cell's declarations became part of the notebook (it compiled and was loaded or run), even when
    # its statements then failed; False when it never got that far (compile error, interrupted build).
    kept: bool = True

    @classmethod
    def error(cls, ename: str, evalue: str, traceback: list[str] | None = None) -> CellOutcome:
        return cls(False, ename, evalue, traceback if traceback is not None else [f"{ename}: {evalue}"])

    def not_kept(self) -> CellOutcome:
        self.kept = False
        return self


def interrupted_outcome() -> CellOutcome:
    return CellOutcome.error("KeyboardInterrupt", "interrupted", ["KeyboardInterrupt: the program was stopped"])
