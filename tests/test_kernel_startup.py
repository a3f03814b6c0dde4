"""Kernel start-up (issue 12 item 15): the kernel_info reply waits neither for the executor nor for ipykernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gokernel import toolchains

from .kernel_client import GoKernelDriver

# What only a cell needs: the executor (tree-sitter parsing, fresh and live modes), gopls glue, rendering.
DEFERRED = ("gokernel.executor", "gokernel.cells", "gokernel.live.session", "gokernel.language", "gokernel.render")


def test_importing_the_kernel_defers_what_only_cells_need() -> None:
    code = "import json, sys; import gokernel.kernel; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert not loaded & set(DEFERRED), sorted(loaded & set(DEFERRED))
    assert not any(m.startswith("tree_sitter") for m in loaded)


def test_kernel_info_has_the_go_version_and_the_first_cell_builds_the_session() -> None:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/test_kernel_startup.ipynb", "GOKERNEL_MODE": "fresh"})
    try:
        reply = k.kc.kernel_info(reply=True, timeout=30)["content"]
        assert reply["language_info"]["version"] == toolchains.active().version.removeprefix("go")
        assert reply["language_info"]["file_extension"] == ".go"
        assert reply["language_info"]["nbconvert_exporter"] == "go"  # tests/test_export.py: that exporter
        ex = k.execute('fmt.Println("started")')
        assert ex.status == "ok" and ex.stream() == "started\n"
        assert k.execute("%go version").status == "ok"
    finally:
        k.shutdown()


# ---- the launcher's early kernel_info replies (gokernel.launcher) ------------------------------------------------
# What answering kernel_info must not need: IPython's shell, ipykernel, jupyter_client, tornado/asyncio, traitlets,
# the kernel class and everything a cell needs.
NOT_BEFORE_THE_FIRST_REPLY = (
    "IPython",
    "ipykernel",
    "jupyter_client",
    "tornado",
    "asyncio",
    "traitlets",
    "tree_sitter",
    "gokernel.kernel",
    *DEFERRED,
)

EARLY_REPLIES_ALONE = """
import json, sys
from gokernel.launcher import EarlyReplies
early = EarlyReplies.start(["-f", sys.argv[1]])
print("bound" if early else "not started", flush=True)
sys.stdin.readline()  # the test has its reply
loaded = sorted(sys.modules)
held = early.stop() if early else []
print(json.dumps({"answered": early.answered if early else 0, "held": len(held), "modules": loaded}), flush=True)
"""


def test_the_protocol_versions_the_early_reply_states_are_the_installed_ones() -> None:
    from ipykernel._version import kernel_protocol_version
    from jupyter_client.session import protocol_version

    from gokernel import kernelinfo

    assert kernel_protocol_version == kernelinfo.KERNEL_PROTOCOL_VERSION
    assert protocol_version == kernelinfo.MESSAGE_PROTOCOL_VERSION


def test_the_launcher_answers_kernel_info_without_ipykernel_or_ipython(tmp_path: Path) -> None:
    from ipykernel._version import kernel_protocol_version
    from jupyter_client.blocking.client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file
    from jupyter_client.session import protocol_version

    from gokernel import kernelinfo

    conn, _ = write_connection_file(str(tmp_path / "kernel-early.json"), ip="127.0.0.1")
    child = subprocess.Popen(
        [sys.executable, "-c", EARLY_REPLIES_ALONE, conn],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    kc = BlockingKernelClient()
    kc.load_connection_file(conn)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "bound"
        kc.start_channels()
        welcome = kc.get_iopub_msg(timeout=30)  # on subscribing, as ipykernel 7's IOPubThread greets
        assert welcome["msg_type"] == "iopub_welcome" and welcome["content"] == {"subscription": ""}
        kc.wait_for_ready(timeout=30)  # a reply, then IOPub status messages for it (busy, idle)
        msg_id = kc.kernel_info()
        reply = kc.get_shell_msg(timeout=30)  # jupyter_client checked its signature
        assert reply["parent_header"]["msg_id"] == msg_id and reply["msg_type"] == "kernel_info_reply"
        assert reply["header"]["version"] == protocol_version
        states = []
        while "idle" not in states:
            msg = kc.get_iopub_msg(timeout=10)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status":
                states.append(msg["content"]["execution_state"])
        assert states == ["busy", "idle"]
        # What GoKernel.kernel_info says before any %go use, with ipykernel 7's subshells.
        lang = kernelinfo.language_info(toolchains.active().version.removeprefix("go"))
        expected = kernelinfo.reply_content(lang, ["kernel subshells"], kernel_protocol_version)
        assert reply["content"] == {"status": "ok", **expected}
        child.stdin.write("done\n")
        child.stdin.flush()
        report = json.loads(child.stdout.readline())
    finally:
        kc.stop_channels()
        child.kill()
        child.wait()
    assert report["answered"] >= 2 and report["held"] == 0
    heavy = set(NOT_BEFORE_THE_FIRST_REPLY)
    early = [m for m in report["modules"] if m in heavy or m.split(".")[0] in heavy]
    assert not early, early
    assert "zmq" in report["modules"]  # the check sees the child's modules


@pytest.mark.parametrize("early", ["1", "0"])
def test_requests_sent_before_the_kernel_is_up_are_answered_in_order(early: str) -> None:
    """An execute_request right after launch is held by the launcher and handled first by the kernel."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="go")
    env = {**os.environ, "GOKERNEL_MODE": "fresh", "GOKERNEL_EARLY_REPLY": early}
    env["JPY_SESSION_NAME"] = f"/notebooks/test_kernel_startup_order_{early}.ipynb"
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        sent = [kc.execute('fmt.Println("one")'), kc.kernel_info(), kc.execute('fmt.Println("two")'), kc.kernel_info()]
        replies = [kc.get_shell_msg(timeout=120) for _ in sent]
        assert [r["parent_header"]["msg_id"] for r in replies] == sent
        assert [r["msg_type"] for r in replies] == ["execute_reply", "kernel_info_reply"] * 2
        assert all(r["content"]["status"] == "ok" for r in replies)
        assert replies[1]["content"] == replies[3]["content"]
        outputs, states = [], []
        while len(outputs) < 2:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["msg_type"] == "stream":
                outputs.append(msg["content"]["text"])
            elif msg["msg_type"] == "status":
                states.append(msg["content"]["execution_state"])
        assert outputs == ["one\n", "two\n"]
        if early == "1":
            assert "starting" not in states[states.index("busy") :]  # said before any reply, never after one
        # The kernel's own reply (control channel) says what the early one said.
        kc.control_channel.send(kc.session.msg("kernel_info_request"))
        control = kc.control_channel.get_msg(timeout=30)
        assert control["content"] == replies[1]["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_an_interrupt_right_after_the_first_reply_does_not_end_the_loading_kernel() -> None:
    """The first reply comes before the kernel class exists; the kernel still builds its Go session by itself."""
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/test_kernel_startup_session.ipynb"})
    try:
        k.km.interrupt_kernel()  # SIGINT while ipykernel may still load: ignored (as IPKernelApp does when idle)
        ex = k.execute('fmt.Println("live")')
        assert ex.status == "ok" and ex.stream() == "live\n"
        assert k.execute("%go version").status == "ok"
    finally:
        k.shutdown()


def test_the_launcher_falls_back_to_ipykernel_and_releases_what_it_bound(tmp_path: Path) -> None:
    import zmq
    from jupyter_client.connect import write_connection_file

    from gokernel.launcher import EarlyReplies

    conn, info = write_connection_file(str(tmp_path / "kernel-fallback.json"), ip="127.0.0.1")
    assert EarlyReplies.start(["-f", conn, "--debug"]) is None  # not the kernelspec's argv
    ctx = zmq.Context()
    taken = ctx.socket(zmq.PUB)
    taken.bind(f"tcp://127.0.0.1:{info['iopub_port']}")
    try:
        assert EarlyReplies.start(["-f", conn]) is None  # IOPub's port is taken: IPKernelApp reports it
        shell = ctx.socket(zmq.ROUTER)
        shell.bind(f"tcp://127.0.0.1:{info['shell_port']}")  # the shell port it had bound is free again
        shell.close(linger=0)
    finally:
        taken.close(linger=0)
        ctx.term()
