"""What a cell execution talks to (CellIO) and what it ends with (CellOutcome), shared by both modes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .diagnostics import Diagnostic
from .panics import PanicReport


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


def interrupted_outcome(what: str = "the cell's program") -> CellOutcome:
    """The reply of a cell the user stopped; `what` names what was stopped ("go test", "the build", ...).

    "KeyboardInterrupt" is Python's word for it; a Go notebook says Interrupted.
    """
    message = f"{what} was stopped"
    return CellOutcome.error("Interrupted", message, [f"Interrupted: {message}"])


def panic_outcome(report: PanicReport, card_text: str | None = None) -> CellOutcome:
    """The error reply of a panic or fatal error. Its traceback is the card's text (the value, the user's
    frames mapped to cells with their source lines, runtime frames folded): a panic is one output, the error,
    as Jupyter's kernel conformance tests expect; without the card, the value and where in one line."""
    evalue = report.message[0] if report.message else report.ename
    return CellOutcome.error(report.ename, evalue, card_text.split("\n") if card_text else [report.summary()])


def compile_error_outcome(diags: Sequence[Diagnostic], *, suffix: str = "", fallback: str = "") -> CellOutcome:
    """The error reply of a cell that did not compile; the caller has shown every error in the card.

    Frontends print the reply's traceback in red under the card, so it is one summary line (the first
    error and how many more), not the card's text again.
    """
    positioned = [d for d in diags if d.line]
    first = positioned[0] if positioned else (diags[0] if diags else None)
    evalue = (
        str(first) if first else fallback.strip().splitlines()[0] if fallback.strip() else "build failed"
    ) + suffix
    more = max(len(positioned) - 1, 0)
    summary = f"CompileError: {evalue}" + (f" (and {more} more error{'s' if more != 1 else ''} above)" if more else "")
    return CellOutcome.error("CompileError", evalue, [summary])
