"""Kernel start-up (issue 12 item 15): the kernel_info reply does not wait for the executor's imports."""

from __future__ import annotations

import json
import subprocess
import sys

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
