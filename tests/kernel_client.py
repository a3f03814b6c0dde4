"""A small driver for a real gokernel over ZeroMQ (jupyter_client), used by the kernel tests."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Execution:
    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)  # iopub messages with "_t" arrival time
    started: float = 0.0
    finished: float = 0.0

    @property
    def status(self) -> str:
        return str(self.reply["content"]["status"])

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] == msg_type]

    def displays(self) -> list[dict[str, Any]]:
        """display_data and update_display_data messages, in arrival order."""
        return [m for m in self.messages if m["msg_type"] in ("display_data", "update_display_data")]

    def stream(self, name: str = "stdout") -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == name)

    @property
    def result(self) -> str | None:
        res = self.of_type("execute_result")
        return res[-1]["content"]["data"]["text/plain"] if res else None

    @property
    def error(self) -> dict[str, Any] | None:
        errs = self.of_type("error")
        return errs[-1]["content"] if errs else None


class GoKernelDriver:
    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self.km = KernelManager(kernel_name="go")
        full_env = {**os.environ, **(env or {})}
        if cwd:
            # Jupyter starts a kernel in its notebook's directory; the kernel must still be this source tree
            # (as it is for kernels started from the repository root), not an older installed copy.
            full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), full_env.get("PYTHONPATH")]))
        self.km.start_kernel(env=full_env, **({"cwd": cwd} if cwd else {}))
        self.kc: BlockingKernelClient = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def execute(
        self,
        code: str,
        *,
        timeout: float = 120,
        allow_stdin: bool = False,
        stdin_reply: str | None = None,
        on_message: Any = None,
    ) -> Execution:
        started = time.monotonic()
        msg_id = self.kc.execute(code, allow_stdin=allow_stdin)
        ex = Execution(reply={}, started=started)
        deadline = started + timeout
        idle = False
        reply = None
        while not (idle and reply):
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell did not finish in {timeout}s: {code!r}")
            if allow_stdin and stdin_reply is not None:
                try:
                    req = self.kc.get_stdin_msg(timeout=0.01)
                    if req["msg_type"] == "input_request":
                        self.kc.input(stdin_reply)
                except queue.Empty:
                    pass
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                msg = None
            if msg and msg["parent_header"].get("msg_id") == msg_id:
                msg["_t"] = time.monotonic()
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                elif msg["msg_type"] != "status":
                    ex.messages.append(msg)
                    if on_message:
                        on_message(msg)
            if reply is None:
                try:
                    r = self.kc.get_shell_msg(timeout=0.01)
                    if r["parent_header"].get("msg_id") == msg_id:
                        reply = r
                except queue.Empty:
                    pass
        ex.reply = reply
        ex.finished = time.monotonic()
        return ex

    def restart(self) -> None:
        self.km.restart_kernel(now=True)
        self.kc.stop_channels()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def ok(k: GoKernelDriver, code: str, **kw: Any) -> Execution:
    """Run `code`; the test fails (showing the error and stderr) unless the cell succeeds."""
    ex = k.execute(code, **kw)
    assert ex.status == "ok", (ex.error, ex.stream("stderr"), code)
    return ex


def kernel_fixture(env: dict[str, str], scope: str = "module") -> Callable[[], Iterator[GoKernelDriver]]:
    """A pytest fixture giving one kernel started with `env` (a test module's `kernel = kernel_fixture({...})`)."""

    def kernel() -> Iterator[GoKernelDriver]:
        k = GoKernelDriver(env=env)
        yield k
        k.shutdown()

    return pytest.fixture(scope=scope, name="kernel")(kernel)  # type: ignore[call-overload,no-any-return]
