"""Rich rendering of test runs, benchmarks and compile errors as Jupyter mimebundles.

API (each returns {"text/html", "text/plain", "application/vnd.gokernel.<kind>+json"}):
    render_test_report(run, *, go_version, race, linemap, cell_sources)      kind "testreport"
    render_bench_report(groups, *, go_version, previous=None, compare_runs=None)   kind "bench"
        groups / previous / compare_runs values: list[BenchResult] or {name: [BenchResult, ...]}
    render_diagnostics(diags, cell_sources)                                   kind "diagnostics"
    render_panic(report, cell_sources)                                        kind "panic"

HTML is sanitizer-safe: all program output is escaped, no scripts, no <style> block, no inline styles, and
only the tags nbconvert's sanitiser keeps (div, span, pre, code, table/tr/td, ul/li, b), so an untrusted
notebook or a sanitised HTML export shows the same report (unstyled at worst) instead of raw CSS and escaped
tags. The look comes from classes styled by the lab extension (labextension/style/reports.css). Charts are
separate `image/svg+xml` outputs: render_bench_charts(...).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from gokernel import stats
from gokernel.diagnostics import Diagnostic
from gokernel.linemap import CellLoc, LineMap
from gokernel.panics import PanicFrame, PanicReport
from gokernel.testreport import BenchResult, Frame, Race, TestCase, TestRun, condense_output, group_benchmarks

MIME_PREFIX = "application/vnd.gokernel."
TIME_UNIT = "ns/op"
SLOWEST_MARKED = 3
# "slow" is relative to the run (several times its median test) and never below a floor a person notices.
SLOW_FLOOR_SECS = 0.1
SLOW_FACTOR = 3.0

# Subtests deeper than this share the deepest indentation (classes gk-depth1..6 in the lab extension's CSS).
MAX_DEPTH_CLASS = 6

_ICON = {"pass": "✓", "fail": "✗", "skip": "↷", "run": "…"}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bundle(kind: str, text: str, body: str, data: Any) -> dict[str, Any]:
    return {"text/html": f"<div class='gk-r'>{body}</div>", "text/plain": text, f"{MIME_PREFIX}{kind}+json": data}


def _fmt_secs(s: float | None) -> str:
    if s is None:
        return ""
    return f"{s:.2f}s" if s < 60 else f"{int(s // 60)}m{s % 60:04.1f}s"


# ---- compile errors --------------------------------------------------------------------------


def _source_line(loc: CellLoc | None, cell_sources: Mapping[int, str]) -> str | None:
    if loc is None:
        return None
    src = cell_sources.get(loc.cell)
    if src is None:
        return None
    lines = src.splitlines()
    return lines[loc.line - 1] if 0 < loc.line <= len(lines) else None


def _diag_html(d: Diagnostic, cell_sources: Mapping[int, str]) -> str:
    where = str(d.loc) if d.loc else (f"{d.file}:{d.line}" if d.line else "")
    head = f"<span class='gk-loc'>{_e(where)}</span>: " if where else ""
    out = f"<li>{head}{_e(d.message)}"
    src = _source_line(d.loc, cell_sources)
    if src is not None:
        col = d.column if d.column is not None else None
        caret = ""
        if col is not None and col >= 1:
            # Go columns count bytes; tabs are kept so the caret lines up under the same indentation.
            prefix = "".join(ch if ch == "\t" else " " for ch in src.encode()[: col - 1].decode("utf-8", "replace"))
            caret = f"\n{_e(prefix)}<span class='gk-caret'>^</span>"
        out += f"<pre class='gk-src'>{_e(src)}{caret}</pre>"
    return out + "</li>"


def _diag_text(d: Diagnostic, cell_sources: Mapping[int, str]) -> str:
    text = str(d)
    src = _source_line(d.loc, cell_sources)
    if src is not None:
        text += f"\n    {src}"
        if d.column:
            prefix = "".join(
                ch if ch == "\t" else " " for ch in src.encode()[: d.column - 1].decode("utf-8", "replace")
            )
            text += f"\n    {prefix}^"
    return text


def render_diagnostics(diags: list[Diagnostic], cell_sources: Mapping[int, str]) -> dict[str, Any]:
    n = len([d for d in diags if d.line]) or len(diags)
    title = f"{n} compile error{'s' if n != 1 else ''}"
    items = "".join(_diag_html(d, cell_sources) for d in diags)
    body = f"<div class='gk-sum gk-bad'>✗ {_e(title)}</div><ul>{items}</ul>"
    text = "\n".join(_diag_text(d, cell_sources) for d in diags)
    return _bundle("diagnostics", text, body, {"diagnostics": [d.to_json() for d in diags]})


# ---- panics ----------------------------------------------------------------------------------


def _runtime_fold(frames: list[PanicFrame]) -> tuple[str, str]:
    names = ", ".join(f.func for f in frames[:2]) + (", …" if len(frames) > 2 else "")
    n = len(frames)
    return f"{n} runtime frame{'s' if n != 1 else ''}", names


def _panic_frames(frames: list[PanicFrame], cell_sources: Mapping[int, str]) -> tuple[list[str], list[str]]:
    """User frames with their source lines; each run of runtime frames folds into one line."""
    html_out: list[str] = []
    text_out: list[str] = []
    hidden: list[PanicFrame] = []

    def flush() -> None:
        if hidden:
            count, names = _runtime_fold(hidden)
            html_out.append(f"<div class='gk-muted'>{_e(count)}: {_e(names)}</div>")
            text_out.append(f"  ({count}: {names})")
            hidden.clear()

    for f in frames:
        if not f.is_user:
            hidden.append(f)
            continue
        flush()
        html_out.append(
            f"<div class='gk-user'>{_e(f.func)} <span class='gk-muted'>at</span> <span class='gk-loc'>{_e(f.where)}"
            "</span></div>"
        )
        text_out.append(f"  {f.func} at {f.where}")
        src = _source_line(f.loc, cell_sources)
        if src is not None:
            html_out.append(f"<pre class='gk-src'>{_e(src.strip())}</pre>")
            text_out.append(f"      {src.strip()}")
    flush()
    return html_out, text_out


def render_panic(report: PanicReport, cell_sources: Mapping[int, str]) -> dict[str, Any]:
    """A panic or fatal error as a card: the value, then each goroutine's user frames with their source lines."""
    first = report.message[0] if report.message else ""
    head = f"{report.ename}: {first}"
    body = [f"<div class='gk-sum gk-bad'>✗ {_e(head)}</div>"]
    text = [head]
    if len(report.message) > 1:
        rest = "\n".join(report.message[1:])
        body.append(f"<pre>{_e(rest)}</pre>")
        text.append(rest)
    # The first goroutine is the one that failed; others (a deadlock's) only when they reach the user's code.
    shown = [g for i, g in enumerate(report.goroutines) if i == 0 or g.user_frames]
    for g in shown:
        frames_html, frames_text = _panic_frames(g.frames, cell_sources)
        body.append(f"<div class='gk-card'><div class='gk-muted'>{_e(g.header)}</div>")
        body.append(f"<div class='gk-frames'>{''.join(frames_html)}</div></div>")
        text += [g.header, *frames_text]
    others = len(report.goroutines) - len(shown)
    if others:
        line = f"{others} other goroutine{'s' if others != 1 else ''} without frames in the notebook"
        body.append(f"<div class='gk-muted'>{_e(line)}</div>")
        text.append(line)
    for note in report.notes:
        body.append(f"<div class='gk-muted'>{_e(note)}</div>")
        text.append(note)
    return _bundle("panic", "\n".join(text), "".join(body), report.to_json())


# ---- tests -----------------------------------------------------------------------------------


def _summary_counts(run: TestRun) -> str:
    parts = [f"{run.passed} passed"]
    if run.failed:
        parts.append(f"{run.failed} failed")
    if run.skipped:
        parts.append(f"{run.skipped} skipped")
    if run.races:
        parts.append(f"{len(run.races)} data race{'s' if len(run.races) != 1 else ''}")
    if run.panicked:
        parts.append("panic")
    if run.timeout:
        parts.append("timed out")
    if run.build_errors:
        parts.append("build failed")
    return ", ".join(parts)


def failure_summary(run: TestRun) -> str:
    """What went wrong, in a few words ("1 failed, 1 data race"): the error reply's one line."""
    parts = [p for p in _summary_counts(run).split(", ") if not p.endswith(" passed")]
    return ", ".join(parts) or "the test binary failed"


def _notes_html(notes: Sequence[str]) -> str:
    return "".join(f"<div class='gk-muted'>{_e(n)}</div>" for n in notes)


def _slowest(run: TestRun) -> set[str]:
    """The few tests that stand out: among the slowest, above the floor and several times the median."""
    # Parents include their subtests' time: compare leaves with leaves, or a suite would mark itself.
    timed = [c for c in run.all_tests() if c.elapsed is not None and c.status != "skip" and not c.subtests]
    if not timed:
        return set()
    times = sorted(c.elapsed or 0.0 for c in timed)
    median = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
    limit = max(SLOW_FLOOR_SECS, SLOW_FACTOR * median)
    timed.sort(key=lambda c: c.elapsed or 0.0, reverse=True)
    return {c.full_name for c in timed[:SLOWEST_MARKED] if (c.elapsed or 0.0) >= limit}


def _case_detail_html(case: TestCase, linemap: LineMap, cell_sources: Mapping[int, str]) -> str:
    parts: list[str] = []
    if case.race:
        parts.append("<div class='gk-fail'>race detected during execution of test</div>")
    if case.panicked:
        parts.append("<div class='gk-fail'>the test panicked</div>")
    shown: set[str] = set()
    for f in case.failures:
        if f.loc is not None:
            src = _source_line(f.loc, cell_sources)
            line = f"<div><span class='gk-loc'>{_e(f.loc)}</span>: {_e(f.message)}</div>"
            if src is not None:
                line += f"<pre class='gk-src'>{_e(src.strip())}</pre>"
            parts.append(line)
            shown.add(f"{f.file}:{f.line}: {f.message}")
    # Race reports are shown as cards and runtime frames are noise; the full output stays one click away.
    full = [ln for ln in case.output if not ln.lstrip().startswith("--- ")]
    condensed = condense_output(full)
    short = [ln for ln in condensed if ln.strip() not in shown]
    if short:
        parts.append(f"<pre>{_e(linemap.rewrite(chr(10).join(short)))}</pre>")
    # Not folded (a sanitiser turns <details> into text): the raw output only when condensing hid something.
    if len(condensed) < len(full):
        parts.append(
            f"<div class='gk-muted'>full output ({len(full)} lines)</div>"
            f"<pre class='gk-full'>{_e(linemap.rewrite(chr(10).join(full)))}</pre>"
        )
    return "".join(parts)


def _case_rows(
    case: TestCase, depth: int, slow: set[str], linemap: LineMap, cell_sources: Mapping[int, str]
) -> list[str]:
    icon = _ICON.get(case.status, "?")
    mark = "<span class='gk-slow'>slow</span>" if case.full_name in slow else ""
    extra = " <span class='gk-fail'>(data race)</span>" if case.race else ""
    depth_class = f" class='gk-depth{min(depth, MAX_DEPTH_CLASS)}'" if depth else ""
    name = f"<code>{_e(case.name)}</code>{extra}{mark}"
    detail = _case_detail_html(case, linemap, cell_sources)
    cell = f"<div>{name}</div>{detail}" if detail else name
    rows = [
        f"<tr><td class='gk-{_e(case.status)}'>{icon}</td><td{depth_class}>{cell}</td>"
        f"<td class='num'>{_e(_fmt_secs(case.elapsed))}</td></tr>"
    ]
    for sub in case.subtests:
        rows.extend(_case_rows(sub, depth + 1, slow, linemap, cell_sources))
    return rows


def _frame_html(f: Frame) -> str:
    where = str(f.mapped) if f.mapped else f"{f.file}:{f.line}"
    cls = " class='gk-user'" if f.is_user else ""
    return f"<div{cls}>{_e(f.func)} <span class='gk-muted'>at</span> <span class='gk-loc'>{_e(where)}</span></div>"


def _stack_html(frames: list[Frame]) -> str:
    # Notebook frames are shown; a run of runtime/testing frames folds into one line (the JSON model has them).
    out: list[str] = []
    hidden: list[Frame] = []

    def flush() -> None:
        if hidden:
            names = ", ".join(f.func for f in hidden[:2]) + (", …" if len(hidden) > 2 else "")
            out.append(f"<div class='gk-muted'>{len(hidden)} runtime frame(s): {_e(names)}</div>")
            hidden.clear()

    for f in frames:
        if f.is_user:
            flush()
            out.append(_frame_html(f))
        else:
            hidden.append(f)
    flush()
    return f"<div class='gk-frames'>{''.join(out)}</div>"


def _race_html(i: int, race: Race) -> str:
    who = f" in <code>{_e(race.test)}</code>" if race.test else ""
    parts = [f"<div class='gk-card'><div class='gk-h gk-fail'>Data race #{i}{who}</div>"]
    for a in race.accesses:
        g = f"goroutine {a.goroutine}" if a.goroutine is not None else "main goroutine"
        label = f"{'Previous ' + a.kind if a.previous else a.kind.capitalize()} by {g}"
        parts.append(f"<div><b>{_e(label)}</b></div>{_stack_html(a.frames)}")
    for c in race.creations:
        parts.append(f"<div class='gk-muted'>goroutine {c.goroutine} ({_e(c.state)}) created at:</div>")
        parts.append(_stack_html(c.frames))
    parts.append("</div>")
    return "".join(parts)


def _race_text(i: int, race: Race) -> str:
    who = f" in {race.test}" if race.test else ""
    lines = [f"DATA RACE #{i}{who}"]
    for a in race.accesses:
        g = f"goroutine {a.goroutine}" if a.goroutine is not None else "main goroutine"
        lines.append(f"  {'previous ' if a.previous else ''}{a.kind} by {g}:")
        lines += [f"    {f.func} {f.mapped or f'{f.file}:{f.line}'}" for f in a.frames if f.is_user]
    for c in race.creations:
        user = [f for f in c.frames if f.is_user]
        if user:
            lines.append(f"  goroutine {c.goroutine} created at {user[0].mapped or f'{user[0].file}:{user[0].line}'}")
    return "\n".join(lines)


def _case_text(case: TestCase, depth: int, linemap: LineMap) -> list[str]:
    pad = "  " * depth
    el = f" ({_fmt_secs(case.elapsed)})" if case.elapsed is not None else ""
    note = " [data race]" if case.race else ""
    lines = [f"{pad}{_ICON.get(case.status, '?')} {case.status.upper():4} {case.full_name}{el}{note}"]
    if case.status == "fail":
        for ln in condense_output([ln for ln in case.output if not ln.lstrip().startswith("--- ")]):
            lines.append(f"{pad}    {linemap.rewrite(ln.strip())}")
    for sub in case.subtests:
        lines.extend(_case_text(sub, depth + 1, linemap))
    return lines


def render_test_report(
    run: TestRun,
    *,
    go_version: str,
    race: bool,
    linemap: LineMap,
    cell_sources: Mapping[int, str],
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    ok = run.ok and not run.races
    total = len(run.all_tests())
    meta = f"{_fmt_secs(run.elapsed) or '–'} · race {'on' if race else 'off'} · {go_version}"
    if run.coverage is not None:
        meta += f" · coverage {run.coverage:.1f}%"
    counts = _summary_counts(run)
    head_icon = "✓" if ok else "✗"
    body = [f"<div class='gk-sum {'gk-ok' if ok else 'gk-bad'}'>{head_icon} {_e(counts)}"]
    noun = "test" if total == 1 else "tests"
    body.append(f" <span class='gk-meta'>— {total} {noun} · {_e(meta)}</span></div>")
    text = [f"{head_icon} {counts} ({total} {noun}) in {meta}", *notes]
    body.append(_notes_html(notes))

    if run.build_errors:
        diag = render_diagnostics(run.build_errors, cell_sources)
        body.append(diag["text/html"].split("<div class='gk-r'>", 1)[1].rsplit("</div>", 1)[0])
        text.append(diag["text/plain"])
    if run.timeout:
        body.append("<div class='gk-fail'>the test binary timed out (-timeout); tests still running were stopped</div>")
        text.append("timed out: tests still running were stopped")
    for i, r in enumerate(run.races, 1):
        body.append(_race_html(i, r))
        text.append(_race_text(i, r))

    if run.tests:
        slow = _slowest(run)
        rows = [r for c in run.tests for r in _case_rows(c, 0, slow, linemap, cell_sources)]
        head = "<tr class='gk-head'><td></td><td>test</td><td class='num'>time</td></tr>"
        body.append(f"<table class='gk-t'>{head}{''.join(rows)}</table>")
        for c in run.tests:
            text.extend(_case_text(c, 0, linemap))

    pkg_out = [
        ln for ln in run.package_output if ln.strip() and not ln.startswith(("PASS", "FAIL", "ok ", "coverage:"))
    ]
    if pkg_out and (run.panicked or run.timeout or not run.tests):
        out = linemap.rewrite("\n".join(pkg_out))
        body.append(f"<div class='gk-muted'>output</div><pre class='gk-full'>{_e(out)}</pre>")
        if not ok:
            text.append(out)
    data = run.to_json()
    data.update(go_version=go_version, race_enabled=race)
    return _bundle("testreport", "\n".join(text), "".join(body), data)


# ---- benchmarks ------------------------------------------------------------------------------


def _as_groups(
    runs: Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]] | None,
) -> dict[str, list[BenchResult]]:
    if runs is None:
        return {}
    if isinstance(runs, Mapping):
        return {k: list(v) for k, v in runs.items()}
    return group_benchmarks(list(runs))


def _fmt_value(value: float, unit: str) -> str:
    if unit == TIME_UNIT:
        for scale, suffix in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
            if value >= scale:
                return f"{value / scale:.3g}{suffix}"
        return f"{value:.3g}ns"
    if unit == "B/op":
        for scale, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.3g}{suffix}"
        return f"{value:.0f}B"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}"
    return f"{value:.4g}"


def _units(groups: Mapping[str, list[BenchResult]]) -> list[str]:
    order = [TIME_UNIT, "B/op", "allocs/op", "MB/s"]
    seen: list[str] = []
    for runs in groups.values():
        for r in runs:
            for u in r.metrics:
                if u not in seen:
                    seen.append(u)
    return [u for u in order if u in seen] + [u for u in seen if u not in order]


def _summaries(groups: Mapping[str, list[BenchResult]], units: list[str]) -> dict[str, dict[str, stats.Summary]]:
    out: dict[str, dict[str, stats.Summary]] = {}
    for name, runs in groups.items():
        out[name] = {}
        for u in units:
            xs = [r.metrics[u] for r in runs if u in r.metrics]
            if xs:
                out[name][u] = stats.summarize(xs)
    return out


def _cell(s: stats.Summary | None, unit: str) -> tuple[str, str]:
    if s is None:
        return "", ""
    spread = f"±{s.spread_pct:.0f}%" if s.n > 1 else ""
    return _fmt_value(s.median, unit), spread


# A chart is an image (JupyterLab shows image/svg+xml in an <img>), so it cannot see the theme's variables: it
# carries its own light background, and its text colours meet WCAG AA on it whatever the theme around it.
_CHART_BG, _CHART_FG, _CHART_MUTED, _CHART_BAR = "#ffffff", "#1f1f1f", "#555555", "#1565c0"
_CHART_FONT = "font-family='system-ui,-apple-system,Segoe UI,sans-serif' font-size='11'"
_TEXT_BAR_WIDTH = 30


def _bar_chart(summ: Mapping[str, Mapping[str, stats.Summary]], unit: str, title: str = "") -> str:
    """A standalone SVG document: median per benchmark with its 95% CI as whiskers."""
    items = [(name, s[unit]) for name, s in summ.items() if unit in s]
    if not items:
        return ""
    label_w = min(320, max(60, max(len(n) for n, _ in items) * 7 + 10))
    bar_w, row_h = 360, 22
    top_pad = 20 if title else 4
    top = max(s.hi for _, s in items) or 1.0
    h = row_h * len(items) + 24 + top_pad
    width = label_w + bar_w + 90
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' viewBox='0 0 {width} {h}' "
        f"role='img' aria-label='{_e(unit)} per benchmark' {_CHART_FONT}>"
        f"<rect width='{width}' height='{h}' rx='4' fill='{_CHART_BG}'/>"
    ]
    if title:
        parts.append(f"<text x='6' y='14' fill='{_CHART_FG}' font-weight='600'>{_e(title)}</text>")
    for i, (name, s) in enumerate(items):
        y = top_pad + i * row_h
        w = max(1.0, s.median / top * bar_w)
        lo, hi = s.lo / top * bar_w, s.hi / top * bar_w
        cy = y + row_h / 2 - 2
        fg = _CHART_FG
        parts.append(
            f"<text x='{label_w - 6}' y='{cy + 4}' text-anchor='end' fill='{fg}'>{_e(name)}</text>"
            f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='{row_h - 8}' rx='2' fill='{_CHART_BAR}'/>"
            f"<line x1='{label_w + lo:.1f}' x2='{label_w + hi:.1f}' y1='{cy}' y2='{cy}' stroke='{fg}'/>"
            f"<line x1='{label_w + lo:.1f}' x2='{label_w + lo:.1f}' y1='{cy - 4}' y2='{cy + 4}' stroke='{fg}'/>"
            f"<line x1='{label_w + hi:.1f}' x2='{label_w + hi:.1f}' y1='{cy - 4}' y2='{cy + 4}' stroke='{fg}'/>"
            f"<text x='{label_w + max(w, hi) + 6:.1f}' y='{cy + 4}' fill='{fg}'>{_e(_fmt_value(s.median, unit))}</text>"
        )
    parts.append(
        f"<text x='{label_w}' y='{h - 6}' fill='{_CHART_MUTED}'>median {_e(unit)}, whiskers: 95% CI</text></svg>"
    )
    return "".join(parts)


def _text_chart(summ: Mapping[str, Mapping[str, stats.Summary]], unit: str, title: str = "") -> str:
    """The chart as text: what a frontend that does not show the SVG (an untrusted notebook) shows."""
    items = [(name, s[unit]) for name, s in summ.items() if unit in s]
    top = max((s.median for _, s in items), default=0.0) or 1.0
    w = max((len(n) for n, _ in items), default=0)
    lines = [title] if title else []
    for name, s in items:
        bar = "█" * max(1, round(s.median / top * _TEXT_BAR_WIDTH))
        lines.append(f"{name:{w}}  {bar} {_fmt_value(s.median, unit)}")
    lines.append(f"(median {unit})")
    return "\n".join(lines)


def render_bench_chart(
    groups: Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]], *, title: str = ""
) -> dict[str, Any] | None:
    """The benchmark chart as its own output ({"image/svg+xml", "text/plain"}), or None without results."""
    current = _as_groups(groups)
    units = _units(current)
    if not units:
        return None
    unit = TIME_UNIT if TIME_UNIT in units else units[0]
    summ = _summaries(current, [unit])
    svg = _bar_chart(summ, unit, title)
    if not svg:
        return None
    return {"image/svg+xml": svg, "text/plain": _text_chart(summ, unit, title)}


def _comparisons(
    base: Mapping[str, list[BenchResult]], new: Mapping[str, list[BenchResult]], units: list[str]
) -> list[tuple[str, str, stats.Comparison]]:
    rows: list[tuple[str, str, stats.Comparison]] = []
    for name, runs in new.items():
        old_runs = base.get(name)
        if not old_runs:
            continue
        for u in units:
            xs = [r.metrics[u] for r in old_runs if u in r.metrics]
            ys = [r.metrics[u] for r in runs if u in r.metrics]
            # Constant metrics that did not change (0 allocs/op before and after) are noise in a comparison.
            if xs and ys and not (len(set(xs) | set(ys)) == 1 and u != TIME_UNIT):
                rows.append((name, u, stats.compare(xs, ys)))
    return rows


def _comparison_html(title: str, old_label: str, new_label: str, rows: list[tuple[str, str, stats.Comparison]]) -> str:
    trs = []
    for name, unit, c in rows:
        cls = "gk-muted" if not c.significant else ("gk-pass" if (c.delta_pct or 0) < 0 else "gk-fail")
        if unit in ("MB/s",) and c.significant:  # higher is better
            cls = "gk-pass" if (c.delta_pct or 0) > 0 else "gk-fail"
        trs.append(
            f"<tr><td><code>{_e(name)}</code></td><td>{_e(unit)}</td>"
            f"<td class='num'>{_e(_fmt_value(c.old.median, unit))} ±{c.old.spread_pct:.0f}%</td>"
            f"<td class='num'>{_e(_fmt_value(c.new.median, unit))} ±{c.new.spread_pct:.0f}%</td>"
            f"<td class='num {cls}'>{_e(c.delta_text)}</td>"
            f"<td class='num gk-muted'>p={c.p:.3f} n={c.old.n}+{c.new.n}</td></tr>"
        )
    return (
        f"<div class='gk-h'>{_e(title)}</div><table class='gk-t'><tr class='gk-head'><td>benchmark</td><td>unit</td>"
        f"<td class='num'>{_e(old_label)}</td><td class='num'>{_e(new_label)}</td><td class='num'>delta</td>"
        "<td class='num'>p</td></tr>" + "".join(trs) + "</table>"
    )


def _comparison_text(old_label: str, new_label: str, rows: list[tuple[str, str, stats.Comparison]]) -> list[str]:
    if not rows:
        return []
    w = max(len(n) for n, _, _ in rows)
    out = [f"{'':{w}}  {'unit':9} {old_label:>14} {new_label:>14} {'delta':>9}"]
    for name, unit, c in rows:
        out.append(
            f"{name:{w}}  {unit:9} {_fmt_value(c.old.median, unit) + f' ±{c.old.spread_pct:.0f}%':>14} "
            f"{_fmt_value(c.new.median, unit) + f' ±{c.new.spread_pct:.0f}%':>14} {c.delta_text:>9} (p={c.p:.3f})"
        )
    return out


def _bench_table(
    current: Mapping[str, list[BenchResult]], summ: Mapping[str, Mapping[str, stats.Summary]], units: list[str]
) -> tuple[str, list[str]]:
    head = "".join(f"<td class='num'>{_e(u)}</td><td></td>" for u in units)
    trs = []
    for name, by_unit in summ.items():
        tds = "".join(
            f"<td class='num'>{_e(v)}</td><td class='num gk-muted'>{_e(sp)}</td>"
            for v, sp in (_cell(by_unit.get(u), u) for u in units)
        )
        trs.append(f"<tr><td><code>{_e(name)}</code></td><td class='num'>{len(current[name])}</td>{tds}</tr>")
    table = (
        f"<table class='gk-t'><tr class='gk-head'><td>benchmark</td><td class='num'>n</td>{head}</tr>"
        f"{''.join(trs)}</table>"
    )
    w = max(len(n) for n in current)
    text = [f"{'':{w}}  {'n':>2}  " + "  ".join(f"{u:>18}" for u in units)]
    for name, by_unit in summ.items():
        cells = []
        for u in units:
            v, sp = _cell(by_unit.get(u), u)
            cells.append(f"{(v + ' ' + sp).strip():>18}")
        text.append(f"{name:{w}}  {len(current[name]):>2}  " + "  ".join(cells))
    return table, text


def render_bench_report(
    groups: Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]],
    *,
    go_version: str,
    previous: Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]] | None = None,
    compare_runs: Mapping[str, Sequence[BenchResult] | Mapping[str, Sequence[BenchResult]]] | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    current = _as_groups(groups)
    units = _units(current)
    summ = _summaries(current, units)
    n_runs = max((len(r) for r in current.values()), default=0)
    procs = sorted({r.procs for runs in current.values() for r in runs})
    meta = f"{go_version} · {n_runs} run{'s' if n_runs != 1 else ''} each"
    if procs:
        meta += f" · GOMAXPROCS {','.join(map(str, procs))}"
    title = f"{len(current)} benchmark{'s' if len(current) != 1 else ''}"
    body = [f"<div class='gk-sum gk-ok'>◆ {_e(title)} <span class='gk-meta'>— {_e(meta)}</span></div>"]
    text = [f"{title} ({meta})", *notes]
    body.append(_notes_html(notes))
    if not current:
        body.append(
            "<div class='gk-muted'>no benchmark results (does the cell declare func BenchmarkX(b *testing.B)?)</div>"
        )
        text.append("no benchmark results")

    # With several toolchains every one gets its table (labelled), the first one's first.
    tables: dict[str, dict[str, list[BenchResult]]] = {"": current}
    if compare_runs and len(compare_runs) > 1:
        tables = {label: _as_groups(runs) for label, runs in compare_runs.items()}
    for label, groups_of in tables.items():
        if not groups_of:
            continue
        table_html, table_text = _bench_table(groups_of, _summaries(groups_of, units), units)
        if label:
            body.append(f"<div class='gk-h'>{_e(label)}</div>")
            text.append(label)
        body.append(table_html)
        text.extend(table_text)

    data: dict[str, Any] = {
        "go_version": go_version,
        "benchmarks": {name: [asdict(r) for r in runs] for name, runs in current.items()},
        "summary": {name: {u: asdict(s) for u, s in by.items()} for name, by in summ.items()},
        "comparisons": [],
    }

    def add_comparison(title: str, old_label: str, new_label: str, old: Any, new: Any) -> None:
        rows = _comparisons(_as_groups(old), _as_groups(new), units)
        if not rows:
            return
        body.append(_comparison_html(title, old_label, new_label, rows))
        text.append(title)
        text.extend(_comparison_text(old_label, new_label, rows))
        data["comparisons"].append(
            {
                "old": old_label,
                "new": new_label,
                "rows": [{"name": n, "unit": u, **asdict(c), "delta": c.delta_text} for n, u, c in rows],
            }
        )

    if compare_runs and len(compare_runs) > 1:
        labels = list(compare_runs)
        for other in labels[1:]:
            add_comparison(f"{labels[0]} vs {other}", labels[0], other, compare_runs[labels[0]], compare_runs[other])
    elif previous:
        add_comparison("vs previous run", "previous", "now", previous, current)
    return _bundle("bench", "\n".join(text), "".join(body), _json_safe(data))


def _json_safe(value: Any) -> Any:
    # NaN/inf are not JSON; statistics of degenerate samples can produce them.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
