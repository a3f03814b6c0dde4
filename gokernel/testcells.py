"""%%test and %%bench cells: compose the notebook as a test package, run `go test -json`, show one report.

The report model comes from testreport (test2json events), the views from render; this module runs the
go command and keeps the cell's single output up to date (progress, then the report in its place).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import cells, compose, diagnostics, gotest, render, runner, testreport, toolchains
from .cellio import CellIO, CellOutcome, compile_error_outcome, interrupted_outcome
from .decls import DeclStore
from .streams import LineBuffer
from .toolchains import Toolchain

if TYPE_CHECKING:
    from .executor import GoSession

PROGRESS_INTERVAL = 0.25


class ReportDisplay:
    """The one output of a %%test/%%bench cell: progress while `go test` runs, then the report in its place.

    Every bundle goes to the same display_id and all but the first as update_display_data, so the final
    report replaces the progress line instead of appearing below it (nothing stale stays in the cell).
    """

    def __init__(self, io: CellIO) -> None:
        self.io = io
        self.display_id = f"gokernel-report-{time.monotonic_ns()}"
        self.shown = False

    def show(self, bundle: dict[str, Any]) -> None:
        self.io.display(bundle, display_id=self.display_id, update=self.shown)
        self.shown = True

    def progress(self, text: str, notes: list[str]) -> None:
        self.show({"text/plain": "\n".join([text, *notes])})

    def stopped(self) -> None:
        # An interrupted run has no report: the progress line must not look as if it were still running.
        if self.shown:
            self.show({"text/plain": "■ interrupted: go test was stopped"})


def cgo_available(env: Mapping[str, str], tc: Toolchain) -> tuple[bool, str]:
    """-race needs cgo and a C compiler."""
    try:
        out = subprocess.run(
            [tc.go, "env", "CGO_ENABLED", "CC"], env=dict(env), capture_output=True, text=True, timeout=20
        ).stdout.split()
    except (OSError, subprocess.SubprocessError) as e:
        return False, f"go env failed: {e}"
    if not out or out[0] != "1":
        return False, "cgo is disabled (CGO_ENABLED=0), so -race is off"
    cc = out[1] if len(out) > 1 else "gcc"
    if not shutil.which(cc.split()[0], path=env.get("PATH")):
        return False, f"no C compiler ({cc}) on PATH, so -race is off"
    return True, ""


class TestCells:
    """Runs a session's %%test / %%bench cells (and `%go test` / `%go bench`)."""

    def __init__(self, session: GoSession) -> None:
        self.session = session

    def _test_setup(
        self, code: str, cell_no: int | None, io: CellIO
    ) -> tuple[Toolchain, dict[str, str], cells.ParsedCell, DeclStore] | CellOutcome:
        prep = self.session.prepare(io)
        if isinstance(prep, CellOutcome):
            return prep
        tc, env = prep
        parsed = cells.split(code)
        session = self.session
        store = session.store.apply(parsed, cell_no) if cell_no is not None and code.strip() else session.store
        if cell_no is not None:
            session.remember_source(cell_no, code)
        return tc, env, parsed, store

    def _compose_and_test(
        self,
        store: DeclStore,
        parsed: cells.ParsedCell,
        cell_no: int | None,
        tc: Toolchain,
        env: Mapping[str, str],
        flags: list[str],
        report: ReportDisplay,
        notes: list[str],
    ) -> tuple[compose.Composed, testreport.TestRun, runner.ProcessResult]:
        with self.session.scratch.lock:
            composed = compose.compose(
                store, parsed, cell_no or 0, std=self.session.std_packages(tc, env), mode="test", show_result=False
            )
            self.session.scratch.write(composed.files)
            self.session.fresh.forget_build()  # the test build replaced the sources the last cell binary came from
            run, res = self._go_test(tc, env, flags, composed, report, notes)
        return composed, run, res

    def _go_test(
        self,
        tc: Toolchain,
        env: Mapping[str, str],
        flags: list[str],
        composed: compose.Composed,
        report: ReportDisplay,
        notes: list[str],
    ) -> tuple[testreport.TestRun, runner.ProcessResult]:
        parser = testreport.TestEventParser(linemap=composed.linemap)
        last = [time.monotonic()]
        report.progress(f"▶ go test ({tc.version})…", notes)

        def on_line(line: str) -> None:
            parser.feed(line)
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL:
                last[0] = now
                report.progress(gotest.format_progress(parser.progress()), notes)

        buf = LineBuffer(on_line)
        res = runner.run(
            [tc.go, "test", "-json", "-mod=mod", *flags, "."],
            cwd=self.session.scratch.root,
            env=env,
            on_stdout=buf.feed,
            on_stderr=None,
        )
        buf.close()
        for line in res.captured_stderr.splitlines():
            parser.feed(line)
        run = parser.result()
        if res.returncode and not (run.build_errors or run.tests or run.benchmarks):
            # Before Go 1.24, `go test -json` leaves compiler errors as plain text on stderr (no build events).
            diags = diagnostics.parse_build_output(res.captured_stderr, composed.linemap)
            if any(d.line for d in diags):
                run.build_errors = diags
                run.build_output = res.captured_stderr
        return run, res

    def run_tests(self, args: str, code: str, cell_no: int | None, io: CellIO) -> CellOutcome:
        setup = self._test_setup(code, cell_no, io)
        if isinstance(setup, CellOutcome):
            return setup
        tc, env, parsed, store = setup
        race_ok, why = self.session.cgo(tc, env)
        try:
            inv = gotest.parse_test_args(
                args,
                cell_tests=[t for t in parsed.tests if t.startswith("Test")] if cell_no is not None else [],
                race_available=race_ok,
                race_unavailable_reason=why,
            )
        except ValueError as e:
            return CellOutcome.error("MagicError", str(e))
        notes = list(inv.notes)
        if not race_ok and why and not any(why in n for n in notes):
            notes.append(why)
        report = ReportDisplay(io)
        composed, run, res = self._compose_and_test(store, parsed, cell_no, tc, env, inv.go_test_args, report, notes)
        if res.interrupted:
            report.stopped()
            return interrupted_outcome("go test")
        bundle = render.render_test_report(
            run,
            go_version=tc.version,
            race=inv.race,
            linemap=composed.linemap,
            cell_sources=self.session.store_sources(),
            notes=notes,
        )
        report.show(bundle)
        if run.build_errors:
            return compile_error_outcome(run.build_errors)
        self.session.store = store
        if run.failed or run.races or res.returncode not in (0, None):
            summary = render.failure_summary(run)
            return CellOutcome.error("TestFailure", summary, [f"TestFailure: {summary}"])
        return CellOutcome()

    def run_benchmarks(self, args: str, code: str, cell_no: int | None, io: CellIO) -> CellOutcome:
        setup = self._test_setup(code, cell_no, io)
        if isinstance(setup, CellOutcome):
            return setup
        tc, env, parsed, store = setup
        try:
            inv = gotest.parse_bench_args(
                args, cell_benchmarks=[t for t in parsed.tests if t.startswith("Benchmark")] if cell_no else []
            )
        except ValueError as e:
            return CellOutcome.error("MagicError", str(e))
        targets: list[Toolchain] = [tc]
        notes = list(inv.notes)
        if inv.toolchains:
            targets, skipped = resolve_bench_toolchains(inv.toolchains, tc, toolchains.discover())
            notes += skipped
            if not targets:
                return CellOutcome.error("ToolchainError", "; ".join(skipped))
        runs: dict[str, testreport.TestRun] = {}
        report = ReportDisplay(io)
        for target in targets:
            tenv = toolchains.go_environ(
                target, {**os.environ, **self.session.extra_env}, offline=self.session.toolchains.offline
            )
            if target.id != tc.id:
                self.session.scratch.ensure_gomod(target.version)
            composed, run, res = self._compose_and_test(
                store, parsed, cell_no, target, tenv, inv.go_test_args, report, notes
            )
            if res.interrupted:
                self.session.scratch.ensure_gomod(tc.version)
                report.stopped()
                return interrupted_outcome("the benchmarks")
            if run.build_errors:
                self.session.scratch.ensure_gomod(tc.version)
                report.show(render.render_diagnostics(run.build_errors, self.session.store_sources()))
                under = f" (with {target.version})" if len(targets) > 1 else ""
                return compile_error_outcome(run.build_errors, suffix=under)
            runs[f"{target.version} ({target.label})" if len(targets) > 1 else target.version] = run
        self.session.scratch.ensure_gomod(tc.version)
        self.session.store = store
        label, main_run = next(iter(runs.items()))
        previous = self.session.bench_history.previous(main_run.benchmarks) if len(runs) == 1 else None
        bundle = render.render_bench_report(
            main_run.benchmarks,
            go_version=targets[0].version,  # the main table shows the first toolchain's run
            previous=previous,
            compare_runs={k: r.benchmarks for k, r in runs.items()} if len(runs) > 1 else None,
            notes=notes,
        )
        if len(runs) == 1:
            self.session.bench_history.record(main_run.benchmarks)
        report.show(bundle)
        # Charts are images of their own (an <svg> inside HTML is text in an untrusted notebook): one per toolchain.
        for run_label, run in runs.items():
            chart = render.render_bench_chart(run.benchmarks, title=run_label if len(runs) > 1 else "")
            if chart is not None:
                io.display(chart)
        failed = [r for r in runs.values() if r.failed]
        if failed:
            summary = f"{len(failed)} benchmark run{'s' if len(failed) != 1 else ''} failed"
            return CellOutcome.error("BenchmarkFailure", summary, [f"BenchmarkFailure: {summary}"])
        return CellOutcome()


# This environment's own Go first: it is the one `%go use <version>` users mean when two installs share a version.
_PREFERRED_SOURCES = ("override", "env", "conda", "venv")


def resolve_bench_toolchains(
    idents: list[str], current: Toolchain, found: list[Toolchain]
) -> tuple[list[Toolchain], list[str]]:
    """`%%bench --go A,B`: the toolchains to run with, and a note per version that is not there (skipped)."""
    usable = [t for t in found if t.usable]
    targets: list[Toolchain] = []
    notes: list[str] = []
    for ident in idents:
        tc = current if ident == "default" else _best_match(ident, current, usable)
        if tc is None:
            notes.append(f"skipped --go {ident}: no such Go toolchain here (%go list shows them, %go install adds one)")
        elif all(t.id != tc.id for t in targets):
            targets.append(tc)
    return targets, notes


def _best_match(ident: str, current: Toolchain, usable: list[Toolchain]) -> Toolchain | None:
    by_id = [t for t in usable if t.id == ident]
    if by_id:
        return by_id[0]
    want = ident if ident.startswith("go") else "go" + ident
    matching = [t for t in [current, *usable] if t.usable and (t.version == want or t.version.startswith(want + "."))]
    if not matching:
        return None

    def rank(t: Toolchain) -> tuple[bool, bool, tuple[int, ...]]:
        # the kernel's current Go, then this environment's, then the newest patch release
        return (t.id == current.id, t.source in _PREFERRED_SOURCES, toolchains.version_key(t.version))

    return max(matching, key=rank)
