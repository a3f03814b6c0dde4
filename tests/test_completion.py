"""Completion and inspection from gopls through a real kernel, its lifecycle, and the fallback without it.

gopls is installed once per machine (gokernel's data dir) by the first test that needs it; the
`gopls_installed` fixture does that up front so its time is reported once and kernels find it ready.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from gokernel import toolchains
from gokernel.language import gopls

from .kernel_client import GoKernelDriver

Reply = dict[str, Any]


@pytest.fixture(scope="module")
def gopls_installed() -> Path:
    tc = toolchains.active()
    env = toolchains.go_environ(tc)
    found = gopls.find(tc, env)
    if found is None:
        started = time.monotonic()
        found = gopls.install(tc, env, lambda s: print(s, file=sys.stderr))
        print(f"gopls installed in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return found


@pytest.fixture(scope="module")
def kernel(gopls_installed: Path) -> Iterator[GoKernelDriver]:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/test_completion.ipynb"})
    yield k
    k.kc.stop_channels()
    pid = k.km.provisioner.pid  # type: ignore[union-attr]
    servers = gopls_processes(pid)
    k.km.shutdown_kernel(now=False)  # a shutdown_request: the kernel stops gopls itself
    assert wait_gone(servers), servers


def ok(k: GoKernelDriver, code: str) -> None:
    ex = k.execute(code)
    assert ex.status == "ok", (ex.error, ex.stream("stderr"), code)


def complete(k: GoKernelDriver, code: str, pos: int | None = None) -> Reply:
    reply: Reply = k.kc.complete(code, len(code) if pos is None else pos, reply=True, timeout=30)["content"]
    assert reply["status"] == "ok"
    return reply


def until(k: GoKernelDriver, code: str, wanted: Callable[[Reply], bool], timeout: float = 120) -> Reply:
    """The first reply that has what gopls offers: the first requests of a kernel fall back while it starts."""
    deadline = time.monotonic() + timeout
    while True:
        reply = complete(k, code)
        if wanted(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.3)


def types(reply: Reply) -> dict[str, tuple[str, str]]:
    return {t["text"]: (t["type"], t["signature"]) for t in reply["metadata"].get("_jupyter_types_experimental", [])}


def inspect(k: GoKernelDriver, code: str, pos: int | None = None) -> Reply:
    reply: Reply = k.kc.inspect(code, len(code) if pos is None else pos, reply=True, timeout=30)["content"]
    assert reply["status"] == "ok"
    return reply


# ---- processes ------------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    tree = _children()
    out, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def gopls_processes(kernel_pid: int) -> list[int]:
    return [p for p in descendants(kernel_pid) if _comm(p) == "gopls"]


def any_gopls_alive(pids: list[int]) -> bool:
    # A pid reused by another program is not a gopls left behind.
    return any(_comm(p) == "gopls" for p in pids)


def wait_gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while any_gopls_alive(pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/statm").read_text().split()
        except OSError:
            continue
        total += int(fields[1]) * os.sysconf("SC_PAGE_SIZE")
    return total / 1e6


# ---- what gopls answers -----------------------------------------------------------------------------------
def test_std_members_with_kinds_and_signatures(kernel: GoKernelDriver) -> None:
    reply = until(kernel, "strings.", lambda r: "Split" in types(r))
    assert types(reply)["Split"] == ("function", "func(s string, sep string) []string")
    assert types(reply)["Builder"][0] == "type"
    assert reply["cursor_start"] == reply["cursor_end"] == len("strings.")
    # Functions `go doc` files under their result type come too.
    reply = complete(kernel, "t0 := time.N")
    assert {"Now", "NewTimer", "Nanosecond"} <= set(reply["matches"]), reply["matches"]
    assert types(reply)["Nanosecond"][0] == "constant"
    assert reply["cursor_start"] == len("t0 := time.")
    assert complete(kernel, "strings.ToUpp")["matches"] == ["ToUpper", "ToUpperSpecial"]


def test_fields_and_methods_of_a_notebook_type_and_a_live_value(kernel: GoKernelDriver) -> None:
    ok(
        kernel,
        "type Point struct{ X, Y int }\n\n"
        "// Norm1 is the taxicab norm of p.\nfunc (p Point) Norm1() int { return abs(p.X) + abs(p.Y) }\n"
        "func abs(x int) int {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}",
    )
    ok(kernel, "p := Point{1, 2}")
    reply = until(kernel, "p.", lambda r: "Norm1" in r["matches"])
    assert types(reply) == {"X": ("field", "int"), "Y": ("field", "int"), "Norm1": ("method", "func() int")}
    assert set(complete(kernel, "Point{3, 4}.")["matches"]) == {"X", "Y", "Norm1"}
    # Inside a function of the cell being written, and after a statement on an earlier line.
    code = "q := p\nfor i := 0; i < 2; i++ {\n\tq.X += i\n\tq.No"
    assert complete(kernel, code)["matches"] == ["Norm1"]
    code = "func twice(pt Point) int {\n\treturn 2 * pt.N"
    assert complete(kernel, code)["matches"] == ["Norm1"]


def test_third_party_package_and_method_on_its_type(kernel: GoKernelDriver) -> None:
    ok(kernel, 'import "github.com/google/uuid"\nid := uuid.New()')
    reply = until(kernel, "uuid.", lambda r: "New" in r["matches"])
    assert {"New", "Parse", "NewString"} <= set(reply["matches"]), reply["matches"]
    assert types(reply)["Parse"] == ("function", "func(s string) (uuid.UUID, error)")
    reply = complete(kernel, "id.Vers")
    assert reply["matches"] == ["Version"] and types(reply)["Version"][0] == "method"


def test_inspect_std_and_a_notebook_func_with_a_doc_comment(kernel: GoKernelDriver) -> None:
    until(kernel, "strings.", lambda r: "Split" in types(r))
    reply = inspect(kernel, "strings.Split")
    assert reply["found"]
    assert "func strings.Split(s string, sep string) []string" in reply["data"]["text/plain"]
    assert "Split slices s into all substrings" in reply["data"]["text/plain"]
    assert "text/markdown" in reply["data"]
    # Cursor inside the call's arguments: the called function.
    assert "func strings.Split" in inspect(kernel, 'strings.Split("a,b", ')["data"]["text/plain"]
    ok(kernel, '// Greet says hello to name.\nfunc Greet(name string) string { return "hi " + name }')
    text = inspect(kernel, "Greet")["data"]["text/plain"]
    assert "func Greet(name string) string" in text and "Greet says hello to name." in text


def test_members_of_an_attached_project_package(gopls_installed: Path) -> None:
    # A notebook inside a Go module (examples/project): its packages are attached to the scratch module.
    notebooks = Path(__file__).resolve().parent.parent / "examples" / "project" / "notebooks"
    km = KernelManager(kernel_name="go")
    km.start_kernel(cwd=str(notebooks), env={**os.environ, "JPY_SESSION_NAME": str(notebooks / "explore.ipynb")})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        code = 'import "example.com/shapes/stats"\nstats.Mean([]float64{1, 2})'
        assert kc.execute_interactive(code, timeout=120)["content"]["status"] == "ok"
        deadline = time.monotonic() + 120
        while True:
            reply = kc.complete("stats.Me", 8, reply=True, timeout=30)["content"]
            if types(reply) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert types(reply) == {
            "Mean": ("function", "func(xs []float64) float64"),
            "Median": ("function", "func(xs []float64) float64"),
        }
        doc = kc.inspect("stats.Median", 8, reply=True, timeout=30)["content"]["data"]["text/plain"]
        assert "Median returns the middle value of xs" in doc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# ---- lifecycle --------------------------------------------------------------------------------------------
def test_gopls_starts_on_first_completion_and_dies_with_a_killed_kernel(gopls_installed: Path) -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/test_completion_lifecycle.ipynb"})
    try:
        pid = k.km.provisioner.pid  # type: ignore[union-attr]
        ok(k, 'fmt.Println("idle")')
        time.sleep(1)
        assert gopls_processes(pid) == []  # an idle kernel does not run gopls
        idle = rss_mb([pid, *descendants(pid)])
        until(k, "strings.", lambda r: "Split" in types(r))
        servers = gopls_processes(pid)
        assert len(servers) == 1
        print(f"kernel tree RSS: idle {idle:.0f} MB, with gopls {rss_mb([pid, *descendants(pid)]):.0f} MB")
    finally:
        k.shutdown()  # shutdown_kernel(now=True): the kernel is killed, do_shutdown never runs
    assert wait_gone(servers), servers


def test_without_gopls_completion_falls_back(gopls_installed: Path) -> None:
    k = GoKernelDriver(
        env={"JPY_SESSION_NAME": "/notebooks/test_completion_fallback.ipynb", "GOKERNEL_GOPLS": "/nonexistent"}
    )
    try:
        assert "Split" in complete(k, "strings.Spl")["matches"]
        assert "Nanosecond" in complete(k, "time.N")["matches"]
        assert "Repeat" in inspect(k, "strings.Repeat")["data"]["text/plain"]
        assert gopls_processes(k.km.provisioner.pid) == []  # type: ignore[union-attr]
    finally:
        k.shutdown()
