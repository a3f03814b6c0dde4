"""Execute one notebook cell: magics -> split -> declarations -> compose -> build -> run -> reports.

`GoSession` holds everything that lives as long as a kernel (declarations, scratch module,
toolchain choice). It knows nothing of the Jupyter protocol: it talks to a `CellIO` (streams,
displays, input) and returns a `CellOutcome`; kernel.py turns those into messages.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import (
    cells,
    compose,
    diagnostics,
    fastbuild,
    gotest,
    imports,
    magics,
    project,
    render,
    runner,
    stdlib,
    vendoring,
)
from .atomic import write_if_changed
from .cellio import CellIO, CellOutcome, compile_error_outcome, interrupted_outcome
from .decls import DeclStore
from .fresh import FreshMode
from .go_magic import ToolchainSession, run_go_magic
from .linemap import CellLoc
from .live import tools as live_tools
from .live.rewriter import Rewriter, RewriterError
from .live.session import LiveSession, platform_reason
from .scratch import DISPLAY_IMPORT_PATH, ScratchModule
from .streams import output_limit, truncation_notice
from .testcells import TestCells, cgo_available
from .toolchains import NoToolchainError, Toolchain, UnknownToolchainError
from .toolchains import cache_dir as gokernel_cache_dir

DEFAULT_OUTPUT_LIMIT = 10 * 1024 * 1024


__all__ = ["CellIO", "CellOutcome", "GoSession", "interrupted_outcome"]


class GoSession:
    def __init__(
        self,
        scratch: ScratchModule,
        toolchains: ToolchainSession | None = None,
        *,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        cwd: str | None = None,
        notebook: str | None = None,
    ) -> None:
        self.scratch = scratch
        self.notebook = notebook
        # The Go module or workspace around the notebook (found at the first cell), attached to the scratch
        # module; "off" once the user detached it.
        self.project: project.Project | None = None
        self._project_state = "unknown"  # unknown | found | off | chosen
        self.toolchains = toolchains or ToolchainSession()
        self.store = DeclStore()
        self.output_limit = output_limit
        self.cwd = cwd or os.getcwd()
        self.extra_env: dict[str, str] = {}
        self.last_toolchain: Toolchain | None = None
        self.bench_history = gotest.BenchHistory()
        self._cgo: dict[str, tuple[bool, str]] = {}
        self._std: dict[str, dict[str, str]] = {}
        self._cell_sources: dict[int, str] = {}  # cell sources by execution count, for error views
        self._prewarm_thread: threading.Thread | None = None
        self._prewarm_lock = threading.Lock()
        self.fast = fastbuild.FastBuilder(scratch.root, scratch.build_dir, gokernel_cache_dir() / "importcfg")
        self.fresh = FreshMode(
            scratch, self.fast, cwd=self.cwd, output_limit=output_limit, wait_for_prewarm=self._join_prewarm
        )
        # Execution mode: "live" (one long-lived process, values persist) unless asked or unable otherwise.
        self.requested_mode = "fresh" if os.environ.get("GOKERNEL_MODE", "").lower() == "fresh" else "live"
        self.live = LiveSession(scratch, output_limit=output_limit, cwd=self.cwd)
        self._live_unavailable: dict[str, str] = {}  # toolchain id -> why live cannot run with it
        self._mode_told = False
        self._checker: Rewriter | None = None  # the live rewriter, used by fresh mode as a type checker
        self.current_mode: str | None = None  # the mode of the last cell, for the sidebar
        self.tests = TestCells(self)

    # ---- toolchain -------------------------------------------------------------------------
    def toolchain(self) -> Toolchain:
        return self.toolchains.current()

    def environ(self) -> dict[str, str]:
        env = self.toolchains.environ({**os.environ, **self.extra_env})
        if self.project is not None and "GOKERNEL_BUILD" not in self.extra_env:
            # The project's sources change under us: only the go command checks them on every build.
            env["GOKERNEL_BUILD"] = "go"
        if self.project is not None and self.project.vendor:
            # The scratch module has no vendor/ of its own: the project's comes in through stand-in modules.
            flags = [f for f in env.get("GOFLAGS", "").split() if f != "-mod=vendor"]
            env["GOFLAGS"] = " ".join(flags)
        return env

    def std_packages(self, tc: Toolchain, env: Mapping[str, str]) -> dict[str, str]:
        """Package name -> import path for auto-imports: the std library plus the kernel's `display`."""
        if tc.id not in self._std:
            self._std[tc.id] = {**stdlib.std_packages(tc.go, env), "display": DISPLAY_IMPORT_PATH}
        return self._std[tc.id]

    def prewarm(self) -> threading.Thread | None:
        """Build the most used std packages in the background so the first cell does not pay for them."""
        with self._prewarm_lock:  # asked for from the event loop and from a timer thread: start it once
            # Once started, or once a cell ran (its build warmed the cache), there is nothing to do.
            if self._prewarm_thread is not None or self.last_toolchain is not None:
                return None
            try:
                tc = self.toolchain()
            except (NoToolchainError, UnknownToolchainError):
                return None
            t = threading.Thread(target=self._prewarm, args=(tc, self.environ()), name="gokernel-prewarm", daemon=True)
            t.start()
            self._prewarm_thread = t
            return t

    def _prewarm(self, tc: Toolchain, env: Mapping[str, str]) -> None:
        try:
            self.std_packages(tc, env)
            # The import set of a plain cell is the helpers' own (fmt, os, runtime): have its importcfg
            # ready, which also compiles those packages, then the rest of the commonly used ones.
            self.scratch.ensure_gomod(tc.version)
            self.scratch.ensure_display_package()
            if fastbuild.eligible({}, env):
                self.fast.importcfg(tc, env, list(compose.HELPER_PACKAGES))
            if self.requested_mode == "live" and not self.live_unavailable(tc, env):
                self.live.prewarm(tc, env)
            else:
                subprocess.run(
                    [tc.go, "build", "fmt", "strings", "strconv", "os", "runtime", "sort", "time", "sync", "math"],
                    env=dict(env),
                    cwd=self.scratch.root,
                    capture_output=True,
                    timeout=300,
                )
        except (OSError, subprocess.SubprocessError):
            pass

    # ---- execution mode --------------------------------------------------------------------
    def live_unavailable(self, tc: Toolchain, env: Mapping[str, str]) -> str:
        """Why the live session cannot run with `tc` here ("" when it can)."""
        if tc.id not in self._live_unavailable:
            reason = platform_reason()
            if not reason:
                ok, why = self.cgo(tc, env)
                reason = "" if ok else why.replace("-race is off", "Go plugins (the live session) are off")
            self._live_unavailable[tc.id] = reason
        return self._live_unavailable[tc.id]

    def cgo(self, tc: Toolchain, env: Mapping[str, str]) -> tuple[bool, str]:
        """Whether cgo works with `tc` (for -race and for Go plugins), and why not; asked once per toolchain."""
        if tc.id not in self._cgo:
            self._cgo[tc.id] = cgo_available(env, tc)
        return self._cgo[tc.id]

    def mode(self, tc: Toolchain, env: Mapping[str, str]) -> tuple[str, str]:
        """(mode, why) for the next cell."""
        if self.requested_mode == "fresh":
            return "fresh", "chosen with %mode fresh (or GOKERNEL_MODE=fresh): each cell runs as a new program"
        reason = self.live_unavailable(tc, env)
        if reason:
            return "fresh", f"the live session is unavailable: {reason}"
        return "live", "one long-lived Go process per notebook: values, goroutines and servers persist across cells"

    def _mode_command(self, args: list[str], io: CellIO) -> CellOutcome:
        if args:
            if args[0] not in ("live", "fresh") or len(args) > 1:
                return CellOutcome.error("MagicError", "%mode takes no argument, or one of: live, fresh")
            if args[0] != self.requested_mode:
                self.requested_mode = args[0]
                self.live.stop(keep_decls=False)
        try:
            tc = self.toolchain()
            env = self.environ()
        except (NoToolchainError, UnknownToolchainError) as e:
            return CellOutcome.error("NoToolchain", str(e))
        mode, why = self.mode(tc, env)
        io.stdout(f"{mode}: {why}\n")
        return CellOutcome()

    # ---- entry point -----------------------------------------------------------------------
    def execute(self, code: str, cell_no: int, io: CellIO) -> CellOutcome:
        try:
            parsed = magics.parse(code)
        except magics.MagicError as e:
            return CellOutcome.error("MagicError", str(e))
        for cmd in parsed.commands:
            outcome = self._command(cmd, io)
            if not outcome.ok:
                return outcome
        if parsed.code.strip() and cells.is_complete(parsed.code) == "incomplete":
            return self._unfinished_cell(parsed.code, cell_no, io)
        if parsed.cell_magic == "test":
            return self.tests.run_tests(parsed.cell_magic_args, parsed.code, cell_no, io)
        if parsed.cell_magic == "bench":
            return self.tests.run_benchmarks(parsed.cell_magic_args, parsed.code, cell_no, io)
        if parsed.code.strip():
            return self.run_cell(parsed.code, cell_no, io)
        return CellOutcome()

    def _unfinished_cell(self, code: str, cell_no: int, io: CellIO) -> CellOutcome:
        """The compiler would blame the generated file's end; the cell's own last line is the place to look."""
        self.remember_source(cell_no, code)
        last = len(code.rstrip().split("\n"))
        diag = diagnostics.Diagnostic(
            message="syntax error: unexpected end of cell (an unclosed bracket, string or comment, or a trailing "
            "operator)",
            line=last,
            loc=CellLoc(cell_no, last),
        )
        io.display(render.render_diagnostics([diag], self.store_sources()))
        return compile_error_outcome([diag])

    # ---- magics ----------------------------------------------------------------------------
    def _command(self, cmd: magics.LineMagic | magics.ShellCommand, io: CellIO) -> CellOutcome:
        if isinstance(cmd, magics.ShellCommand):
            return self._shell(cmd.argv, io)
        name, args = cmd.name, cmd.args
        if name in ("help", "lsmagic"):
            io.stdout(magics.HELP)
        elif name == "scratch":
            io.stdout(f"{self.scratch.root}\n")
        elif name == "ls":
            rows = [(k, n, c, "") for k, n, c in self.store.listing() if k != "var" or self.requested_mode != "live"]
            rows += [("value", v.name, v.cell, v.type) for v in self.live.variables()]
            io.display(render_listing(rows))
        elif name == "mode":
            return self._mode_command(args, io)
        elif name == "project":
            if self._project_state == "unknown":
                prep = self.prepare(io)
                if isinstance(prep, CellOutcome):
                    return prep
            return self._project_command(args, io)
        elif name == "rm":
            if not args:
                return CellOutcome.error("MagicError", "%rm needs one or more names (see %ls)")
            store = self.store
            for n in args:
                live_hit = self.live.remove(n)
                try:
                    store = store.remove(n)
                except KeyError:
                    if not live_hit:
                        return CellOutcome.error("MagicError", f"%rm: nothing named {n!r} (see %ls)")
            self.store = store
            io.stdout(f"removed {', '.join(args)}\n")
        elif name == "reset":
            self.store = self.store.reset()
            self.scratch.clear_sources()
            self.live.stop(keep_decls=False)
            io.stdout("declarations and values cleared, goroutines stopped (go.mod requirements kept)\n")
        elif name == "env" and len(args) == 1 and "=" not in args[0]:
            # As IPython's %env NAME: the value the program and the go command see.
            key = args[0]
            value = self.extra_env.get(key, os.environ.get(key))
            if value is None:
                return CellOutcome.error("MagicError", f"%env: {key} is not set")
            io.stdout(f"{value}\n")
        elif name == "env":
            pairs = [a.partition("=") for a in args]
            # All or nothing: one bad argument must not leave the others half applied.
            for a, (key, sep, _) in zip(args, pairs, strict=True):
                if not sep or not key:
                    return CellOutcome.error("MagicError", f"%env expects NAME=VALUE, got {a!r}")
            for key, _, value in pairs:
                self.extra_env[key] = value
                self.live.setenv(key, value)
            for k, v in sorted(self.extra_env.items()):
                io.stdout(f"{k}={v}\n")
            if not self.extra_env:
                io.stdout("no variables set with %env in this notebook (%env NAME=VALUE sets one)\n")
        elif name == "go":
            out = run_go_magic(
                args,
                self.toolchains,
                progress=lambda s: io.stdout(s if s.endswith("\n") else s + "\n"),
                extra_env=self.extra_env,
            )
            if out.error:
                return CellOutcome.error("ToolchainError", out.error)
            bundle: dict[str, Any] = {"text/plain": out.text}
            if out.html:
                bundle["text/html"] = out.html
            io.display(bundle)
        elif name == "test":
            return self.tests.run_tests(" ".join(args), "", None, io)
        elif name == "bench":
            return self.tests.run_benchmarks(" ".join(args), "", None, io)
        return CellOutcome()

    def _shell(self, argv: list[str], io: CellIO) -> CellOutcome:
        try:
            env = self.environ()
        except (NoToolchainError, UnknownToolchainError):
            env = {**os.environ, **self.extra_env}
        exe = shutil.which(argv[0], path=env.get("PATH"))
        if exe is None:
            return CellOutcome.error("CommandNotFound", f"{argv[0]}: command not found")
        # Bounded like a cell's output (a command can print without end); the notice names the command.
        res = runner.run(
            [exe, *argv[1:]],
            cwd=self.scratch.root,
            env=env,
            on_stdout=io.stdout,
            on_stderr=io.stderr,
            output_limit=output_limit(env, self.output_limit),
            on_truncate=lambda n: io.stderr(truncation_notice(n, f"`{argv[0]}`")),
        )
        if res.interrupted:
            return interrupted_outcome(f"the command `{argv[0]}`")
        if res.returncode:
            return CellOutcome.error("CommandError", f"{argv[0]} exited with status {res.returncode}")
        return CellOutcome()

    # ---- building --------------------------------------------------------------------------
    def prepare(self, io: CellIO) -> tuple[Toolchain, dict[str, str]] | CellOutcome:
        try:
            tc = self.toolchain()
        except (NoToolchainError, UnknownToolchainError) as e:
            return CellOutcome.error("NoToolchain" if isinstance(e, NoToolchainError) else "ToolchainError", str(e))
        if self.last_toolchain is not None and self.last_toolchain.id != tc.id:
            io.display(
                {"text/plain": f"[gokernel] now using {tc.version} ({tc.label}), was {self.last_toolchain.version}"}
            )
            self.fresh.forget_build()
        self.last_toolchain = tc
        # The pre-warm writes go.mod too (creating it, or through go commands with -mod=mod): let it finish
        # first, or it could write back a go.mod without the project lines attached below. The first build
        # would wait for it anyway.
        self._join_prewarm()
        self.scratch.ensure_gomod(tc.version)
        self.scratch.ensure_display_package()
        env = self.environ()
        if self._project_state == "unknown":
            self._project_state = "found"
            self.project = project.find(project.start_dir(self.notebook), tc.go, env)
            env = self.environ()
        self._attach_project()
        return tc, env

    def _attach_project(self) -> None:
        """Keep the scratch go.mod's project lines in step with the attached project (never its own files)."""
        try:
            text = self.scratch.gomod.read_text()
        except OSError:
            return
        stand_ins: dict[str, tuple[str, str]] = {}
        if self.project is not None and self.project.vendor:
            try:
                vendor = Path(self.project.vendor)
                stand_ins = vendoring.stand_ins(vendor, self.scratch.build_dir / "vendor", self.project.go_version)
            except (OSError, UnicodeDecodeError):
                pass  # the build then says which module it cannot find
        write_if_changed(self.scratch.gomod, project.attached(text, self.project, stand_ins))
        self.live.volatile = tuple(m.path for m in self.project.modules) if self.project else ()

    def _new_module_setup(self, io: CellIO) -> None:
        if self.live.running:
            io.stderr("[gokernel] new live session: the project attached to the notebook changed\n")
        self.live.restart()

    def _project_command(self, args: list[str], io: CellIO) -> CellOutcome:
        if args == ["off"]:
            self.project, self._project_state = None, "off"
            self._attach_project()
            self._new_module_setup(io)
            io.stdout("project detached\n")
            return CellOutcome()
        if len(args) == 1:
            try:
                tc = self.toolchain()
            except (NoToolchainError, UnknownToolchainError) as e:
                return CellOutcome.error("NoToolchain", str(e))
            found = project.at(Path(args[0]), tc.go, self.environ())
            if found is None:
                return CellOutcome.error("MagicError", f"%project: no go.mod or go.work in {args[0]}")
            self.project, self._project_state = found, "chosen"
            self._attach_project()
            self._new_module_setup(io)
        elif args:
            return CellOutcome.error("MagicError", "%project takes no argument, `off`, or a module/workspace directory")
        if self.project is None:
            io.stdout("no project attached (the notebook is not inside a Go module or workspace)\n")
        else:
            io.stdout(f"attached: {self.project.describe()}\n")
        return CellOutcome()

    def remember_source(self, cell_no: int, code: str) -> None:
        self._cell_sources = {**self._cell_sources, cell_no: code}

    def store_sources(self) -> dict[int, str]:
        return dict(self._cell_sources)

    # ---- a plain Go cell -------------------------------------------------------------------
    def run_cell(self, code: str, cell_no: int, io: CellIO) -> CellOutcome:
        prep = self.prepare(io)
        if isinstance(prep, CellOutcome):
            return prep
        tc, env = prep
        self.remember_source(cell_no, code)
        parsed = cells.split(code)
        unresolved = self._new_imports_unresolved(parsed, cell_no, tc, env, io)
        if unresolved is not None:
            return unresolved
        store = self.store.apply(parsed, cell_no)
        std = self.std_packages(tc, env)
        mode, why = self.mode(tc, env)
        self.current_mode = mode
        if mode == "fresh" and self.requested_mode == "live" and not self._mode_told:
            self._mode_told = True
            io.stderr(f"[gokernel] cells run in fresh mode: {why} (%mode explains)\n")
        needs_go_command = _needs_go_command(parsed)
        if mode == "live" and needs_go_command:
            io.stderr(
                f"[gokernel] this cell uses {needs_go_command}: it runs as its own program, outside the live session\n"
            )
            mode = "fresh"
        if mode == "live":
            self._join_prewarm()
            try:
                outcome = self.live.run_cell(parsed, cell_no, store, std, tc, env, io, self.store_sources())
            except live_tools.LiveUnavailable as e:
                self._live_unavailable[tc.id] = str(e)
                self._mode_told = True
                io.stderr(f"[gokernel] the live session is unavailable ({e}); this and later cells run in fresh mode\n")
                outcome = self.fresh.run_cell(parsed, cell_no, store, std, tc, env, io, self.store_sources())
        else:
            show, is_error = self._trailing_value(parsed, cell_no, store, std, tc, env)
            outcome = self.fresh.run_cell(
                parsed,
                cell_no,
                store,
                std,
                tc,
                env,
                io,
                self.store_sources(),
                show_result=show,
                result_is_error=is_error,
            )
        if outcome.kept:
            self.store = store
        return outcome

    def _new_imports_unresolved(
        self, parsed: cells.ParsedCell, cell_no: int, tc: Toolchain, env: Mapping[str, str], io: CellIO
    ) -> CellOutcome | None:
        """A compile error on the import line when a path the notebook did not import before cannot be found."""
        known = {s.imp.path for s in self.store.imports}
        new = [i for i in parsed.imports if imports.needs_resolving(i.path) and i.path not in known]
        if not new:
            return None
        with self.scratch.lock:
            errors, interrupted = imports.resolve(tc.go, [i.path for i in new], self.scratch.root, env)
        if interrupted:
            return interrupted_outcome("resolving the cell's imports").not_kept()
        diags = [
            diagnostics.Diagnostic(
                message=f"cannot import {i.path}: {errors[i.path]}", line=i.line, loc=CellLoc(cell_no, i.line)
            )
            for i in new
            if i.path in errors
        ]
        if not diags:
            return None
        io.display(render.render_diagnostics(diags, self.store_sources()))
        return compile_error_outcome(diags).not_kept()

    def _trailing_value(
        self,
        parsed: cells.ParsedCell,
        cell_no: int,
        store: DeclStore,
        std: Mapping[str, str],
        tc: Toolchain,
        env: Mapping[str, str],
    ) -> tuple[bool, bool]:
        """(show it, it is an error) for a trailing call's value, from the live session's type checker: a writer's
        byte count (`p := fmt.Println; p("a")`) is not worth showing, a nil error neither; (True, False) when it
        cannot tell."""
        if not parsed.trailing_is_call or compose.is_void_call(parsed.trailing_callee, self.fresh.known_void):
            return True, False
        try:
            if self._checker is None:
                live_tools.write_host_sources(self.scratch)  # the checker resolves scratch/gkrt
                self._checker = Rewriter(live_tools.rewriter_binary(tc, env), cwd=self.scratch.root, env=env)
            request = fresh_check_request(parsed, cell_no, store, std)
            request["env"] = [f"{k}={v}" for k, v in env.items()]
            answer = self._checker.rewrite(request)
        except (live_tools.LiveUnavailable, RewriterError, OSError, ValueError):
            self._checker = None
            return True, False
        if answer.errors or answer.internal:
            return True, False
        return answer.has_result, answer.result_is_error

    def _join_prewarm(self) -> None:
        if self._prewarm_thread is not None:
            # Two go builds compiling the same packages at once each do all the work: wait for the pre-warm.
            self._prewarm_thread.join()
            self._prewarm_thread = None

    def shutdown(self) -> None:
        self.live.shutdown()
        if self._checker is not None:
            self._checker.close()


def fresh_check_request(
    parsed: cells.ParsedCell, cell_no: int, store: DeclStore, std: Mapping[str, str]
) -> dict[str, Any]:
    """A rewriter request that type-checks the cell with the notebook's declarations (all in the cell's own
    package: only the answer about its trailing expression is used)."""
    decls = [
        {"src": d.decl.source, "cell": d.cell_no, "line": d.decl.line} for d in store.decls if d.cell_no != cell_no
    ]
    decls += [{"src": d.source, "cell": cell_no, "line": d.line} for d in parsed.decls if d.kind != "var"]
    stmts = [{"src": d.source, "cell": cell_no, "line": d.line} for d in parsed.decls if d.kind == "var"]
    stmts += [{"src": st.source, "cell": cell_no, "line": st.line} for st in parsed.statements]
    imports = [
        {"name": i.imp.name or "", "path": i.imp.path, "cell": False} for i in store.imports if i.imp.path != "C"
    ]
    idents = {i.imp.ident for i in store.imports}
    refs = set(parsed.refs).union(*(d.decl.refs for d in store.decls))
    for alias, path in cells.std_imports(refs - idents - store.names(), std):
        imports.append({"name": alias or "", "path": path, "cell": False})
    return {
        "pkg": "scratch/live/check",
        "cell": cell_no,
        "imports": imports,
        "prior": [],
        "decls": decls,
        "stmts": stmts,
    }


def _needs_go_command(parsed: cells.ParsedCell) -> str:
    """What in a cell only the go command can build (plugins are compiled and linked directly), or ""."""
    if any(i.path == "C" for i in parsed.imports):
        return 'cgo (import "C")'
    if "//go:embed" in parsed.source:
        return "//go:embed"
    return ""


def render_listing(listing: list[tuple[str, str, int, str]]) -> dict[str, Any]:
    """Rows of (kind, name, cell, type); the type is filled for live values."""
    if not listing:
        return {"text/plain": "the notebook holds no declarations or values"}
    width = max(len(n) for _, n, _, _ in listing)
    text = "\n".join(
        f"{kind:<7} {name:<{width}}  cell[{cell}]" + (f"  {typ}" if typ else "") for kind, name, cell, typ in listing
    )
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(n)}</code></td><td>cell[{c}]</td>"
        f"<td><code>{html.escape(t)}</code></td></tr>"
        for k, n, c, t in listing
    )
    table = (
        f"<table class='gokernel-ls'><tr><th>kind</th><th>name</th><th>defined in</th><th>type</th></tr>{rows}</table>"
    )
    return {"text/plain": text, "text/html": table}
