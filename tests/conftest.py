"""Shared test setup: every test run gets its own scratch, config and runtime dirs.

Set at import time so kernels started by any test (including jupyter_kernel_test's
setUpClass) inherit them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="gokernel-tests-"))
os.environ.setdefault("GOKERNEL_SCRATCH_DIR", str(_ROOT / "scratch"))
os.environ.setdefault("GOKERNEL_CONFIG_DIR", str(_ROOT / "config"))
os.environ.setdefault("JUPYTER_RUNTIME_DIR", str(_ROOT / "runtime"))

# Shared fixtures that live in their own modules (real go test captures, Go toolchain roots).
from tests.conftest_gotest import gotest_captures  # noqa: E402, F401
from tests.toolchain_fixtures import go_roots_fixture, isolated_toolchains_fixture  # noqa: E402, F401
