"""The benchmark harness's pure parts on tiny synthetic inputs (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import cells
from benchmarks._floor import FloorError, WarmFloor, copy_module, go_env, measure_floor, replace_token
from benchmarks._report import Row, document, format_table, write_json
from benchmarks._stats import Check, Summary, ratio, summarize


def test_summarize_gives_min_median_max() -> None:
    assert summarize([3.0, 1.0, 2.0]) == Summary(n=3, min=1.0, median=2.0, max=3.0)
    assert summarize([4.0, 1.0]).median == 2.5
    with pytest.raises(ValueError):
        summarize([])


def test_ratio_handles_missing_and_zero_references() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(None, 2.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None


def test_check_labels_pass_miss_and_missing() -> None:
    assert Check("×floor", 1.10, 1.15).verdict == "PASS"
    assert Check("×floor", 1.15, 1.15).verdict == "PASS"
    assert Check("×floor", 1.2, 1.15).verdict == "MISS"
    assert Check("×GoNB", None, 0.7).verdict == "n/a"
    assert Check("ms", 120.0, 100).describe() == "ms 120 ≤ 100 MISS"


def test_row_ratios_come_from_medians() -> None:
    row = Row("1 hello", "s", Summary(3, 0.1, 0.3, 0.5), floor=Summary(3, 0.1, 0.2, 0.3), gonb=Summary(3, 1, 0.6, 2))
    assert row.vs_floor == pytest.approx(1.5)
    assert row.vs_gonb == pytest.approx(0.5)
    assert Row("x", "s").vs_floor is None


def test_table_shows_figures_ratios_verdicts_and_failures() -> None:
    ok = Row(
        "1 hello world, warm",
        "s",
        Summary(2, 0.2, 0.25, 0.3),
        floor=Summary(2, 0.1, 0.2, 0.3),
        checks=[Check("×floor", 1.25, 1.15)],
    )
    bad = Row("5 %%test -race", "s", error="reply status error")
    skipped = Row("GoNB", "s", skipped="gonb not installable")
    text = format_table([ok, bad, skipped])
    lines = text.splitlines()
    assert lines[0].startswith("scenario") and set(lines[1]) == {"-"}
    assert len(lines) == 5
    hello = lines[2]
    assert "0.250" in hello and "1.25×" in hello and "MISS" in hello
    assert "FAILED: reply status error" in lines[3]
    assert "skipped: gonb not installable" in lines[4]


def test_json_document_has_rows_ratios_verdicts_and_failures(tmp_path: Path) -> None:
    rows = [
        Row("1 hello", "s", Summary(1, 1.0, 1.0, 1.0), floor=Summary(1, 2.0, 2.0, 2.0), checks=[Check("×f", 0.5, 1)]),
        Row("6 bench", "s", error="boom"),
    ]
    path = tmp_path / "results" / "r.json"
    write_json(path, document(rows, {"quick": True}))
    doc = json.loads(path.read_text())
    assert doc["quick"] is True
    assert doc["failed"] == ["6 bench"]
    first = doc["rows"][0]
    assert first["summary"] == {"n": 1, "min": 1.0, "median": 1.0, "max": 1.0}
    assert first["vs_floor"] == 0.5
    assert first["checks"] == [{"label": "×f", "value": 0.5, "limit": 1, "verdict": "PASS"}]
    assert doc["rows"][1]["summary"] is None


def test_quick_options_and_scenario_order() -> None:
    quick = cells.parse_args(["--quick", "--with-gonb"])
    assert quick.quick and quick.repeat == 2 and not quick.with_gonb  # quick never runs GoNB
    assert quick.decl_checkpoints == (50,) and quick.flood_mb == 12
    full = cells.parse_args(["--repeat", "3"])
    assert full.repeat == 3 and full.decl_checkpoints == (50, 200) and full.flood_mb == 50
    only = cells.parse_args(["--only", "1,7"])
    assert only.wanted("1 hello world, warm") and only.wanted("7 first streamed line") and only.wanted("discovery")
    assert not only.wanted("8 print 12 MB") and full.wanted("8 print 50 MB")
    rows = [Row("10 idle", "MB"), Row("2 first", "s"), Row("discovery", "s"), Row("1 hello", "s")]
    assert [r.scenario for r in sorted(rows, key=cells.scenario_order)] == [
        "1 hello",
        "2 first",
        "10 idle",
        "discovery",
    ]


def test_cell_templates_format() -> None:
    assert '"hello t1"' in cells.HELLO.format(tok="t1")
    assert cells.TEST_CELL.format(tok="t").startswith("%%test -race\n")
    assert "func BenchmarkLatency" in cells.BENCH_CELL.format(tok="t")
    assert "i < 1000;" in cells.FLOOD_CELL.format(tok="t", lines=1000)
    assert {cells.decl_cell(i).split()[0] for i in range(4)} == {"func", "type", "var", "const"}


def test_floor_rebuilds_a_copied_module_with_the_real_toolchain(tmp_path: Path) -> None:
    src = tmp_path / "scratch"
    (src / ".gokernel").mkdir(parents=True)
    (src / ".gokernel" / "state").write_text("not copied")
    (src / "go.mod").write_text("module scratch\n\ngo 1.21\n")
    (src / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tokA") }\n')
    copy = tmp_path / "copy"
    copy_module(src, copy)
    assert sorted(p.name for p in copy.iterdir()) == ["go.mod", "main.go"]
    assert replace_token(copy, "tokA", "tokB") == 1 and "tokB" in (copy / "main.go").read_text()
    go, env = go_env()
    samples = measure_floor(src, "tokA", [[go, "build", "-o", "bin", "."], ["./bin"]], 2, env)
    assert len(samples) == 2 and all(s > 0 for s in samples)
    with WarmFloor(src, "tokA", [[go, "build", "-o", "bin", "."]], env) as floor:
        floor.time_once()
        (floor.dir / "main.go").write_text("package main\n\nfunc main() {}\n")
        with pytest.raises(FloorError, match="not found"):
            floor.time_once()  # an unchanged module would time a no-op build, not the floor
