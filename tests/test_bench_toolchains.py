"""`%%bench --go A,B`: which toolchains a list of versions means (issue 12 item 5)."""

from __future__ import annotations

from gokernel.testcells import resolve_bench_toolchains
from gokernel.toolchains import Toolchain


def tc(ident: str, version: str, source: str) -> Toolchain:
    return Toolchain(ident, version, f"/{ident}", f"/{ident}/bin/go", source, source)


ENV = tc("env-1", "go1.26.6", "env")
SYSTEM = tc("goroot-1", "go1.26.8", "goroot")
OLD = tc("path-1", "go1.22.10", "path")
FOUND = [SYSTEM, OLD, ENV]


def test_a_version_prefers_this_environments_go_over_a_newer_patch_elsewhere() -> None:
    other = tc("sdk-1", "go1.27.3", "sdk")
    targets, notes = resolve_bench_toolchains(["1.22", "1.26"], other, FOUND)
    assert targets == [OLD, ENV] and notes == []
    # An exact version that two installs share is this environment's too.
    assert resolve_bench_toolchains(["go1.26.8"], other, FOUND)[0] == [SYSTEM]
    assert resolve_bench_toolchains(["1.26.6"], other, [*FOUND, tc("sdk-2", "go1.26.6", "sdk")])[0] == [ENV]


def test_the_current_toolchain_wins_and_default_names_it() -> None:
    assert resolve_bench_toolchains(["1.26"], SYSTEM, FOUND)[0] == [SYSTEM]
    assert resolve_bench_toolchains(["1.22", "default"], ENV, FOUND)[0] == [OLD, ENV]
    assert resolve_bench_toolchains(["default", "1.26"], ENV, FOUND)[0] == [ENV]  # the same toolchain once


def test_a_missing_version_is_skipped_with_a_note() -> None:
    targets, notes = resolve_bench_toolchains(["1.22", "1.19"], ENV, FOUND)
    assert targets == [OLD]
    [note] = notes
    assert note.startswith("skipped --go 1.19: no such Go toolchain here")
    unusable = Toolchain("x", "go1.19.1", "/x", "/x/go", "path", "PATH", usable=False, reason="broken")
    assert resolve_bench_toolchains(["1.19"], ENV, [*FOUND, unusable])[0] == []
