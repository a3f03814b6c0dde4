"""The example notebooks run end to end with the installed `go` kernelspec, and show what they promise.

Each notebook is executed by nbclient (any error cell fails, except cells tagged `raises-exception`, which
must fail) in this run's private scratch/config dirs. Go 1.22.10 comes from the test toolchain cache and is
placed in a private gokernel-managed dir, so the notebooks' `%go install 1.22.10` finds it installed.

`python -m tests.test_examples [NAME ...]` re-executes the notebooks and saves them with their outputs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.toolchain_fixtures import GO_OLD, ensure_go

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = ("tour", "testing-and-race", "benchmarks", "toolchains", "project/notebooks/explore")
CELL_TIMEOUT = 180


def provide_managed_go(data_dir: Path, version: str = GO_OLD) -> None:
    """Make `version` look installed by `%go install` (a link to the test cache's copy) under `data_dir`."""
    link = data_dir / "toolchains" / f"go{version}"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(ensure_go(version).parent, target_is_directory=True)


def execute_notebook(name: str) -> tuple[nbformat.NotebookNode, float]:
    """Run examples/<name>.ipynb with the `go` kernel; the kernel inherits this process's environment."""
    path = EXAMPLES / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    # Keyed like a notebook opened in JupyterLab, so each notebook gets its own scratch module.
    os.environ["JPY_SESSION_NAME"] = f"examples/{name}.ipynb"
    try:
        # Jupyter starts a kernel in its notebook's directory (the project notebook relies on it).
        client = NotebookClient(
            nb, kernel_name="go", timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(path.parent)}}
        )
        started = time.monotonic()
        client.execute()
        return nb, time.monotonic() - started
    finally:
        del os.environ["JPY_SESSION_NAME"]


# ---- reading outputs ---------------------------------------------------------------------------------


def cell_with(nb: nbformat.NotebookNode, snippet: str, nth: int = 0) -> nbformat.NotebookNode:
    """The nth code cell whose source contains `snippet`."""
    found = [c for c in nb.cells if c.cell_type == "code" and snippet in c.source]
    assert len(found) > nth, f"no code cell #{nth} containing {snippet!r}"
    return found[nth]


def cells_exactly(nb: nbformat.NotebookNode, source: str) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip() == source]


def stream_text(cell: nbformat.NotebookNode, name: str = "stdout") -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)


def plain_text(cell: nbformat.NotebookNode) -> str:
    """Every text the cell shows: streams, text/plain of results and displays, error tracebacks."""
    parts: list[str] = []
    for o in cell.outputs:
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type == "error":
            parts.append(f"{o.ename}: {o.evalue}\n" + "\n".join(o.traceback))
        else:
            parts.append(str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def result_text(cell: nbformat.NotebookNode) -> str:
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, f"expected one execute_result in {cell.source!r}, got {cell.outputs}"
    return str(results[0].data["text/plain"])


def error_of(cell: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    return next((o for o in cell.outputs if o.output_type == "error"), None)


def gokernel_model(cell: nbformat.NotebookNode, kind: str) -> dict[str, Any]:
    """The parsed model (application/vnd.gokernel.<kind>+json) of the cell's last report of that kind."""
    mime = f"application/vnd.gokernel.{kind}+json"
    models = [o.data[mime] for o in cell.outputs if o.output_type == "display_data" and mime in o.data]
    assert models, f"no {mime} output in {cell.source!r}"
    model = models[-1]
    return json.loads(model) if isinstance(model, str) else dict(model)


# ---- the tests ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def managed_go() -> Iterator[None]:
    """A private gokernel data dir holding Go 1.22.10 as if `%go install 1.22.10` had run."""
    old = os.environ.get("GOKERNEL_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="gokernel-examples-data-") as tmp:
        provide_managed_go(Path(tmp))
        os.environ["GOKERNEL_DATA_DIR"] = tmp
        try:
            yield
        finally:
            if old is None:
                del os.environ["GOKERNEL_DATA_DIR"]
            else:
                os.environ["GOKERNEL_DATA_DIR"] = old


def run(name: str) -> nbformat.NotebookNode:
    try:
        nb, elapsed = execute_notebook(name)
    except CellExecutionError as e:
        pytest.fail(f"{name}.ipynb: a cell failed:\n{e}")
    assert elapsed < 60, f"{name}.ipynb took {elapsed:.0f}s (the examples should stay quick)"
    return nb


def test_saved_notebooks_use_the_go_kernel_and_have_outputs() -> None:
    for name in NOTEBOOKS:
        nb = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "go", name
        assert nb.metadata.language_info.name == "go", name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.execution_count for c in code), f"{name}.ipynb is not saved fully executed"
        assert sum(bool(c.outputs) for c in code) >= len(code) // 2, f"{name}.ipynb is saved without outputs"
        for c in code:  # what GitHub shows: errors only where the notebook says a cell fails on purpose
            expected = "raises-exception" in c.metadata.get("tags", [])
            assert (error_of(c) is not None) == expected, f"{name}.ipynb cell [{c.execution_count}]: {c.source!r}"


def test_tour(managed_go: None) -> None:
    nb = run("tour")
    second = cell_with(nb, "p := Point{3, -4}")
    assert stream_text(second) == "7 gogo\n"
    assert result_text(second) == "{X:3 Y:-4}"
    assert result_text(cell_with(nb, "Point{-1, -2}.Norm1()")) == "3"  # the generic abs replaced the int one
    listing = plain_text(cell_with(nb, "%ls"))
    assert "Point.Norm1" in listing and "abs" in listing
    uuid_cell = cell_with(nb, "uuid.NewSHA1")
    assert stream_text(uuid_cell) == "76d71d1b-203b-51c3-b17d-c090cb0e4e32 VERSION_5\n"
    assert stream_text(cell_with(nb, '"tick", i')) == "tick 0\ntick 1\ntick 2\n"
    assert result_text(cell_with(nb, "results <- n * n")) == "1400"
    # The live session: a value of an earlier cell, a goroutine still ticking, a server serving later cells.
    assert result_text(cell_with(nb, "sum * 2")) == "2800"
    assert result_text(cell_with(nb, "ticks.Load() >= 10")) == "true"
    served = cell_with(nb, "http.Get(")
    assert stream_text(served) == "hello, visitor 1\nhello, visitor 2\n" and result_text(served) == "2"
    assert plain_text(cell_with(nb, "%mode")).startswith("live: ")
    assert stream_text(cell_with(nb, "fmt.Scanln(&name)")) == "hello, gopher\n"  # no stdin in a batch run: EOF

    compile_cell = cell_with(nb, "total + missing")
    err = error_of(compile_cell)
    assert err is not None and err.ename == "CompileError"
    assert f"cell[{compile_cell.execution_count}] line 2" in err.evalue and "undefined: missing" in err.evalue
    panic_cell = cell_with(nb, "fmt.Println(xs[i])")
    err = error_of(panic_cell)
    assert err is not None and "index out of range [5] with length 3" in err.evalue
    assert f"cell[{panic_cell.execution_count}] line 3" in "\n".join(err.traceback)

    assert result_text(cell_with(nb, "Point{5, 5}.Norm1()")) == "10"
    assert stream_text(cell_with(nb, "package main")) == "a complete program, run as is\n"
    shown = [o for o in cell_with(nb, "display.SVG(").outputs if o.output_type == "display_data"]
    assert [sorted(o.data) for o in shown] == [
        ["text/markdown", "text/plain"],
        ["text/html", "text/plain"],
        ["image/svg+xml", "text/plain"],
    ]
    assert "<td>5</td><td>25</td>" in shown[1].data["text/html"]
    assert "%%bench" in plain_text(cell_with(nb, "%help"))
    assert "go version go1." in plain_text(cell_with(nb, "!go version"))
    assert stream_text(cell_with(nb, 'os.Getenv("GREETING")')) == "hi from %env\n"


def test_testing_and_race(managed_go: None) -> None:
    nb = run("testing-and-race")
    racy_cell = cell_with(nb, "func TestCounterConcurrent")
    racy = gokernel_model(racy_cell, "testreport")
    assert racy["races"], "the racy counter must show a DATA RACE"
    assert "cell[1] line 3" in plain_text(racy_cell)  # the racy c.n++ of the first code cell
    err = error_of(racy_cell)
    assert err is not None and "data race" in err.evalue

    reruns = cells_exactly(nb, "%test")
    assert len(reruns) == 2
    for fixed in reruns:  # after the mutex, after sync/atomic
        model = gokernel_model(fixed, "testreport")
        assert error_of(fixed) is None
        assert not model["races"] and model["failed"] == 0 and model["passed"] == 1

    subtests = gokernel_model(cell_with(nb, "func TestCounterTable"), "testreport")
    assert subtests["passed"] == 5 and subtests["failed"] == 0 and not subtests["races"]

    failing = cell_with(nb, "func TestCounterStartsAtOne")
    err = error_of(failing)
    assert err is not None and err.ename == "TestFailure"
    assert f"cell[{failing.execution_count}] line 5" in plain_text(failing)  # line 1 is %%test

    rest = gokernel_model(cell_with(nb, "%rm TestCounterStartsAtOne"), "testreport")
    assert rest["failed"] == 0 and rest["passed"] >= 6


def bench_medians(model: dict[str, Any]) -> dict[str, float]:
    """{benchmark name: median ns/op} from a bench report model."""
    return {name: float(by_unit["ns/op"]["median"]) for name, by_unit in model["summary"].items()}


def test_benchmarks(managed_go: None) -> None:
    nb = run("benchmarks")
    assert result_text(cell_with(nb, "concat(words) == build(words)")) == "true"
    first = bench_medians(gokernel_model(cell_with(nb, "func BenchmarkConcat"), "bench"))
    assert first["BenchmarkBuilder"] < first["BenchmarkConcat"], first
    [rerun] = cells_exactly(nb, "%bench -benchtime 50ms -count 5")
    assert "previous" in plain_text(rerun)  # compared with the first run
    across = cell_with(nb, "%%bench --go")
    text = plain_text(across)
    assert error_of(across) is None
    assert "go1.22.10" in text and "go1.27" in text and "BenchmarkBuilderN" in text


def test_toolchains(managed_go: None) -> None:
    nb = run("toolchains")
    assert "go1.27" in plain_text(cell_with(nb, "%go list"))
    assert "already installed" in plain_text(cell_with(nb, "%go install 1.22.10"))
    switched = cell_with(nb, "fmt.Println(runtime.Version())")
    assert stream_text(switched) == "go1.22.10\n"
    assert "now using go1.22.10" in plain_text(switched)
    assert result_text(cell_with(nb, "runtime.Version()", 2)).startswith('"go1.27')
    # `KEY=value  # where it came from`
    shown = [line.split("  # ")[0].rstrip() for line in plain_text(cell_with(nb, "%go env")).splitlines()]
    env = dict(line.split("=", 1) for line in shown if "=" in line)
    assert Path(env["GOMODCACHE"]).is_relative_to(sys.prefix), env  # this environment's own module cache
    assert env["GOTOOLCHAIN"] == "local"
    offline_ok = cell_with(nb, "uuid.NewSHA1", 1)
    assert stream_text(offline_ok) == "91da4ff0-bcdb-5fa4-b85d-7c2de6ebc8fe\n"
    missing = error_of(cell_with(nb, "gokernel.example/offline/demo"))
    assert missing is not None
    assert "gokernel.example/offline/demo" in missing.evalue and "GOPROXY=off" in missing.evalue


def test_project(managed_go: None) -> None:
    nb = run("project/notebooks/explore")
    assert "example.com/shapes" in plain_text(cell_with(nb, "%project"))
    assert result_text(cell_with(nb, "stats.Mean(samples)")) == "4.8 4"
    assert result_text(cell_with(nb, "append(samples, 100)")) == "5.75"
    assert error_of(cell_with(nb, "%%test")) is None


def save_executed(names: list[str]) -> None:
    """Re-execute notebooks and write them back with outputs (used to refresh examples/)."""
    with tempfile.TemporaryDirectory(prefix="gokernel-examples-") as tmp:
        # Private dirs like the tests', but a real `%go install` into them, so the saved output is a real one.
        for var in ("GOKERNEL_SCRATCH_DIR", "GOKERNEL_CONFIG_DIR", "GOKERNEL_DATA_DIR"):
            os.environ.setdefault(var, str(Path(tmp) / var.removeprefix("GOKERNEL_").lower()))
        for name in names:
            nb, elapsed = execute_notebook(name)
            nbformat.write(nb, EXAMPLES / f"{name}.ipynb")
            print(f"{name}.ipynb executed in {elapsed:.1f}s")


if __name__ == "__main__":
    save_executed(sys.argv[1:] or list(NOTEBOOKS))
