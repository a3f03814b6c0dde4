"""Compile and link one cell package into a Go plugin, the way `go build -buildmode=plugin` would.

The go command refuses to import a package named `main`, and cell packages are named main so that `%T`
prints `main.T` as in a program; so the kernel drives `compile` and `link` itself. Every package is built
with `-dynlink`; the compiled std and module packages come from `go list -buildmode=plugin -export -deps`
(the build cache), asked once per new import path for the whole session.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from .. import runner
from ..scratch import go_directive_version
from ..toolchains import Toolchain

_LIST_FORMAT = "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"


class PluginBuilder:
    """`-s -w`: no symbol table or DWARF (the runtime's own line tables stay, so panics still name cell lines);
    it halves the link, which is most of a cell's build, and shrinks each loaded plugin."""

    def __init__(
        self,
        tc: Toolchain,
        env: Mapping[str, str],
        module_root: Path,
        out_dir: Path,
        exports: Mapping[str, str] | None = None,
    ) -> None:
        self.tc = tc
        self.env = dict(env)
        self.root = module_root
        self.out_dir = out_dir
        self.exports: dict[str, str] = dict(exports or {})  # import path -> compiled (dynlink) export file
        self._tools: tuple[Path, str] | None = None

    def tools(self) -> tuple[Path, str]:
        """(GOTOOLDIR, C compiler) of the toolchain."""
        if self._tools is None:
            out = subprocess.run(
                [self.tc.go, "env", "GOTOOLDIR", "CC"], env=self.env, capture_output=True, text=True, timeout=30
            ).stdout.split("\n")
            cc = out[1].split()[0] if len(out) > 1 and out[1].strip() else "gcc"
            self._tools = (Path(out[0].strip()), cc)
        return self._tools

    def ensure(self, paths: Iterable[str]) -> runner.ProcessResult | None:
        """Have export data for `paths` and all their dependencies; the go list result when it ran."""
        # runtime/cgo: plugins are linked externally with cgo, as go build -buildmode=plugin links them.
        missing = sorted({p for p in [*paths, "runtime/cgo"] if p not in self.exports and p not in ("unsafe", "C")})
        missing = [p for p in missing if not p.startswith("scratch/live/")]
        if not missing:
            return None
        res = runner.run(
            [self.tc.go, "list", "-buildmode=plugin", "-trimpath", "-mod=mod", "-e", "-export", "-deps",
             "-f", _LIST_FORMAT, *missing],
            cwd=self.root,
            env=self.env,
        )  # fmt: skip
        for line in res.captured_stdout.splitlines():
            path, sep, export = line.partition("=")
            if sep and export:
                self.exports[path] = export
        return res

    def forget(self, module_paths: Iterable[str]) -> None:
        """Drop what was listed for packages of these modules: their sources may have changed."""
        prefixes = tuple(module_paths)
        if prefixes:
            self.exports = {
                p: f for p, f in self.exports.items() if not any(p == m or p.startswith(m + "/") for m in prefixes)
            }

    def _importcfg(self, name: str, cells: Mapping[str, Path]) -> Path:
        lines = [f"packagefile {p}={f}" for p, f in sorted(self.exports.items())]
        lines += [f"packagefile {p}={f}" for p, f in sorted(cells.items())]
        cfg = self.out_dir / name
        cfg.write_text("\n".join(lines) + "\n")
        return cfg

    def build(
        self, pkg: str, source: str, imports: Iterable[str], cells: Mapping[str, Path]
    ) -> tuple[runner.ProcessResult, Path]:
        """Compile `source` as package `pkg` and link it into a plugin; `cells` maps earlier cell packages to
        their archives. Returns the failing or last step's result and the plugin's path."""
        tooldir, cc = self.tools()
        name = pkg.rsplit("/", 1)[-1]
        src = self.out_dir / f"{name}.go"
        src.write_text(source)
        archive = self.out_dir / f"{name}.a"
        plugin = self.out_dir / f"{name}.so"
        listed = self.ensure(imports)
        if listed is not None and (listed.interrupted or listed.returncode != 0):
            missing = [p for p in imports if p not in self.exports and p not in ("unsafe",)]
            missing = [p for p in missing if not p.startswith("scratch/live/")]
            if listed.interrupted or missing:
                return listed, plugin
        cfg = self._importcfg(f"{name}.importcfg", cells)
        lang = f"-lang=go{go_directive_version(self.tc.version)}"
        compiled = runner.run(
            [str(tooldir / "compile"), "-o", str(archive), "-p", pkg, lang, "-complete", "-installsuffix", "dynlink",
             "-dynlink", "-nolocalimports", "-importcfg", str(cfg), "-pack",
             # `//line cellN.go` names stay as written (not joined to this dir): runtime.Caller reports them.
             "-trimpath", f"{self.out_dir}=>", str(src)],
            cwd=self.out_dir,
            env=self.env,
        )  # fmt: skip
        if compiled.returncode != 0 or compiled.interrupted:
            compiled.captured_stderr = compiled.captured_stdout + compiled.captured_stderr
            return compiled, plugin
        linked = runner.run(
            [str(tooldir / "link"), "-o", str(plugin), "-importcfg", str(cfg), "-installsuffix", "dynlink",
             "-pluginpath", pkg, "-buildmode=plugin", f"-extld={cc}", "-s", "-w", str(archive)],
            cwd=self.out_dir,
            env=self.env,
        )  # fmt: skip
        return linked, plugin
