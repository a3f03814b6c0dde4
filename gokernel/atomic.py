"""Atomic file writes: a reader (or a kernel killed mid-write) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode())


def write_if_changed(path: str | os.PathLike[str], text: str) -> bool:
    """Write atomically unless the file already holds `text`; keeps mtimes (and go's caches) stable."""
    p = Path(path)
    data = text.encode()
    try:
        if p.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(p, data)
    return True
