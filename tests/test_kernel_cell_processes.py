"""No process of a cell outlives it; its exit (not its pipes) ends it; any of its processes gets stdin;
a SIGKILL says whether memory was the cause (issue 11 items 10-13), through a real fresh-mode kernel."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gokernel import fresh, runner

from .kernel_client import Execution, GoKernelDriver


@pytest.fixture(scope="module")
def kernel() -> Iterator[GoKernelDriver]:
    k = GoKernelDriver(
        env={"JPY_SESSION_NAME": "/notebooks/test_kernel_cell_processes.ipynb", "GOKERNEL_MODE": "fresh"}
    )
    yield k
    k.shutdown()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except FileNotFoundError:
        return False


def _pids(path: Path, n: int, timeout: float = 60) -> list[int]:
    """The pids a cell wrote to `path`, one a line, once all `n` are there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(lines := path.read_text().split()) >= n:
            return [int(x) for x in lines[:n]]
        time.sleep(0.05)
    raise TimeoutError(f"the cell never wrote {n} pid(s) to {path}")


def _in_background(k: GoKernelDriver, code: str, **kw: Any) -> Callable[[], Execution]:
    box: dict[str, Execution] = {}
    t = threading.Thread(target=lambda: box.update(ex=k.execute(code, timeout=120, **kw)), daemon=True)
    t.start()

    def join() -> Execution:
        t.join(60)
        assert "ex" in box, "the cell did not finish"
        return box["ex"]

    return join


# Each program writes the pids that must not survive to PIDS, then keeps working.
_IGNORES_SIGINT = "signal.Ignore(os.Interrupt)\nos.WriteFile(PIDS, []byte(fmt.Sprintln(os.Getpid())), 0o644)\nfor {\n}"
_CLOSED_FDS = (
    "syscall.Close(1)\nsyscall.Close(2)\nsyscall.Close(3)\n"
    "os.WriteFile(PIDS, []byte(fmt.Sprintln(os.Getpid())), 0o644)\nfor {\n}"
)
_SETSID_CHILD = (
    'import "os/exec"\ncmd := exec.Command("sleep", "60")\ncmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}\n'
    "cmd.Start()\nos.WriteFile(PIDS, []byte(fmt.Sprintln(os.Getpid(), cmd.Process.Pid)), 0o644)\n"
    "time.Sleep(time.Minute)"
)


@pytest.mark.parametrize(
    ("program", "npids"), [(_IGNORES_SIGINT, 1), (_CLOSED_FDS, 1), (_SETSID_CHILD, 2)], ids=["sigint", "fds", "setsid"]
)
def test_no_process_of_the_cell_survives_two_interrupts(
    kernel: GoKernelDriver, tmp_path: Path, program: str, npids: int
) -> None:
    pidfile = tmp_path / "pids"
    join = _in_background(kernel, program.replace("PIDS", f'"{pidfile}"'))
    pids = _pids(pidfile, npids)
    t0 = time.monotonic()
    kernel.km.interrupt_kernel()
    time.sleep(0.25)  # a second click on stop while the first is being handled
    kernel.km.interrupt_kernel()
    ex = join()
    assert ex.reply["content"]["ename"] == "Interrupted"
    assert time.monotonic() - t0 < 5
    assert [p for p in pids if _alive(p)] == []


def test_a_program_that_closes_its_outputs_runs_to_its_end(kernel: GoKernelDriver, tmp_path: Path) -> None:
    marker = tmp_path / "done"
    # Longer than the 5 s the kernel used to wait after the pipes closed before it SIGKILLed the program.
    ex = kernel.execute(
        "syscall.Close(1)\nsyscall.Close(2)\nsyscall.Close(3)\ntime.Sleep(5500 * time.Millisecond)\n"
        f'os.WriteFile("{marker}", nil, 0o644)',
        timeout=60,
    )
    assert ex.status == "ok", ex.error
    assert marker.exists()


def test_a_child_reading_the_cells_stdin_gets_the_input_box(kernel: GoKernelDriver) -> None:
    ex = kernel.execute(
        'import "os/exec"\ncmd := exec.Command("head", "-n1")\ncmd.Stdin = os.Stdin\nout, err := cmd.Output()\n'
        'fmt.Printf("child read %q %v\\n", out, err)',
        allow_stdin=True,
        stdin_reply="from the box",
        timeout=60,
    )
    assert ex.status == "ok", ex.error
    assert ex.stream() == 'child read "from the box\\n" <nil>\n'


def test_interrupting_while_the_input_box_is_open_stops_the_program(kernel: GoKernelDriver, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    join = _in_background(
        kernel,
        f'os.WriteFile("{pidfile}", []byte(fmt.Sprintln(os.Getpid())), 0o644)\nvar s string\nfmt.Scanln(&s)\n'
        'fmt.Println("carried on after the input")\ntime.Sleep(time.Minute)',
        allow_stdin=True,
    )
    (pid,) = _pids(pidfile, 1)
    try:
        request = kernel.kc.get_stdin_msg(timeout=30)
    except queue.Empty:
        pytest.fail("no input request")
    assert request["msg_type"] == "input_request"
    t0 = time.monotonic()
    kernel.km.interrupt_kernel()
    ex = join()
    assert ex.reply["content"]["ename"] == "Interrupted"
    assert "carried on" not in ex.stream()
    assert time.monotonic() - t0 < 5 and not _alive(pid)


def test_a_sigkill_reports_the_programs_peak_memory(kernel: GoKernelDriver) -> None:
    ex = kernel.execute(
        "b := make([]byte, 300<<20)\nfor i := range b {\n\tb[i] = 1\n}\nsyscall.Kill(os.Getpid(), syscall.SIGKILL)\n"
        "fmt.Println(len(b))",
        timeout=60,
    )
    evalue = ex.reply["content"]["evalue"]
    assert evalue.startswith("program killed by signal 9 (SIGKILL)"), evalue
    peak = float(evalue.split("peak memory was ")[1].split()[0])
    assert 300 <= peak < 1000, evalue  # MB


def test_a_sigkill_by_the_oom_killer_says_memory_was_the_cause() -> None:
    res = runner.ProcessResult(returncode=-9, peak_rss=900 << 20, oom_kills=1)
    assert "out of memory (the OOM killer stopped it at a peak of 900 MB" in fresh.killed_message(res)
    limit = runner.memory_limit()
    assert limit is not None
    near = runner.ProcessResult(returncode=-9, peak_rss=limit - (1 << 20))
    assert "memory was the likely cause" in fresh.killed_message(near)
    other = runner.ProcessResult(returncode=-15, peak_rss=1 << 20)
    assert fresh.killed_message(other) == "program killed by signal 15 (SIGTERM)"
