"""LiveSession: run cells inside one long-lived Go process, so values and goroutines outlive their cell.

Per cell: cells.split (done by the executor) -> rewrite (Go helper, go/types) -> compile + link a plugin
-> the host loads it on a fresh goroutine and runs the cell's statements -> results, panics, interrupts.
The session knows nothing of Jupyter; it talks to the executor's CellIO.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import cells, diagnostics, panics, render, streams
from ..cellio import CellIO, CellOutcome, compile_error_outcome, interrupted_outcome, panic_outcome
from ..decls import DeclStore
from ..kernelstate import remove_dirs_of_dead_kernels
from ..linemap import CellFileMap
from ..scratch import ScratchModule
from ..toolchains import Toolchain
from . import tools
from .builder import PluginBuilder
from .host import HostProcess
from .rewriter import Rewrite, Rewriter, RewriterError
from .store import LiveDecl, LivePackage, LiveStore, LiveVar, type_versions

# Declaration kinds a later cell can see; init and main run with their own cell only.
_KEPT_KINDS = frozenset({"func", "method", "type", "const", "test"})
_INTERRUPT_WAIT = 3.0  # the host answers within its 0.4 s grace; beyond this it is wedged
_PREWARM_STD = ("fmt", "strings", "strconv", "os", "time", "sort", "sync", "math", "errors")
_INTERNAL_NAMES = [
    # a variable read through the current declaration of its type (a view: see store.py)
    (re.compile(r"\(\*\(\*[^()]*\)\(unsafe\.Pointer\(\(gk_c\d+\.GK\{\}\)\.V_(\w+)\(\)\)\)\)"), r"\1"),
    (re.compile(r"\(\*\(gk_c\d+\.GK\{\}\)\.V_(\w+)\(\)\)"), r"\1"),
    (re.compile(r"(?:\bgk_c\d+\.|\"scratch/live/c\d+\"\.)?\bGKS_[0-9a-f]{8}\b"), "struct{…}"),
    (re.compile(r"\(gk_c\d+\.GK\{\}\)\.F_(\w+)\(\)"), r"\1"),
    (re.compile(r"\(gk_c\d+\.GK\{\}\)\.M_\w+?_(\w+)\(\)"), r"\1"),
    (re.compile(r"\bgk_c\d+\.(?:GKT_|GKC_|GKG_)?"), ""),
    (re.compile(r"\b(?:gkv_|gkx_|GKG_|GKT_|GKC_|GKm_)"), ""),
    (re.compile(r'"scratch/live/c\d+"\.(\w+)'), r"\1 (an earlier declaration)"),
    (re.compile(r"\bscratch/live/c\d+\."), "main."),
    (re.compile(r"\bgkMain\b"), "main"),
]


# "cannot use x (variable of type struct{in string; n int}) as struct{in string; n int} value": the same text
_SAME_ANONYMOUS_STRUCT = re.compile(r"type (struct\{[^{}]*\})\) as (?:\[\])?\1 value")


def readable(text: str) -> str:
    """Compiler messages and traces in the user's names, not the generated ones."""
    for pattern, repl in _INTERNAL_NAMES:
        text = pattern.sub(repl, text)
    return text


def platform_reason() -> str:
    """Why Go plugins cannot work on this platform ("" when they can)."""
    if sys.platform not in ("linux", "darwin"):
        return f"Go plugins are not supported on {sys.platform}"
    return ""


class CellSink:
    """Where the host's output goes: the running cell's CellIO, or between cells the last cell's (JupyterLab
    shows it there), with the output limit applied to each."""

    def __init__(self, io: CellIO, limit: int, *, idle: bool = False) -> None:
        self.io = io
        self.limit = limit
        self.idle = idle
        self.sent = 0
        self.cut = False

    def _room(self, text: str) -> str | None:
        if self.cut:
            return None
        if self.sent + len(text) > self.limit:
            self.cut = True
            room = max(self.limit - self.sent, 0)
            who = "goroutines still running after the cell" if self.idle else "the cell"
            self.io.stderr(streams.truncation_notice(self.limit, who))
            return text[:room] or None
        self.sent += len(text)
        return text

    def stdout(self, text: str) -> None:
        if (t := self._room(text)) is not None:
            self.io.stdout(t)

    def stderr(self, text: str) -> None:
        if (t := self._room(text)) is not None:
            self.io.stderr(t)

    def display(self, bundle: dict[str, Any]) -> None:
        self.io.display(bundle)


class LiveSession:
    def __init__(self, scratch: ScratchModule, *, output_limit: int, cwd: str) -> None:
        self.scratch = scratch
        self.output_limit = output_limit
        self.cwd = cwd
        self.store = LiveStore()
        self.carry: list[LiveDecl] = []  # declarations of an ended session, restored with the next cell
        self.host: HostProcess | None = None
        self.rewriter: Rewriter | None = None
        self.builder: PluginBuilder | None = None
        self.toolchain: Toolchain | None = None
        self.out_dir: Path | None = None
        self.seq = 0
        self.ended: str | None = None  # why the last session ended on its own, told once with the next cell
        self._binaries: dict[str, tuple[Path, Path]] = {}
        self._warm_exports: dict[str, dict[str, str]] = {}  # toolchain id -> what the pre-warm's go list found
        # Module paths whose packages may change between cells (an attached project's): listed afresh each cell.
        self.volatile: tuple[str, ...] = ()
        self._prepare_lock = threading.Lock()

    # ---- tools ---------------------------------------------------------------------------------
    def prepare(self, tc: Toolchain, env: Mapping[str, str]) -> tuple[Path, Path]:
        """Build (or find) the rewriter and the host for `tc`; also compiles std for plugins. Thread-safe."""
        with self._prepare_lock:
            if tc.id not in self._binaries:
                self.scratch.ensure_gomod(tc.version)
                self.scratch.ensure_display_package()
                rewriter = tools.rewriter_binary(tc, env)
                host = tools.host_binary(tc, env, self.scratch)
                self._binaries[tc.id] = (rewriter, host)
            return self._binaries[tc.id]

    def prewarm(self, tc: Toolchain, env: Mapping[str, str]) -> None:
        """In the background at kernel start: build the tools and the dynamically linked std."""
        with contextlib.suppress(tools.LiveUnavailable, OSError):
            self.prepare(tc, env)
            warm = PluginBuilder(tc, env, self.scratch.root, self.scratch.build_dir)
            warm.ensure([*_PREWARM_STD, tools.RT_PATH, "scratch/display"])
            self._warm_exports[tc.id] = warm.exports

    # ---- session lifecycle ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.host is not None and self.host.alive

    def _start(self, tc: Toolchain, env: Mapping[str, str]) -> None:
        rewriter_bin, host_bin = self.prepare(tc, env)
        live_root = self.scratch.build_dir / "live"
        _remove_stale(live_root)
        self.out_dir = live_root / f"{os.getpid()}-{time.monotonic_ns()}"
        self.out_dir.mkdir(parents=True)
        self.builder = PluginBuilder(tc, env, self.scratch.root, self.out_dir, self._warm_exports.get(tc.id))
        if self.rewriter is None or self.toolchain is None or self.toolchain.id != tc.id:
            if self.rewriter is not None:
                self.rewriter.close()
            self.rewriter = Rewriter(rewriter_bin, cwd=self.scratch.root, env={**env, "GOKERNEL_GO_BIN": tc.go})
        self.host = HostProcess(
            host_bin, cwd=self.cwd, env=env, display_limit=streams.output_limit(env, self.output_limit)
        )
        self.toolchain = tc
        self.seq = 0

    def stop(self, *, keep_decls: bool) -> None:
        """End the session. With keep_decls, the next session restores the declarations (not the values)."""
        if os.environ.get("GOKERNEL_KEEP_LIVE_BUILD") and self.out_dir is not None:
            self.out_dir = None  # debugging: leave the generated sources for inspection
        if keep_decls:
            self.carry = self.carry + self.store.decls()
        else:
            self.carry = []
        self.store = LiveStore()
        if self.host is not None:
            self.host.stop()
            self.host = None
        if self.out_dir is not None:
            tools.remove_tree(self.out_dir)
            self.out_dir = None

    def restart(self) -> None:
        """A new session for a new module setup (an attached or detached project): nothing cached survives."""
        self.stop(keep_decls=True)
        self._restart_rewriter()

    def shutdown(self) -> None:
        self.stop(keep_decls=False)
        if self.rewriter is not None:
            self.rewriter.close()
            self.rewriter = None

    def setenv(self, key: str, value: str) -> None:
        """`%env` reaches a running session too (a new one starts with the notebook's whole environment)."""
        if self.host is not None and self.host.alive:
            self.host.setenv(key, value)

    # ---- listing ---------------------------------------------------------------------------------
    def variables(self) -> list[LiveVar]:
        return self.store.variables()

    def remove(self, name: str) -> bool:
        return self.store.remove(name)

    # ---- running a cell ----------------------------------------------------------------------------
    def run_cell(
        self,
        parsed: cells.ParsedCell,
        cell_no: int,
        decl_store: DeclStore,
        std: Mapping[str, str],
        tc: Toolchain,
        env: Mapping[str, str],
        io: CellIO,
        sources: dict[int, str],
        *,
        retried: bool = False,
    ) -> CellOutcome:
        if self.host is not None and not self.host.alive:
            self._ended_while_idle(io)
        if self.toolchain is not None and self.toolchain.id != tc.id and self.running:
            io.stderr(f"[gokernel] new live session: the toolchain changed to {tc.version}; values were reset\n")
            self.stop(keep_decls=True)
        if not self.running:
            self._start(tc, env)
        if self.rewriter is None:
            self.rewriter = Rewriter(
                self.prepare(tc, env)[0], cwd=self.scratch.root, env={**env, "GOKERNEL_GO_BIN": tc.go}
            )
        assert self.host and self.rewriter and self.builder and self.out_dir

        restored = [d for d in self.carry if not set(d.names) & _cell_names(parsed)]
        request, stale, carried = self._request(parsed, cell_no, decl_store, std, restored)
        for t, names in stale.items():
            io.stderr(
                f"[gokernel] {', '.join(names)} {'was' if len(names) == 1 else 'were'} made with an earlier "
                f"declaration of {t}, of another layout: {'it keeps' if len(names) == 1 else 'they keep'} that "
                f"type (make {'it' if len(names) == 1 else 'them'} again to use the new {t})\n"
            )
        request["env"] = [f"{k}={v}" for k, v in env.items()]
        request["volatile"] = list(self.volatile)
        self.builder.env = dict(env)
        self.builder.forget(self.volatile)
        try:
            rw = self.rewriter.rewrite(request)
        except KeyboardInterrupt:
            self._restart_rewriter()
            return interrupted_outcome("the build").not_kept()
        except RewriterError as e:
            self._restart_rewriter()
            return CellOutcome.error("InternalError", str(e)).not_kept()
        if rw.internal:
            return CellOutcome.error("InternalError", f"live rewriter: {rw.internal}").not_kept()
        restored_cells = {d.cell for d in restored}
        if rw.errors and restored and any(d.loc and d.loc.cell in restored_cells for d in rw.errors):
            # A declaration restored from the ended session no longer compiles: leave the old ones behind.
            io.stderr("[gokernel] declarations of the ended session could not be restored; they were dropped\n")
            self.carry = []
            return self.run_cell(parsed, cell_no, decl_store, std, tc, env, io, sources, retried=retried)
        if rw.errors:
            brought = {d.cell for d in carried if d.cell != cell_no}
            hit = sorted({e.loc.cell for e in rw.errors if e.loc and e.loc.cell in brought})
            if hit:
                which = ", ".join(n for c in hit for d in carried if d.cell == c for n in d.names)
                cells_text = ", ".join(f"[{c}]" for c in hit)
                io.stderr(
                    f"[gokernel] {which} (cell {cells_text}) mention a type this cell declares again: the notebook is "
                    "one package, so they are compiled again with the new declaration; change them here too, or "
                    "remove them with %rm\n"
                )
            return self._compile_error(rw.errors, sources, io)

        self.seq += 1
        pkg = str(request["pkg"])
        res, plugin = self.builder.build(pkg, rw.source, rw.imports, self.store.archives())
        if res.interrupted:
            return interrupted_outcome("the build").not_kept()
        if res.returncode != 0:
            text = readable(res.captured_stderr + res.captured_stdout)
            diags = diagnostics.parse_build_output(text, CellFileMap())
            if any(d.loc for d in diags):
                # The compiler saw the rewritten line: its columns are not the cell's, and the trailing value's
                # second use of an expression repeats an error.
                unique: dict[tuple[object, str], diagnostics.Diagnostic] = {}
                for d in diags:
                    d.column = None
                    if d.loc is not None:
                        d.loc = dataclasses.replace(d.loc, column=None)
                    unique.setdefault((d.loc, d.message), d)
                return self._compile_error(list(unique.values()), sources, io)
            return CellOutcome.error(
                "BuildError", "building the cell's plugin failed", text.splitlines()[-20:]
            ).not_kept()
        self.carry = []
        return self._run(plugin, rw, pkg, parsed, cell_no, decl_store, std, tc, env, io, sources, carried, retried)

    def _run(
        self,
        plugin: Path,
        rw: Rewrite,
        pkg: str,
        parsed: cells.ParsedCell,
        cell_no: int,
        decl_store: DeclStore,
        std: Mapping[str, str],
        tc: Toolchain,
        env: Mapping[str, str],
        io: CellIO,
        sources: dict[int, str],
        carried: list[LiveDecl],
        retried: bool,
    ) -> CellOutcome:
        assert self.host and self.builder
        host = self.host
        limit = streams.output_limit(env, self.output_limit)
        host.display_limit = limit
        host.set_sink(CellSink(io, limit))
        result: str | None = None
        done: dict[str, Any] | None = None
        exit_code: int | None = None
        exited = False
        host.run(self.seq, plugin)
        interrupted_at: float | None = None
        stdin_closed = False
        while done is None and not exited:
            try:
                ev = host.events.get(timeout=0.05)
            except queue.Empty:
                if interrupted_at is not None and time.monotonic() - interrupted_at > _INTERRUPT_WAIT:
                    host.stop()
                    exited, exit_code = True, None
                    break
                if not stdin_closed and host.waiting_for_stdin():
                    line = io.input("") if io.allow_stdin else None
                    host.write_stdin(line)
                    stdin_closed = line is None
                continue
            except KeyboardInterrupt:
                if interrupted_at is None:
                    interrupted_at = time.monotonic()
                    host.interrupt()
                continue
            if ev.kind == "result":
                result = ev.payload
            elif ev.kind == "done":
                with contextlib.suppress(ValueError):
                    done = json.loads(ev.payload)
            elif ev.kind == "exit":
                exited, exit_code = True, ev.returncode

        if exited:
            return self._died(exit_code, interrupted_at is not None, io)
        assert done is not None
        status = done.get("status")
        if status == "loaderror":
            message = str(done.get("message", ""))
            host.set_sink(CellSink(io, self.output_limit, idle=True))
            if "different version of package" in message and not retried:
                io.stderr(
                    "[gokernel] new live session: a package this cell needs changed since the session loaded it\n"
                )
                self.stop(keep_decls=True)
                return self.run_cell(parsed, cell_no, decl_store, std, tc, env, io, sources, retried=True)
            return CellOutcome.error("LoadError", readable(message)).not_kept()
        # Loaded (mapped) plugins need no file: only the archive stays, for later cells to compile against.
        with contextlib.suppress(OSError):
            plugin.unlink()
        # The cell's package is loaded: its declarations and variables are part of the session now,
        # even when its statements panicked or were interrupted halfway.
        self._record(pkg, cell_no, rw, parsed, carried)
        self._flush_stderr(host)
        host.set_sink(CellSink(io, self.output_limit, idle=True))
        if status == "interrupted":
            return interrupted_outcome("the cell (the session keeps its values and goroutines)")
        if status == "abandoned":
            io.stderr(
                "[gokernel] the cell was blocked outside its own code (a channel, Sleep, Wait, I/O); its goroutine "
                "was left waiting in the session, and stops there if it is ever unblocked: the cell's remaining "
                "statements do not run\n"
            )
            return interrupted_outcome("the cell (its goroutine was left blocked in the session)")
        if status == "panic":
            message = readable(str(done.get("message", "")))
            trace = _panic_trace(str(done.get("stack", "")))
            lines = [f"panic: {message}", "", *[CellFileMap().rewrite(readable(t)) for t in trace]]
            report = panics.parse_trace(lines)
            return panic_outcome(report, render.render_panic(report, sources)["text/plain"])
        if result is not None:
            io.result({"text/plain": result})
        return CellOutcome()

    def _flush_stderr(self, host: HostProcess) -> None:
        """A panic-looking line the program printed itself (the process lives on) is ordinary stderr."""
        errf = host.stderr_filter
        if errf.captured and host.alive:
            text = "\n".join(errf.captured) + "\n"
            errf.captured = None
            host._stderr(text)

    def _died(self, code: int | None, interrupted: bool, io: CellIO) -> CellOutcome:
        host = self.host
        captured = list(host.stderr_filter.captured or []) if host else []
        reason = _death_reason(code, captured, interrupted)
        self.stop(keep_decls=True)
        if code == 0 and not captured:
            # os.Exit(0) (a program ending itself on purpose) is not an error; the session is still gone.
            io.stderr(
                "[gokernel] the program exited (os.Exit(0)): the live session ended, the next cell starts a new one\n"
            )
            return CellOutcome()
        message = f"the live session ended: {reason}; its values were lost. The next cell starts a new session."
        return CellOutcome.error("SessionEnded", message, [message, *(readable(line) for line in captured[:200])])

    def _ended_while_idle(self, io: CellIO) -> None:
        host = self.host
        assert host is not None
        captured = list(host.stderr_filter.captured or [])
        code = host.proc.poll()
        reason = _death_reason(code, captured, False)
        io.stderr(
            f"[gokernel] the live session had ended after the last cell ({reason}); its values were lost. "
            "This cell starts a new session.\n"
        )
        self.stop(keep_decls=True)

    def _restart_rewriter(self) -> None:
        """After an interrupt or a failure mid-request the helper's answer is lost: start a new one next cell."""
        if self.rewriter is not None:
            self.rewriter.close()
        self.rewriter = None

    def _compile_error(self, diags: list[diagnostics.Diagnostic], sources: dict[int, str], io: CellIO) -> CellOutcome:
        for d in diags:
            d.message = readable(d.message)
        if any(_SAME_ANONYMOUS_STRUCT.search(d.message) for d in diags):
            io.stderr(
                "[gokernel] an anonymous struct type with lowercase fields written in two cells is two types in the "
                "live session (each cell is compiled as its own package, and Go ties lowercase field names to their "
                "package): declare it once with a name (type row struct{...}) and use the name in both cells\n"
            )
        io.display(render.render_diagnostics(diags, sources))
        return compile_error_outcome(diags).not_kept()

    # ---- request -------------------------------------------------------------------------------
    def _request(
        self,
        parsed: cells.ParsedCell,
        cell_no: int,
        decl_store: DeclStore,
        std: Mapping[str, str],
        carried: list[LiveDecl],
    ) -> tuple[dict[str, Any], dict[str, list[str]], list[LiveDecl]]:
        own = [d for d in parsed.decls if d.kind != "var"]
        decls = [{"src": d.source, "cell": cell_no, "line": d.line} for d in own]
        # A method on a type of an earlier cell: Go wants both in one package, so the type comes along.
        declared_here = {n for d in own if d.kind != "method" for n in d.names}
        redeclared: list[str] = []
        own_methods = {n for d in own if d.kind == "method" for n in d.names}
        for d in own:
            if d.kind != "method":
                continue
            base = d.names[0].split(".", 1)[0] if d.names else ""
            if not base or base in declared_here or base in redeclared:
                continue
            pulled = [x for x in self.store.type_decl(base) if not own_methods.intersection(x.names)]
            if any(x.kind == "type" for x in pulled):
                redeclared.append(base)
                carried = carried + pulled
        carried = carried + self._dependents(own, carried)
        decls = [x.segment() for x in carried] + decls
        # Top-level `var`s are statements: they run in the order written, among the others.
        # Sources are padded to their column, so (line, padding) is their position in the cell.
        pieces = [(st.line, st.source) for st in parsed.statements]
        pieces += [(d.line, d.source) for d in parsed.decls if d.kind == "var"]
        pieces.sort(key=lambda p: (p[0], len(p[1]) - len(p[1].lstrip(" "))))
        stmts = [{"src": src, "cell": cell_no, "line": line} for line, src in pieces]
        imports = [
            {
                "name": i.imp.name or "",
                "path": i.imp.path,
                "cell": i.cell_no == cell_no,
                "origin": i.cell_no,
                "line": i.imp.line,
            }
            for i in decl_store.imports
            if i.imp.path != "C"
        ]
        user_idents = {i.imp.ident for i in decl_store.imports}
        declared = self.store.names() | _cell_names(parsed) | {n for d in carried for n in d.names}
        refs = set(parsed.refs)
        for held in self.store.decls() + carried:
            refs |= held.refs
        for alias, path in cells.std_imports(refs - user_idents - declared, std):
            imports.append({"name": alias or "", "path": path, "cell": False})
        # The merged view holds each name once: what this cell declares (or brings along) hides the older one.
        hidden = {n for d in own if d.kind != "method" for n in d.names} | {n for d in carried for n in d.names}
        pkg = f"scratch/live/c{self.seq + 1}"
        own_decls = [LiveDecl(d.kind, d.names, d.source, cell_no, d.line, d.refs, d.uses) for d in own]
        types_now = {n: (p, d.source) for n, (p, d) in self.store.types([*carried, *own_decls], pkg).items()}
        prior = [p.request(hidden, types_now) for p in self.store.visible()]
        # Values made with a declaration this cell replaces by one of another layout keep their old type: say so.
        changed = {n for d in [*carried, *own_decls] if d.kind == "type" for n in d.names}
        stale: dict[str, list[str]] = {}
        for v in self.store.variables():
            moved = sorted(n for n in changed.intersection(v.made_with) if v.made_with[n] != types_now.get(n))
            if v.name not in hidden and moved and not v.viewed(types_now):
                stale.setdefault(moved[0], []).append(v.name)
        return (
            {
                "pkg": pkg,
                "cell": cell_no,
                "imports": imports,
                "prior": prior,
                "decls": decls,
                "stmts": stmts,
            },
            stale,
            carried,
        )

    def _dependents(self, own: list[cells.Decl], carried: list[LiveDecl]) -> list[LiveDecl]:
        """What must be declared again with the types this cell declares (or brings along), as if the notebook
        were one package compiled anew: the methods of those types that this cell does not declare, and every
        held type, function, method and constant that mentions one of them, transitively. Values are not
        copied: variables made with the old types are read through the new ones when the layout is the same."""
        names_here = {n for d in own for n in d.names}
        changed = {n for d in own if d.kind == "type" for n in d.names}
        changed |= {n for d in carried if d.kind == "type" for n in d.names}
        have = {id(d) for d in carried}
        out: list[LiveDecl] = []
        grew = True
        while grew:
            grew = False
            for held in self.store.decls():
                if id(held) in have or held.kind not in ("type", "func", "method", "const"):
                    continue
                if names_here.intersection(held.names):
                    continue  # declared again by this cell itself
                owner = held.names[0].split(".", 1)[0] if held.kind == "method" and held.names else ""
                if owner in changed or changed.intersection(held.uses):
                    have.add(id(held))
                    out.append(held)
                    grew = True
                    if held.kind == "type":
                        changed.update(held.names)
        return out

    def _record(self, pkg: str, cell_no: int, rw: Rewrite, parsed: cells.ParsedCell, carried: list[LiveDecl]) -> None:
        assert self.out_dir is not None
        decls = list(carried) + [
            LiveDecl(d.kind, d.names, d.source, cell_no, d.line, d.refs, d.uses)
            for d in parsed.decls
            if d.kind in _KEPT_KINDS
        ]
        types = self.store.types(decls, pkg)
        variables = [
            LiveVar(v["name"], v["type"], dict(v.get("imports") or {}), cell_no, type_versions(v["type"], types))
            for v in rw.vars
        ]
        package = LivePackage(
            pkg, cell_no, self.out_dir / f"{pkg.rsplit('/', 1)[-1]}.a", decls, variables, list(rw.structs)
        )
        self.store.add(package, set(rw.names) | {n for d in carried for n in d.names})


def _cell_names(parsed: cells.ParsedCell) -> set[str]:
    return {n for d in parsed.decls for n in d.names} | set(parsed.defines)


def _death_reason(code: int | None, captured: list[str], interrupted: bool) -> str:
    head = next((line for line in captured if line.strip()), "")
    if head.startswith("panic: "):
        return f"panic in a goroutine: {readable(head.removeprefix('panic: '))}"
    if head.startswith("fatal error: "):
        return readable(head)
    if interrupted and code is None:
        return "it did not stop after an interrupt and was killed"
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    if code is not None:
        return f"the program exited with status {code} (os.Exit)"
    return "the process stopped"


def _panic_trace(stack: str) -> list[str]:
    """The cell's frames of a recovered panic: from the panic site down to the host's own frames."""
    lines = stack.splitlines()
    start = 0
    for i, line in enumerate(lines):
        if line.startswith("panic(") or line.startswith("runtime.gopanic"):
            start = i + 2
    out = lines[:1] + lines[start:] if lines else []
    end = len(out)
    for i, line in enumerate(out):
        if line.startswith(("main.run.func", "plugin.", "scratch/gkrt.")):
            end = i
            break
    return out[:end]


def _remove_stale(live_root: Path) -> None:
    """Build dirs of sessions whose kernel is gone (each is named <kernel pid>-<n>)."""
    remove_dirs_of_dead_kernels(live_root)


def warm_main(args: list[str]) -> int:
    """`python -m gokernel warm`: prepare the active toolchain for live sessions; prints what it did."""
    from ..toolchains import NoToolchainError, active, go_environ

    try:
        tc = active()
        reason = platform_reason()
        if reason:
            print(f"gokernel warm: nothing to do, {reason}")
            return 0
        started = time.monotonic()
        tools.warm(tc, go_environ(tc), _PREWARM_STD)
    except (NoToolchainError, tools.LiveUnavailable, OSError) as e:
        print(f"gokernel warm: {e}", file=sys.stderr)
        return 1
    print(
        f"gokernel warm: live session tools and std for plugins ready for {tc.version} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0
