"""Optional GoNB side-by-side: find or install the `gonb` binary and register its kernelspec in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
GONB_HOME = HERE / ".gonb"  # git-ignored: GOBIN for gonb, goimports, gopls
PACKAGES = (
    "github.com/janpfeifer/gonb@latest",
    "golang.org/x/tools/cmd/goimports@latest",
    "golang.org/x/tools/gopls@latest",
)


class GoNBUnavailable(RuntimeError):
    pass


def find_gonb() -> str | None:
    local = GONB_HOME / "bin" / "gonb"
    return str(local) if local.exists() else shutil.which("gonb")


def install_gonb(go: str, env: dict[str, str], timeout: float = 900) -> str:
    gobin = GONB_HOME / "bin"
    gobin.mkdir(parents=True, exist_ok=True)
    for pkg in PACKAGES:
        proc = subprocess.run(
            [go, "install", pkg], env={**env, "GOBIN": str(gobin)}, capture_output=True, text=True, timeout=timeout
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1].strip()
            raise GoNBUnavailable(f"go install {pkg} failed: {last}")
    return str(gobin / "gonb")


def register_kernelspec(gonb: str, jupyter_dir: Path, env: dict[str, str]) -> Path:
    """`gonb --install` writes into the user's Jupyter data dir; point that at a temp dir instead."""
    gobin = str(Path(gonb).parent)
    env = {**env, "JUPYTER_DATA_DIR": str(jupyter_dir), "PATH": gobin + os.pathsep + env.get("PATH", "")}
    proc = subprocess.run([gonb, "--install"], env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise GoNBUnavailable(f"gonb --install failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
    kernels = jupyter_dir / "kernels"
    if not (kernels / "gonb" / "kernel.json").exists():
        raise GoNBUnavailable(f"gonb --install wrote no kernels/gonb/kernel.json under {jupyter_dir}")
    return kernels


def prepare(go: str, env: dict[str, str], jupyter_dir: Path) -> tuple[Path, dict[str, str]]:
    """Return (kernel dir to search, env for the kernel); raise GoNBUnavailable with a reason."""
    gonb = find_gonb()
    if gonb is None:
        try:
            gonb = install_gonb(go, env)
        except (OSError, subprocess.SubprocessError) as e:
            raise GoNBUnavailable(f"cannot install gonb: {e}") from None
    kernels = register_kernelspec(gonb, jupyter_dir, env)
    path = str(Path(gonb).parent) + os.pathsep + env.get("PATH", "")
    return kernels, {**env, "PATH": path}
