"""Drive a Jupyter kernel through jupyter_client and time cells to their last message (idle after the reply)."""

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager


@dataclass
class Message:
    msg_type: str
    content: dict[str, Any]
    arrived: float  # time.monotonic() when the harness received it
    arrived_wall_ns: int  # time.time_ns() at the same moment, to compare with a program's own clock


@dataclass
class CellRun:
    code: str
    started: float
    finished: float = 0.0
    reply: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def status(self) -> str:
        return str(self.reply.get("status", "missing"))

    def stream(self, name: str = "stdout") -> str:
        return "".join(m.content["text"] for m in self.messages if m.msg_type == "stream" and m.content["name"] == name)

    def all_text(self) -> str:
        """Every text the cell produced (streams, text/plain of displays and results, errors), for content checks."""
        parts: list[str] = []
        for m in self.messages:
            c = m.content
            if m.msg_type == "stream":
                parts.append(c["text"])
            elif m.msg_type in ("display_data", "execute_result", "update_display_data"):
                parts.append(str(c.get("data", {}).get("text/plain", "")))
            elif m.msg_type == "error":
                parts.append(f"{c.get('ename')}: {c.get('evalue')}\n" + "\n".join(c.get("traceback", [])))
        return "".join(parts)

    def problem(self, expect: str | None = None) -> str:
        """Why this run counts as a failed scenario, or "" when it is fine."""
        if self.status != "ok":
            text = self.all_text().strip().splitlines()
            return f"reply status {self.status}: {' | '.join(text[-3:])[:300]}"
        if not any(m.msg_type in ("stream", "display_data", "execute_result") for m in self.messages):
            return "no output"
        if expect is not None and expect not in self.all_text():
            return f"output lacks {expect!r}"
        return ""


class KernelSession:
    """One running kernel. `start_seconds` is launch → arrival of the kernel_info reply.

    Not the time `wait_for_ready` takes: after the reply it also waits for an IOPub message and then for 0.2 s of
    IOPub silence, which would add ~0.2 s to every kernel alike. It still runs afterwards, so a cell sent next
    finds IOPub connected.
    """

    def __init__(
        self, kernel_name: str = "go", env: dict[str, str] | None = None, kernel_dirs: list[str] | None = None
    ) -> None:
        ksm = KernelSpecManager()
        if kernel_dirs:
            ksm.kernel_dirs = [*kernel_dirs, *ksm.kernel_dirs]
        self.km = KernelManager(kernel_name=kernel_name, kernel_spec_manager=ksm)
        t0 = time.monotonic()
        self.km.start_kernel(env={**os.environ, **(env or {})})
        self.kc: BlockingKernelClient = self.km.client()
        self.kc.start_channels()
        try:
            self.start_seconds = self._first_kernel_info_reply(t0, timeout=60)
            self.kc.wait_for_ready(timeout=60)
        except Exception:
            self.shutdown()
            raise

    def _first_kernel_info_reply(self, t0: float, timeout: float) -> float:
        """Seconds from `t0` until the reply to a kernel_info_request sent right after launch arrives."""
        msg_id = self.kc.kernel_info()
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no kernel_info reply in {timeout:g}s")
            try:
                msg = self.kc.get_shell_msg(timeout=min(left, 1.0))
            except queue.Empty:
                if not self.km.is_alive():
                    raise RuntimeError("kernel died before replying to kernel_info") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return time.monotonic() - t0

    @property
    def pid(self) -> int | None:
        pid = getattr(self.km.provisioner, "pid", None)
        return int(pid) if pid else None

    def rss_bytes(self) -> int | None:
        """Resident set size of the kernel process itself (not the Go programs it starts)."""
        pid = self.pid
        if pid is None:
            return None
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except psutil.Error:
            return None

    def execute(self, code: str, timeout: float = 300) -> CellRun:
        run = CellRun(code=code, started=time.monotonic())
        msg_id = self.kc.execute(code)
        deadline = run.started + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"cell did not finish in {timeout:g}s: {code[:60]!r}")
            try:
                msg = self.kc.get_iopub_msg(timeout=left)
            except queue.Empty:
                continue
            arrived, wall = time.monotonic(), time.time_ns()
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    run.finished = arrived
                    break
                continue
            run.messages.append(Message(msg["msg_type"], msg["content"], arrived, wall))
        # The reply is sent before the idle status, so it is already waiting on the shell channel.
        while True:
            reply = self.kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                run.reply = reply["content"]
                return run

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)
