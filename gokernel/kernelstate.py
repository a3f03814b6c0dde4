"""Per-kernel status files so the server extension can show which Go each running kernel uses."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir

from .atomic import atomic_write_text


def state_dir() -> Path:
    return Path(jupyter_runtime_dir()) / "gokernel" / "kernels"


def kernel_id_from_connection_file(connection_file: str) -> str:
    # jupyter_client names connection files kernel-<id>.json
    name = Path(connection_file).name
    if name.startswith("kernel-") and name.endswith(".json"):
        return name[len("kernel-") : -len(".json")]
    return name.removesuffix(".json")


def write(kernel_id: str, data: dict[str, Any]) -> None:
    payload = {"kernel_id": kernel_id, "pid": os.getpid(), "updated": time.time(), **data}
    atomic_write_text(state_dir() / f"{kernel_id}.json", json.dumps(payload))


def remove(kernel_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (state_dir() / f"{kernel_id}.json").unlink()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_dirs_of_dead_kernels(root: Path, prefix: str = "") -> None:
    """Delete `root/<prefix><pid>[-...]` directories whose kernel process is gone (killed, crashed, shut down):
    per-kernel build dirs, live-session dirs, language-server workspaces."""
    if not root.is_dir():
        return
    for d in root.glob(f"{prefix}*"):
        pid = d.name.removeprefix(prefix).split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def read_all() -> dict[str, dict[str, Any]]:
    """Status of every kernel that still runs, by kernel id; files of dead kernels are removed."""
    out: dict[str, dict[str, Any]] = {}
    d = state_dir()
    if not d.is_dir():
        return out
    for f in d.glob("*.json"):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError, RecursionError):
            continue  # garbage (the files are written atomically): skip it, never fail the listing
        pid = data.get("pid") if isinstance(data, dict) else None
        if type(pid) is not int or pid <= 0:
            continue  # not a kernel's state file
        if not pid_alive(pid):
            f.unlink(missing_ok=True)  # a dead kernel's file
            continue
        out[str(data.get("kernel_id", f.stem))] = data
    return out
