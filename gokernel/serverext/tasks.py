"""Background install tasks: one thread per task, progress lines kept for polling clients."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import toolchains

MAX_LINES = 200  # pip's progress bar emits many lines; clients only need the tail


@dataclass
class InstallTask:
    id: str
    version: str
    status: str = "running"  # running | done | failed | cancelled
    lines: list[str] = field(default_factory=list)
    percent: int | None = None
    error: str = ""
    toolchain_id: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)

    def progress(self, line: str) -> None:
        self.lines = [*self.lines[-(MAX_LINES - 1) :], line]
        pct = toolchains.pip_percent(line)  # a percentage, or pip's "12.3/67.3 MB" bar: a determinate bar
        if pct is not None:
            self.percent = pct

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "status": self.status,
            "lines": list(self.lines),
            "percent": self.percent,
            "error": self.error,
            "toolchain_id": self.toolchain_id,
        }


Installer = Callable[..., toolchains.Toolchain]


class TaskRegistry:
    """Install tasks by id; installs run in daemon threads so the event loop never blocks."""

    def __init__(self, installer: Installer | None = None) -> None:
        self._installer = installer
        self._tasks: dict[str, InstallTask] = {}
        self._lock = threading.Lock()

    def start(self, version: str) -> InstallTask:
        """A new install task, or the one already running for `version`: one install per version at a time."""
        with self._lock:
            running = self._running(version)
            if running is not None:
                return running
            task = InstallTask(id=uuid.uuid4().hex, version=version)
            self._tasks[task.id] = task
        threading.Thread(target=self._run, args=(task,), daemon=True, name=f"gokernel-install-{version}").start()
        return task

    def _running(self, version: str) -> InstallTask | None:
        # A task being cancelled is not joined: the new request starts its own (installs never share dirs).
        for t in self._tasks.values():
            if t.version == version and t.status == "running" and not t.cancel.is_set():
                return t
        return None

    def _run(self, task: InstallTask) -> None:
        install = self._installer or toolchains.install
        try:
            tc = install(task.version, progress=task.progress, cancel=task.cancel)
        except toolchains.InstallCancelled:
            task.status = "cancelled"
        except Exception as e:  # reported to the client; the server must keep running
            task.status = "cancelled" if task.cancel.is_set() else "failed"
            task.error = str(e)
        else:
            task.toolchain_id = tc.id
            task.percent = 100
            task.status = "done"

    def get(self, task_id: str) -> InstallTask | None:
        with self._lock:
            return self._tasks.get(task_id)

    def cancel(self, task_id: str) -> InstallTask | None:
        task = self.get(task_id)
        if task is not None and task.status == "running":
            task.cancel.set()
        return task
