"""`python -m gokernel toolchains [list|use ID|install VERSION] [--json]` (same code paths as `%go`)."""

from __future__ import annotations

import argparse
import json
import sys

from . import toolchains
from .go_magic import current_or_none, describe, table_rows, text_table


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gokernel toolchains", description="Go toolchains for gokernel")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--refresh", action="store_true", help="ignore the discovery caches")
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("list", help="toolchains found (* = active)").add_argument("--json", action="store_true")
    use = sub.add_parser("use", help="make a toolchain the active one for this environment")
    use.add_argument("id", help="toolchain id or Go version, as shown by `list`")
    use.add_argument("--json", action="store_true")
    inst = sub.add_parser("install", help="install a Go version into the gokernel-managed dir")
    inst.add_argument("version", help="e.g. 1.22.10")
    inst.add_argument("--json", action="store_true")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    as_json = bool(args.json)
    try:
        if args.cmd in (None, "list"):
            found = toolchains.discover(refresh=args.refresh)
            current = current_or_none(None)
            if as_json:
                items = [dict(toolchains.toolchain_dict(t), active=current is not None and t.id == current.id)
                         for t in found]  # fmt: skip
                print(json.dumps({"toolchains": items, "active": current.id if current else None}, indent=1))
            elif found:
                print(text_table(table_rows(found, current)), end="")
            else:
                print(toolchains.INSTALL_HINT)
            return 0
        if args.cmd == "use":
            tc = toolchains.set_active(args.id)
        else:
            progress = (lambda line: print(line, file=sys.stderr)) if as_json else print
            tc = toolchains.install(args.version, progress=progress)
    except (toolchains.UnknownToolchainError, toolchains.NoToolchainError, toolchains.InstallCancelled) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(toolchains.toolchain_dict(tc), indent=1))
    else:
        print(("active: " if args.cmd == "use" else "installed: ") + describe(tc))
    return 0
