"""Kernel tests for issue 11's defects: Go text taken for magics, cgo preambles, shadowed builtins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .kernel_client import Execution, GoKernelDriver


@pytest.fixture(scope="module")
def kernel() -> Iterator[GoKernelDriver]:
    k = GoKernelDriver(env={"JPY_SESSION_NAME": "/notebooks/test_kernel_hardening.ipynb"})
    yield k
    k.shutdown()


def ok(k: GoKernelDriver, code: str, **kw: Any) -> Execution:
    ex = k.execute(code, **kw)
    assert ex.status == "ok", (ex.error, ex.stream("stderr"), code)
    return ex


def test_shell_line_inside_a_raw_string_is_text_not_a_command(kernel: GoKernelDriver, tmp_path: Path) -> None:
    victim = tmp_path / "FILE"
    victim.write_text("keep me")
    ex = ok(kernel, f"s := `a\n!rm {victim}\nb`\ns")
    assert victim.exists()
    assert ex.result == json.dumps(f"a\n!rm {victim}\nb")  # Go %q of the intact string


def test_reset_inside_a_block_comment_keeps_declarations(kernel: GoKernelDriver) -> None:
    ok(kernel, "func kept() int { return 3 }")
    ok(kernel, "/*\n%reset\n*/\nx := 1\n_ = x")
    assert ok(kernel, "kept()").result == "3"
