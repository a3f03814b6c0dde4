"""Client of the Go rewriter (gosrc/live/rewrite): one long-lived helper per session, one JSON line each way."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import runner
from ..diagnostics import Diagnostic
from ..linemap import CellLoc


@dataclass
class Rewrite:
    source: str = ""
    imports: list[str] = field(default_factory=list)
    vars: list[dict[str, Any]] = field(default_factory=list)
    structs: list[dict[str, Any]] = field(default_factory=list)  # aliases of anonymous structs it published
    names: list[str] = field(default_factory=list)
    has_result: bool = False
    result_is_error: bool = False  # the trailing value is an error: shown only when not nil
    errors: list[Diagnostic] = field(default_factory=list)
    internal: str = ""


class RewriterError(RuntimeError):
    pass


class Rewriter:
    def __init__(self, binary: Path, *, cwd: Path, env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(binary)],
            cwd=str(cwd),
            env={**env, "GOKERNEL_GO": env.get("GOKERNEL_GO_BIN", "go")},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=runner._child_setup,
        )
        self._lock = threading.Lock()

    def rewrite(self, request: dict[str, Any]) -> Rewrite:
        assert self.proc.stdin and self.proc.stdout
        with self._lock:
            try:
                self.proc.stdin.write((json.dumps(request) + "\n").encode())
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except (BrokenPipeError, OSError) as e:
                raise RewriterError(f"the live rewriter stopped: {e}") from None
        if not line:
            raise RewriterError("the live rewriter stopped unexpectedly")
        data = json.loads(line)
        errors = [
            Diagnostic(
                message=e["msg"],
                file=f"cell{e['cell']}.go" if e.get("cell") else "",
                line=e.get("line", 0),
                column=e.get("col") or None,
                loc=CellLoc(e["cell"], e["line"], e.get("col") or None) if e.get("cell") else None,
            )
            for e in data.get("errors") or []
        ]
        return Rewrite(
            source=data.get("source", ""),
            imports=data.get("imports") or [],
            vars=data.get("vars") or [],
            structs=data.get("structs") or [],
            names=data.get("names") or [],
            has_result=bool(data.get("has_result")),
            result_is_error=bool(data.get("result_is_error")),
            errors=errors,
            internal=data.get("internal", ""),
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()
