"""The `%go` line magic: list/switch/show toolchains, the effective environment, offline mode, installs.

The CLI (toolchains_cli.py) calls the same functions, so both always agree.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import toolchains
from .toolchains import Toolchain

USAGE = """usage:
  %go list                 toolchains found (* marks the one in use)
  %go use <version|id>     use that toolchain in this notebook (%go use default: back to the saved choice)
  %go version              the toolchain in use
  %go env                  effective GOROOT/GOPATH/GOMODCACHE/GOBIN/GOCACHE/GOPROXY/GOFLAGS/GOTOOLCHAIN
  %go offline on|off       GOPROXY=off and -mod=mod: only the module cache and vendor dirs are used
  %go install <version>    install another Go (e.g. 1.22.10) into the gokernel-managed dir"""

ENV_KEYS = (
    "GOROOT", "GOPATH", "GOMODCACHE", "GOBIN", "GOCACHE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN",
    "GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOSUMDB", "GOINSECURE", "GOWORK", "GOENV",
)  # fmt: skip
# What gokernel sets itself when nothing else did (per-env caches, the toolchain's root, no downloads).
_KERNEL_SET = frozenset({"GOROOT", "GOPATH", "GOMODCACHE", "GOBIN", "GOTOOLCHAIN"})


@dataclass
class ToolchainSession:
    """One per kernel: the per-notebook override and the offline flag."""

    override: str | None = None
    offline: bool = False

    def current(self) -> Toolchain:
        return toolchains.active(self.override)

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        return toolchains.go_environ(self.current(), base, offline=self.offline)


@dataclass
class MagicOutput:
    text: str
    html: str | None = None
    error: str | None = None


TABLE_COLUMNS = ("", "id", "version", "source", "label", "go")


def table_rows(found: list[Toolchain], current: Toolchain | None) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for t in found:
        mark = "*" if current is not None and t.id == current.id else ""
        version = t.version if t.usable else f"unusable: {t.reason}"
        rows.append((mark, t.id, version, t.source, t.label, t.go))
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    all_rows = [TABLE_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in all_rows) + "\n"


def html_table(rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in TABLE_COLUMNS)
    body = "".join(
        "<tr{}>{}</tr>".format(
            ' style="font-weight:bold"' if r[0] else "", "".join(f"<td>{html.escape(c)}</td>" for c in r)
        )
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def current_or_none(override: str | None) -> Toolchain | None:
    try:
        return toolchains.active(override)
    except (toolchains.NoToolchainError, toolchains.UnknownToolchainError):
        return None


def effective_env(tc: Toolchain, env: dict[str, str]) -> dict[str, str]:
    """What `go` itself resolves (defaults, `go env -w` settings included); our env dict if go cannot run."""
    try:
        out = subprocess.run(
            [tc.go, "env", "-json", *ENV_KEYS], env=env, capture_output=True, text=True, timeout=30, check=True
        )
        values = json.loads(out.stdout)
    except (OSError, ValueError, RecursionError, subprocess.SubprocessError):
        values = None
    if not isinstance(values, dict):
        return {k: env.get(k, "") for k in ENV_KEYS}
    return {k: str(values.get(k, "")) for k in ENV_KEYS}


def describe(tc: Toolchain) -> str:
    return f"{tc.version} ({tc.id}, {tc.label}) at {tc.goroot}"


def env_sources(
    tc: Toolchain, extra: Mapping[str, str], values: Mapping[str, str], env: Mapping[str, str], offline: bool
) -> dict[str, str]:
    """Where each GO* value comes from, in precedence order: %env, the kernel's environment, a conda env's
    vars, `go env -w`, gokernel's own defaults, go's defaults."""
    conda = toolchains.conda_go_vars(tc)
    written = toolchains._go_env_file(env)
    out: dict[str, str] = {}
    for k in ENV_KEYS:
        if offline and k in ("GOPROXY", "GOFLAGS"):
            out[k] = "offline mode (%go offline on)"
        elif k in extra:
            out[k] = "%env in this notebook"
        elif k in os.environ:
            out[k] = "the kernel's environment"
        elif k in conda and env.get(k) == conda[k][0]:
            out[k] = f"conda env vars of {conda[k][1]}"
        elif k in written and values.get(k) == written[k]:
            out[k] = "go env -w"
        elif k in _KERNEL_SET:
            out[k] = "gokernel"
        else:
            out[k] = "default"
    return out


def run_go_magic(
    args: list[str],
    session: ToolchainSession,
    progress: Callable[[str], None] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> MagicOutput:
    cmd, rest = (args[0], args[1:]) if args else ("", [])
    try:
        if cmd == "list" and not rest:
            found = toolchains.discover()
            rows = table_rows(found, current_or_none(session.override))
            if not found:
                return MagicOutput(toolchains.INSTALL_HINT)
            return MagicOutput(text_table(rows), html_table(rows))
        if cmd == "use" and len(rest) == 1:
            if rest[0] == "default":
                session.override = None
                tc = session.current()
                return MagicOutput(f"this notebook follows the saved choice again: {describe(tc)}\n")
            tc = toolchains.active(rest[0])
            session.override = tc.id
            return MagicOutput(f"this notebook now uses {describe(tc)}\n")
        if cmd == "version" and not rest:
            tc = session.current()
            note = toolchains.fallback_note()
            return MagicOutput(describe(tc) + "\n" + (f"note: {note}\n" if note else ""))
        if cmd == "env" and not rest:
            tc = session.current()
            extra = dict(extra_env or {})
            env = session.environ({**os.environ, **extra})
            values = effective_env(tc, env)
            where = env_sources(tc, extra, values, env, session.offline)
            width = max(len(f"{k}={values.get(k, '')}") for k in ENV_KEYS)
            lines = [f"{k}={values.get(k, '')}".ljust(width) + f"  # {where[k]}" for k in ENV_KEYS]
            if session.offline:
                lines.append("# offline: only the module cache and vendor dirs are used")
            return MagicOutput("\n".join(lines) + "\n")
        if cmd == "offline" and len(rest) == 1 and rest[0] in ("on", "off"):
            session.offline = rest[0] == "on"
            state = "on (GOPROXY=off, GOFLAGS=-mod=mod)" if session.offline else "off"
            return MagicOutput(f"offline mode {state}\n")
        if cmd == "install" and len(rest) == 1:
            say = toolchains.concise_progress(progress) if progress else None  # not pip's raw output
            tc = toolchains.install(rest[0], progress=say)
            return MagicOutput(f"installed {describe(tc)}; switch with `%go use {tc.id}`\n")
    except (toolchains.UnknownToolchainError, toolchains.NoToolchainError, toolchains.InstallCancelled) as e:
        return MagicOutput("", error=str(e))
    except (RuntimeError, OSError) as e:
        return MagicOutput("", error=f"{cmd}: {e}")
    return MagicOutput("", error=f"unknown %go command {' '.join(args)!r}\n{USAGE}")
