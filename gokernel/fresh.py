"""Fresh mode: every cell is a new program (compose the whole notebook -> build -> run -> exit).

Reproducible runs and platforms without Go plugins. The executor picks this strategy or the live session
(gokernel/live) per cell; both take the same inputs and talk to the same CellIO.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path

from . import cells, compose, diagnostics, fastbuild, panics, render, runner
from .cellio import CellIO, CellOutcome, compile_error_outcome, interrupted_outcome, panic_outcome
from .decls import DeclStore
from .linemap import LineMap
from .scratch import ScratchModule
from .streams import OutputBudget, StderrFilter, display_bundle, human_size, output_limit
from .toolchains import Toolchain

# Environment that changes the binary (build mode, flags, cgo) is part of what is being built.
BUILD_ENV_KEYS = ("GOKERNEL_BUILD", "GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT", "GOAMD64", "GODEBUG", "CC")


def too_large_notice(record: str, limit: int) -> str:
    """What replaces a side-channel record (`<tag> <size>`) over the output limit."""
    tag, _, size = record.partition(" ")
    what = "a display" if tag == "display" else "the cell's result" if tag == "result" else f"a {tag!r} record"
    return (
        f"[gokernel] {what} of {human_size(int(size))} was not shown: over the output limit of "
        f"{human_size(limit)} (%env GOKERNEL_OUTPUT_LIMIT=...)\n"
    )


def killed_message(res: runner.ProcessResult) -> str:
    """Why the program died of a signal the kernel did not send; for SIGKILL, whether memory was the cause."""
    sig = -(res.returncode or 0)
    try:
        name = f" ({signal.Signals(sig).name})"
    except ValueError:
        name = ""
    message = f"program killed by signal {sig}{name}"
    if sig != signal.SIGKILL:
        return message
    peak, limit = res.peak_rss, runner.memory_limit()
    of_limit = f" of {human_size(limit)}" if limit else ""
    if res.oom_kills > 0:
        return f"{message}: out of memory (the OOM killer stopped it at a peak of {human_size(peak)}{of_limit})"
    if peak and limit and peak >= limit // 2:
        return f"{message}: memory was the likely cause (it used {human_size(peak)}{of_limit})"
    return f"{message} from outside the kernel (its peak memory was {human_size(peak)})"


class FreshMode:
    def __init__(
        self,
        scratch: ScratchModule,
        fast: fastbuild.FastBuilder,
        *,
        cwd: str,
        output_limit: int,
        wait_for_prewarm: Callable[[], None],
    ) -> None:
        self.scratch = scratch
        self.fast = fast
        self.cwd = cwd
        self.output_limit = output_limit
        self.wait_for_prewarm = wait_for_prewarm
        self.known_void: frozenset[str] = frozenset()  # callees whose trailing call turned out to have no value
        self._built_digest: str | None = None

    def forget_build(self) -> None:
        """The sources the last binary came from were replaced (a test build, another toolchain)."""
        self._built_digest = None

    def run_cell(
        self,
        parsed: cells.ParsedCell,
        cell_no: int,
        store: DeclStore,
        std: Mapping[str, str],
        tc: Toolchain,
        env: Mapping[str, str],
        io: CellIO,
        sources: dict[int, str],
        *,
        show_result: bool = True,
        result_is_error: bool = False,
    ) -> CellOutcome:
        binary = str(self.scratch.own_dir / "cell")  # this kernel's own: another kernel may share the module
        with self.scratch.lock:
            composed = compose.compose(
                store,
                parsed,
                cell_no,
                std=std,
                mode="run",
                known_void=self.known_void,
                show_result=show_result,
                result_is_error=result_is_error,
            )
            self.scratch.write(composed.files)
            res = self.build([], env, tc, binary, composed.files)
            void_result = (
                res is not None
                and res.returncode != 0
                and not res.interrupted
                and compose.is_void_result_error(res.captured_stderr, composed)
            )
            if void_result:
                # The trailing expression had no value: remember the callee and build it as a statement.
                if composed.result_callee:
                    self.known_void = self.known_void | {composed.result_callee}
                composed = compose.compose(
                    store, parsed, cell_no, std=std, mode="run", show_result=False, known_void=self.known_void
                )
                self.scratch.write(composed.files)
                res = self.build([], env, tc, binary, composed.files)
            if res is not None and res.returncode != 0:
                return self.compile_failure(res, composed.linemap, io, sources).not_kept()
            if res is not None and res.captured_stderr.strip():
                # e.g. "go: downloading github.com/google/uuid v1.6.0"
                io.stderr(res.captured_stderr if res.captured_stderr.endswith("\n") else res.captured_stderr + "\n")
        return self.run_binary(
            binary, composed.linemap, env, io, limit=output_limit(env, self.output_limit), sources=sources
        )

    def build(
        self,
        argv_tail: list[str],
        env: Mapping[str, str],
        tc: Toolchain,
        output: str,
        files: Mapping[str, str] | None = None,
    ) -> runner.ProcessResult | None:
        """Build the cell's binary; None when the previous build of identical sources can be reused.

        With the generated `files` at hand, compile + link directly (fastbuild), else `go build`."""
        build_env = " ".join(f"{k}={env.get(k, '')}" for k in BUILD_ENV_KEYS)
        digest = self.scratch.digest(tc.id, " ".join(argv_tail), output, build_env)
        if digest == self._built_digest and os.path.exists(output):
            return None
        # Waiting for the pre-warm made a cold first cell ~1.7x faster (the build cache shares no work in flight).
        self.wait_for_prewarm()
        res = None
        if files is not None and not argv_tail and fastbuild.eligible(files, env):
            res = self.fast.build(tc, env, files, output)
        if res is None:
            res = runner.run(
                [tc.go, "build", "-mod=mod", *argv_tail, "-o", output, "."], cwd=self.scratch.root, env=env
            )
        self._built_digest = (
            self.scratch.digest(tc.id, " ".join(argv_tail), output, build_env) if res.returncode == 0 else None
        )
        return res

    def compile_failure(
        self, res: runner.ProcessResult, linemap: LineMap, io: CellIO, sources: dict[int, str]
    ) -> CellOutcome:
        if res.interrupted:
            return interrupted_outcome("the build")
        text = res.captured_stderr + res.captured_stdout
        diags = diagnostics.parse_build_output(text, linemap)
        io.display(render.render_diagnostics(diags, sources), display_id=None)
        return compile_error_outcome(diags, fallback=text)

    def run_binary(
        self,
        binary: str | Path,
        linemap: LineMap,
        env: Mapping[str, str],
        io: CellIO,
        *,
        limit: int,
        sources: Mapping[int, str] | None = None,
    ) -> CellOutcome:
        # One limit for stdout and stderr, applied to what is shown: a panic after a flood still becomes
        # the error reply (the filter captures it before the budget is consulted).
        budget = OutputBudget(limit, io.stderr)
        errf = StderrFilter(linemap, budget.wrap(io.stderr))
        read_stdin = (lambda: io.input("")) if io.allow_stdin else None
        side = runner.SideRecords()
        reader = runner.SideChannelReader(limit=limit)

        def on_side(data: bytes) -> None:
            for tag, payload in reader.feed(data):
                if tag == reader.TOO_LARGE:  # a display (or result) bigger than the limit: say so instead
                    io.stderr(too_large_notice(payload, limit))
                elif tag == "display":  # from the `display` package: show it now, while the program runs
                    bundle = display_bundle(payload)
                    if bundle:
                        io.display(bundle)
                else:
                    runner.add_side_record(side, tag, payload)

        res = runner.run(
            [str(binary)],
            cwd=self.cwd,
            env=env,
            on_stdout=budget.wrap(io.stdout),
            on_stderr=errf.feed,
            read_stdin=read_stdin,
            side_channel=True,
            on_side=on_side,
        )
        errf.close()
        if res.interrupted:
            return interrupted_outcome("the program")
        captured = errf.captured  # computed from the bounded capture on each access: once
        if res.returncode != 0:
            if captured:
                ename = "panic" if captured[0].startswith("panic") else "fatal error"
                report = panics.parse_trace(captured, ename)
                return panic_outcome(report, render.render_panic(report, sources or {})["text/plain"])
            if res.returncode is not None and res.returncode < 0:
                return CellOutcome.error("Killed", killed_message(res))
            return CellOutcome.error("ExitError", f"exit status {res.returncode}")
        if captured:  # e.g. a recovered panic dump printed by the program itself
            io.stderr("\n".join(captured) + "\n")
        if side.goroutines > 0:
            io.stderr(f"[gokernel] main returned while {side.goroutines} goroutine(s) were still running\n")
        if side.result is not None:
            io.result({"text/plain": side.result})
        return CellOutcome()
