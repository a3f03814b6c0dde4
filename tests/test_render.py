"""Mimebundles for test runs, benchmarks and compile errors: escaping, cell mapping, text summary, JSON round-trip.

The `browser` test renders each report with headless Chromium into tests/artifacts/*.png (light and dark).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from gokernel import panics, render
from gokernel.diagnostics import Diagnostic
from gokernel.linemap import CellLoc, LineMap
from gokernel.testreport import BenchResult, TestCase, TestEventParser, TestRun
from tests import conftest_gotest
from tests.conftest_gotest import Capture, cell_linemap, cell_sources

gotest_captures = conftest_gotest.gotest_captures
CHROMIUM = Path("/usr/bin/chromium")
REPORT_CSS = Path(__file__).parent.parent / "labextension" / "style" / "reports.css"
ARTIFACTS = Path(__file__).parent / "artifacts"


def parse(cap: Capture) -> TestRun:
    p = TestEventParser(cell_linemap())
    for line in cap.lines():
        p.feed(line)
    return p.result()


def test_report(cap: Capture, *, race: bool = False) -> dict[str, object]:
    return render.render_test_report(
        parse(cap), go_version="go1.27.3", race=race, linemap=cell_linemap(), cell_sources=cell_sources(cap.test_source)
    )


test_report.__test__ = False  # type: ignore[attr-defined]


def html_text(bundle: dict[str, object]) -> str:
    return str(bundle["text/html"])


def check_shape(bundle: dict[str, object], kind: str) -> dict[str, object]:
    assert set(bundle) == {"text/html", "text/plain", f"application/vnd.gokernel.{kind}+json"}
    data = bundle[f"application/vnd.gokernel.{kind}+json"]
    assert json.loads(json.dumps(data)) == data
    h = html_text(bundle)
    assert "<script" not in h and "http://" not in h.replace("http://www.w3.org/2000/svg", "")
    return data  # type: ignore[return-value]


def test_test_report_escapes_output_and_maps_cells(gotest_captures: dict[str, Capture]) -> None:
    bundle = test_report(gotest_captures["mixed"])
    data = check_shape(bundle, "testreport")
    h = html_text(bundle)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    assert "boom &lt;b&gt;42&lt;/b&gt;" in h
    assert "cell[3] line 12" in h and "t.Errorf(&quot;boom" in h  # mapped location with its source line
    assert "<div><code>TestFail</code>" in h and "t.Errorf(&quot;boom" in h  # failures shown in full
    assert "full output" not in h  # nothing was condensed away: the output is not shown twice
    text = str(bundle["text/plain"])
    assert text.splitlines()[0].startswith("✗ 3 passed, 3 failed, 1 skipped (7 tests)")
    assert "race off" in text and "go1.27.3" in text
    assert "cell[3] line 12: boom <b>42</b>" in text
    assert data["passed"] == 3 and data["go_version"] == "go1.27.3"


def test_race_report_card(gotest_captures: dict[str, Capture]) -> None:
    bundle = test_report(gotest_captures["race"], race=True)
    check_shape(bundle, "testreport")
    h = html_text(bundle)
    assert "Data race #1 in <code>TestRace</code>" in h
    assert "race detected during execution of test" in h
    assert re.search(r"class='gk-user'>scratch\.TestRace\.func1\(\) .*cell\[3\] line 9", h)
    assert re.search(r"<div class='gk-muted'>\d+ runtime frame\(s\): testing\.", h)  # testing frames folded
    text = str(bundle["text/plain"])
    assert "1 data race" in text.splitlines()[0] and "race on" in text
    assert "goroutine" in text and "created at cell[3] line 8" in text
    assert "testing.go:2195" not in text
    # `testing.go:NNN: race detected during execution of test` rows are noise next to the card.
    assert not re.search(r"testing\.go:\d+: race detected", text)
    shown = re.sub(r"<pre class='gk-full'>.*?</pre>", "", h, flags=re.S)  # the raw output stays available
    assert not re.search(r"testing\.go:\d+: race detected", shown)


def _timed(times: dict[str, float]) -> TestRun:
    return TestRun(tests=[TestCase(n, n, "pass", t) for n, t in times.items()])


def _slow_badges(run: TestRun) -> set[str]:
    h = html_text(render.render_test_report(run, go_version="go1.27.3", race=False, linemap=LineMap(), cell_sources={}))
    return set(re.findall(r"<code>(\w+)</code><span class='gk-slow'>", h))


def test_slow_badge_is_relative_to_the_run_with_a_floor() -> None:
    # A lone 0.01 s test (or a run of fast ones) is not slow; one far above the run's median is.
    assert _slow_badges(_timed({"TestQuick": 0.01})) == set()
    assert _slow_badges(_timed({"TestA": 0.02, "TestB": 0.05, "TestC": 0.01})) == set()
    assert _slow_badges(_timed({"TestA": 0.02, "TestB": 1.5, "TestC": 0.03})) == {"TestB"}
    # Several seconds each: none stands out, so none is marked.
    assert _slow_badges(_timed({"TestA": 2.0, "TestB": 2.2, "TestC": 2.1})) == set()


def _specificity(selector: str) -> tuple[int, int, int]:
    ids = selector.count("#")
    classes = len(re.findall(r"\.[\w-]+|\[|:(?!:)[\w-]+", selector))
    elements = len(re.findall(r"(?:^|[\s>+~])([a-z][\w-]*)", selector))
    return ids, classes, elements


def test_table_alignment_beats_jupyterlab_td_th_rule() -> None:
    # JupyterLab: `.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th {text-align: right}` (0,1,1).
    css = re.sub(r"/\*.*?\*/", "", REPORT_CSS.read_text(), flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^{}]*text-align:\s*(left|right)[^{}]*)\}", css)
    cells = {"left": [], "right": []}  # type: dict[str, list[str]]
    for selectors, _, align in rules:
        for sel in selectors.split(","):
            if re.search(r"\b(td|th)\b", sel):
                cells[align].append(sel.strip())
    assert cells["left"] and cells["right"]
    lab = (0, 1, 1)
    assert all(_specificity(sel) > lab for sel in cells["left"] + cells["right"]), cells
    # Numbers stay right-aligned: their rule is more specific than the left-alignment rule.
    assert min(_specificity(s) for s in cells["right"]) > max(_specificity(s) for s in cells["left"])


LAB_THEMES = Path(sys.prefix) / "share" / "jupyter" / "lab" / "themes" / "@jupyterlab"


def _theme_vars(theme: str) -> dict[str, str]:
    css = (LAB_THEMES / f"theme-{theme}-extension" / "index.css").read_text()
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", css))


def _resolve(value: str, theme: dict[str, str]) -> str:
    m = re.fullmatch(r"var\((--[\w-]+)(?:,\s*(.*))?\)", value.strip())
    if not m:
        return value.strip()
    return _resolve(theme[m[1]] if m[1] in theme else str(m[2]), theme)


def _rgba(colour: str) -> tuple[float, float, float, float]:
    colour = {"white": "#fff", "black": "#000"}.get(colour, colour)
    if colour.startswith("#"):
        h = colour[1:] if len(colour) > 4 else "".join(ch * 2 for ch in colour[1:])
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0
    m = re.fullmatch(r"rgba?\((.*)\)", colour)
    assert m, colour
    parts = [float(p) for p in m[1].split(",")]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0


def _contrast(fg: str, bg: str) -> float:
    b = _rgba(bg)
    f = _rgba(fg)
    over = [f[i] * f[3] + b[i] * (1 - f[3]) for i in range(3)]  # translucent text over its background

    def lum(c: Sequence[float]) -> float:
        lin = [x / 255 / 12.92 if x / 255 <= 0.03928 else ((x / 255 + 0.055) / 1.055) ** 2.4 for x in c[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(over), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.skipif(not LAB_THEMES.is_dir(), reason="JupyterLab's themes are not installed")
def test_report_text_colours_meet_wcag_aa_in_light_and_dark_themes() -> None:
    css = re.sub(r"/\*.*?\*/", "", REPORT_CSS.read_text(), flags=re.S)
    texts = set(re.findall(r"(?<![-\w])color:\s*(var\(--jp-[\w-]+\))", css))
    backgrounds = set(re.findall(r"background:\s*(var\(--jp-[\w-]+\))", css))
    assert backgrounds == {"var(--jp-layout-color0)"}  # one background: every pair below is the real one
    assert "var(--jp-ui-font-color1)" in texts and len(texts) >= 5
    for theme_name in ("light", "dark"):
        theme = _theme_vars(theme_name)
        for text in sorted(texts):
            for bg in backgrounds:
                ratio = _contrast(_resolve(text, theme), _resolve(bg, theme))
                assert ratio >= 4.5, (theme_name, text, bg, round(ratio, 2))
    # The chart image carries its own colours: check them on its own background.
    assert _contrast(render._CHART_FG, render._CHART_BG) >= 4.5
    assert _contrast(render._CHART_MUTED, render._CHART_BG) >= 4.5


def test_report_tables_use_the_classes_the_css_styles() -> None:
    run = _timed({"TestA": 0.1})
    h = html_text(render.render_test_report(run, go_version="go1", race=False, linemap=LineMap(), cell_sources={}))
    assert "<table class='gk-t'><tr class='gk-head'>" in h and "<td class='num'>time</td>" in h
    css = REPORT_CSS.read_text()
    assert ".gk-r table.gk-t td.num" in css and "tr.gk-head" in css
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", re.sub(r"/\*.*?\*/", "", css, flags=re.S)) == []  # --jp-* only


def test_build_failure_renders_like_compile_errors(gotest_captures: dict[str, Capture]) -> None:
    bundle = test_report(gotest_captures["build"])
    h = html_text(bundle)
    assert "2 compile errors" in h and "cell[3] line 6:7" in h
    assert "build failed" in str(bundle["text/plain"]).splitlines()[0]


def test_timeout_panic_and_coverage(gotest_captures: dict[str, Capture]) -> None:
    assert "timed out" in str(test_report(gotest_captures["timeout"])["text/plain"]).splitlines()[0]
    panic = test_report(gotest_captures["panic"])
    assert "panic: assignment to entry in nil map" in html_text(panic)
    assert "testing.tRunner" not in str(panic["text/plain"])  # runtime frames condensed away
    assert "coverage 50.0%" in str(test_report(gotest_captures["cover"])["text/plain"])


def test_diagnostics_show_source_and_caret() -> None:
    diags = [
        Diagnostic("undefined: x <y>", "main.go", 12, 7, CellLoc(4, 2, 7)),
        Diagnostic("go: downloading example.com/m v1"),
    ]
    bundle = render.render_diagnostics(diags, {4: "a := 1\nb := x + a\n"})
    data = check_shape(bundle, "diagnostics")
    assert "undefined: x &lt;y&gt;" in html_text(bundle)
    assert str(bundle["text/plain"]).splitlines()[:3] == [
        "cell[4] line 2:7: undefined: x <y>",
        "    b := x + a",
        "          ^",
    ]
    assert data["diagnostics"][0]["loc"] == {"cell": 4, "line": 2, "column": 7}  # type: ignore[index]


GO_PANIC = [
    "panic: runtime error: index out of range [5] with length 3",
    "",
    "goroutine 1 [running]:",
    "main.pick(...)",
    "\tcell[4] line 2",
    "runtime.goPanicIndex(0x5, 0x3)",
    "\t/usr/lib/go/src/runtime/panic.go:115 +0x33",
    "main._gkMain()",
    "\tcell[5] line 3 +0x1d",
    "main.main()",
    "\t/tmp/x/.gokernel/scratch/main.go:77 +0x46",
    "",
    "goroutine 7 [chan receive]:",
    "main.worker(0xc000010000)",
    "\tcell[4] line 6 +0x2c",
    "created by main._gkMain in goroutine 1",
    "\tcell[5] line 2 +0x18",
    "",
    "goroutine 9 [select]:",
    "net/http.(*persistConn).readLoop(0xc0001)",
    "\t/usr/lib/go/src/net/http/transport.go:2395 +0x5a",
]


def test_panic_card_maps_user_frames_and_drops_generated_ones() -> None:
    report = panics.parse_trace(GO_PANIC)
    assert report.message == ["runtime error: index out of range [5] with length 3"]
    first = report.goroutines[0]
    assert [(f.func, f.where) for f in first.frames] == [
        ("main.pick", "cell[4] line 2"),
        ("runtime.goPanicIndex", "/usr/lib/go/src/runtime/panic.go:115"),
        ("main.main", "cell[5] line 3"),  # the whole-package cell's main, not the generated wrapper
    ]
    assert report.summary() == (
        "panic: runtime error: index out of range [5] with length 3 (at cell[4] line 2 ← cell[5] line 3)"
    )
    bundle = render.render_panic(report, {4: "func pick(xs []int) int {\n\treturn xs[5]\n}", 5: "a\nb\npick(xs)"})
    check_shape(bundle, "panic")
    text, h = str(bundle["text/plain"]), html_text(bundle)
    for shown in (text, h):
        assert "+0x" not in shown and "main.go" not in shown and "_gkMain" not in shown and "scratch" not in shown
        assert "goroutine 1 [running]:" in shown and "goroutine 7 [chan receive]:" in shown
        assert "goroutine 9" not in shown  # no frame in the notebook: counted, not listed
        assert "1 runtime frame" in shown  # folded
    assert "<pre class='gk-src'>return xs[5]</pre>" in h and "<span class='gk-loc'>cell[4] line 2</span>" in h
    assert "1 other goroutine without frames in the notebook" in text


def _runs(name: str, values: list[float], extra: dict[str, float] | None = None) -> list[BenchResult]:
    return [BenchResult(name, 2, 1000, {"ns/op": v, "B/op": 64, "allocs/op": 1, **(extra or {})}) for v in values]


def test_bench_report_table_chart_and_comparison(gotest_captures: dict[str, Capture]) -> None:
    run = parse(gotest_captures["bench"])
    bundle = render.render_bench_report(run.benchmarks, go_version="go1.27.3")
    data = check_shape(bundle, "bench")
    h = html_text(bundle)
    assert "<svg" not in h and "widgets/op" in h
    chart = render.render_bench_chart(run.benchmarks)
    assert chart is not None and set(chart) == {"image/svg+xml", "text/plain"}
    assert str(chart["image/svg+xml"]).startswith("<svg xmlns='http://www.w3.org/2000/svg'")
    assert "var(" not in str(chart["image/svg+xml"])  # an image cannot see the page's CSS variables
    assert "BenchmarkAdd" in str(chart["text/plain"]) and "█" in str(chart["text/plain"])
    assert set(data["benchmarks"]) == {"BenchmarkAdd", "BenchmarkAlloc"}  # type: ignore[call-overload]
    assert "2 benchmarks" in str(bundle["text/plain"])

    old = _runs("BenchmarkA", [100, 101, 99, 102, 98]) + _runs("BenchmarkB", [10, 11, 10, 11, 10])
    new = _runs("BenchmarkA", [50, 51, 49, 52, 48]) + _runs("BenchmarkB", [10, 11, 10, 10, 11])
    cmp = render.render_bench_report(new, go_version="go1.27.3", previous=old)
    text = str(cmp["text/plain"])
    row_a = next(ln for ln in text.splitlines() if ln.startswith("BenchmarkA") and "ns/op" in ln and "p=" in ln)
    row_b = next(ln for ln in text.splitlines() if ln.startswith("BenchmarkB") and "ns/op" in ln and "p=" in ln)
    assert "-50.00%" in row_a and "(p=0.008)" in row_a
    assert " ~ " in row_b
    rows = check_shape(cmp, "bench")["comparisons"][0]["rows"]  # type: ignore[index]
    assert {(r["name"], r["unit"], r["delta"]) for r in rows if r["unit"] == "ns/op"} == {
        ("BenchmarkA", "ns/op", "-50.00%"),
        ("BenchmarkB", "ns/op", "~"),
    }

    multi = render.render_bench_report(new, go_version="go1.27.3", compare_runs={"go1.22.10": old, "go1.27.3": new})
    assert "go1.22.10 vs go1.27.3" in html_text(multi)
    # Every toolchain's own table, labelled, not only the first one's.
    assert html_text(multi).count("<table class='gk-t'>") == 3  # two tables and the comparison
    assert "<div class='gk-h'>go1.22.10</div>" in html_text(multi) and "<div class='gk-h'>go1.27.3</div>" in html_text(
        multi
    )


# What nbconvert's sanitiser (clean_html, used by `--HTMLExporter.sanitize_html=True`) keeps; anything else it
# escapes into visible text.
SANITIZER_TAGS = {"a", "abbr", "acronym", "b", "blockquote", "code", "em", "i", "li", "ol", "strong", "ul",
                  "div", "pre", "span", "table", "tr", "td"}  # fmt: skip
OUR_TAGS = r"div|span|table|tr|td|th|details|summary|svg|h4|style|pre|code|ul|li|rect|text|line"


def _every_report(captures: dict[str, Capture]) -> dict[str, dict[str, object]]:
    old = _runs("BenchmarkA", [100, 101, 99, 102, 98])
    new = _runs("BenchmarkA", [50, 51, 49, 52, 48])
    diags = [Diagnostic("undefined: x", "main.go", 12, 7, CellLoc(4, 2, 7))]
    return {
        **{n: test_report(captures[n], race=n == "race") for n in ("mixed", "race", "build", "timeout", "panic")},
        "diagnostics": render.render_diagnostics(diags, {4: "a := 1\nb := x + a\n"}),
        "bench": render.render_bench_report(parse(captures["bench"]).benchmarks, go_version="go1.27.3", previous=None),
        "compare": render.render_bench_report(new, go_version="go1.27.3", compare_runs={"go1.26": old, "go1.27": new}),
    }  # fmt: skip


def test_report_html_uses_only_tags_the_sanitiser_keeps(gotest_captures: dict[str, Capture]) -> None:
    for name, bundle in _every_report(gotest_captures).items():
        h = html_text(bundle)
        tags = set(re.findall(r"<([a-zA-Z][\w-]*)", h))
        assert tags <= SANITIZER_TAGS, (name, tags - SANITIZER_TAGS)
        assert " style=" not in h, name  # nbconvert's sanitiser drops inline styles: classes carry the look


def test_sanitised_html_export_shows_reports_not_css_or_escaped_tags(gotest_captures: dict[str, Capture]) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    outputs = [nbformat.v4.new_output("display_data", data=b) for b in _every_report(gotest_captures).values()]
    chart = render.render_bench_chart(parse(gotest_captures["bench"]).benchmarks)
    assert chart is not None
    outputs.append(nbformat.v4.new_output("display_data", data=chart))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%%test", outputs=outputs)])
    # What `jupyter nbconvert --to html --HTMLExporter.sanitize_html=True` runs, in process.
    html, _ = nbconvert.HTMLExporter(sanitize_html=True).from_notebook_node(nb)
    assert re.findall(rf"&lt;/?({OUR_TAGS})\b", html) == []
    assert ".gk-r" not in html and "gk-sum{" not in html  # no report CSS as text
    assert "Data race #1" in html and '<table class="gk-t">' in html  # the reports themselves survive
    assert "data:image/svg+xml" in html  # the chart is an image


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")
def test_screenshots(gotest_captures: dict[str, Capture], tmp_path: Path) -> None:
    old = _runs("BenchmarkParse", [1200, 1210, 1190, 1250, 1205]) + _runs("BenchmarkEncode/small", [90, 91, 92, 90, 89])
    new = _runs("BenchmarkParse", [800, 810, 790, 805, 799]) + _runs("BenchmarkEncode/small", [91, 90, 92, 89, 90])
    bench = parse(gotest_captures["bench"]).benchmarks
    reports = {
        "tests": test_report(gotest_captures["mixed"]),
        "race": test_report(gotest_captures["race"], race=True),
        "build": test_report(gotest_captures["build"]),
        "timeout": test_report(gotest_captures["timeout"]),
        "bench": render.render_bench_report(bench, go_version="go1.27.3"),
        "bench_compare": render.render_bench_report(new, go_version="go1.27.3", previous=old),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    # Light and dark side by side, each with the variables the JupyterLab theme sets (the report's CSS is the lab
    # extension's, which uses no fallbacks).
    common = (
        "--jp-ui-font-family:system-ui,sans-serif;--jp-ui-font-size0:11px;--jp-ui-font-size1:13px;"
        "--jp-code-font-family:ui-monospace,monospace;--jp-code-font-size:12px;"
    )
    light = (
        common + "--jp-layout-color2:#eee;--jp-ui-font-color1:rgba(0,0,0,.87);--jp-ui-font-color2:rgba(0,0,0,.54);"
        "--jp-content-font-color1:rgba(0,0,0,.87);--jp-border-color1:#bdbdbd;--jp-border-color3:#eee;"
        "--jp-content-link-color:#1976d2;--jp-success-color1:#388e3c;--jp-error-color1:#d32f2f;"
        "--jp-warn-color1:#f57c00;--jp-layout-color0:#fff;--jp-success-color0:#1b5e20;--jp-border-color2:#e0e0e0;"
        "background:#fff"
    )
    dark = (
        common + "--jp-layout-color2:#424242;--jp-ui-font-color1:rgba(255,255,255,1);"
        "--jp-ui-font-color2:rgba(255,255,255,.7);--jp-content-font-color1:rgba(255,255,255,1);"
        "--jp-border-color1:#616161;--jp-border-color3:#424242;--jp-content-link-color:#64b5f6;"
        "--jp-success-color1:#388e3c;--jp-error-color1:#d32f2f;--jp-warn-color1:#f57c00;--jp-layout-color0:#111;"
        "--jp-success-color0:#4caf50;--jp-border-color2:#333;background:#111"
    )
    css = REPORT_CSS.read_text()
    charts = [c for c in (render.render_bench_chart(bench),) if c is not None]
    chart_html = "".join(f"<div>{c['image/svg+xml']}</div>" for c in charts)
    shots: list[tuple[Path, subprocess.Popen[bytes]]] = []
    for name, bundle in reports.items():
        page = tmp_path / f"{name}.html"
        half = "flex:1;padding:12px;min-width:0"
        page.write_text(
            f"<!doctype html><meta charset='utf-8'><style>{css}</style><body style='margin:0;display:flex'>"
            f"<div style='{half};{light}'>{bundle['text/html']}{chart_html if name == 'bench' else ''}</div>"
            f"<div style='{half};{dark}'>{bundle['text/html']}{chart_html if name == 'bench' else ''}</div></body>"
        )
        png = ARTIFACTS / f"{name}.png"
        png.unlink(missing_ok=True)
        cmd = [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / f'profile-{name}'}",  # separate profiles run side by side
            f"--screenshot={png}", "--window-size=1800,760", page.as_uri(),
        ]  # fmt: skip
        if len(shots) >= 2:
            shots[-2][1].wait(timeout=60)  # two at a time on two cores
        shots.append((png, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    for png, proc in shots:
        proc.wait(timeout=60)
        assert png.exists() and png.stat().st_size > 5000, png


LAB_FIXTURE = Path(__file__).parent.parent / "labextension" / "src" / "__tests__" / "fixtures" / "reports.json"


def lab_fixture_html() -> str:
    """Reports built from fixed inputs, for the lab extension's test through JupyterLab's own sanitiser."""
    run = TestRun(tests=[TestCase("TestA", "TestA", "pass", 0.02), TestCase("TestB", "TestB", "fail", 1.5)])
    bundles = [
        render.render_test_report(run, go_version="go1.27.3", race=False, linemap=LineMap(), cell_sources={}),
        render.render_diagnostics([Diagnostic("undefined: x", "main.go", 12, 7, CellLoc(4, 2, 7))], {4: "a\nb := x"}),
        render.render_panic(panics.parse_trace(GO_PANIC), {4: "func pick(xs []int) int {\n\treturn xs[5]\n}"}),
        render.render_bench_report(
            _runs("BenchmarkA", [50, 51, 49]), go_version="go1.27.3", previous=_runs("BenchmarkA", [100, 101, 99])
        ),
    ]
    html = "\n".join(str(b["text/html"]) for b in bundles)
    return '{\n  "html": ' + json.dumps(html, ensure_ascii=False) + "\n}\n"  # as prettier writes it


def test_lab_extension_sanitiser_fixture_is_current() -> None:
    # `python -c "from tests.test_render import *; LAB_FIXTURE.write_text(lab_fixture_html())"` refreshes it.
    assert LAB_FIXTURE.read_text() == lab_fixture_html()
