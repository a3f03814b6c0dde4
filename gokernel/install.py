"""Install the Go kernelspec (`python -m gokernel install --user | --sys-prefix | --prefix P`)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

KERNEL_NAME = "go"


def kernelspec_dir() -> Path:
    """The kernelspec directory shipped inside the package (kernel.json + logos); named `go`, so
    `jupyter kernelspec install <this dir>` names the kernel `go` too."""
    return Path(str(files("gokernel") / "kernelspecs" / KERNEL_NAME))


def install(
    *, user: bool = False, prefix: str | None = None, name: str = KERNEL_NAME, display_name: str | None = None
) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        spec_dir = Path(tmp) / name
        shutil.copytree(kernelspec_dir(), spec_dir)
        spec = json.loads((spec_dir / "kernel.json").read_text())
        # The interpreter that has gokernel installed runs the kernel, whatever `python` is on PATH later.
        spec["argv"][0] = sys.executable
        if display_name:
            spec["display_name"] = display_name
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
        return KernelSpecManager().install_kernel_spec(str(spec_dir), name, user=user, prefix=prefix)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m gokernel install", description="Install the Go kernelspec.")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument("--sys-prefix", action="store_true", help=f"install into this environment ({sys.prefix})")
    where.add_argument("--prefix", help="install into PREFIX/share/jupyter/kernels")
    p.add_argument("--name", default=KERNEL_NAME, help="kernelspec name (default: go)")
    p.add_argument("--display-name", help="name shown in Jupyter (default: Go)")
    a = p.parse_args(argv)
    prefix = sys.prefix if a.sys_prefix else a.prefix
    dest = install(user=a.user, prefix=prefix, name=a.name, display_name=a.display_name)
    print(f"Installed the Go kernelspec in {dest}")
    return 0
