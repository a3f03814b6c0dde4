"""fastbuild: compile + link directly gives the same program as `go build`, and steps aside when it can't."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gokernel import fastbuild, toolchains
from gokernel.scratch import ScratchModule
from gokernel.toolchains import Toolchain

HELLO = 'package main\n\nimport (\n\t"fmt"\n\tstr "strings"\n)\n\nfunc main() { fmt.Println(str.ToUpper("hi")) }\n'


@pytest.fixture(scope="module")
def venv_go() -> Toolchain:
    go = Path(sys.executable).parent / "go"
    probe = toolchains.probe(str(go))
    return Toolchain(
        "venv", probe["version"], probe["goroot"], str(Path(probe["goroot"]) / "bin" / "go"), "env", "venv"
    )


@pytest.fixture
def module(tmp_path: Path, venv_go: Toolchain) -> ScratchModule:
    m = ScratchModule(tmp_path / "mod")
    m.ensure_gomod(venv_go.version)
    m.ensure_display_package()
    return m


def build(m: ScratchModule, tc: Toolchain, files: dict[str, str]) -> tuple[fastbuild.FastBuilder, object]:
    m.write(files)
    fb = fastbuild.FastBuilder(m.root, m.build_dir)
    env = toolchains.go_environ(tc)
    return fb, fb.build(tc, env, files, str(m.build_dir / "cell"))


def test_imports_of_generated_sources() -> None:
    assert fastbuild.imports_of(HELLO) == ["fmt", "strings"]
    assert fastbuild.imports_of('package main\nimport "os"\nimport _gk "runtime"\n') == ["os", "runtime"]
    assert fastbuild.imports_of("package main\nfunc main() {}\n") == []


def test_eligibility() -> None:
    assert fastbuild.eligible({"main.go": HELLO}, {})
    assert fastbuild.eligible({"main.go": HELLO}, {"GOFLAGS": "-mod=mod"})
    assert not fastbuild.eligible({"main.go": HELLO}, {"GOFLAGS": "-tags=x"})
    assert not fastbuild.eligible({"main.go": HELLO}, {"GOKERNEL_BUILD": "go"})
    assert not fastbuild.eligible({"main.go": HELLO}, {"GOEXPERIMENT": "arenas"})
    assert not fastbuild.eligible({"main.go": 'package main\n\nimport "C"\n\nfunc main() {}\n'}, {})
    assert not fastbuild.eligible({"main.go": "package main\n\n//go:embed x.txt\nvar s string\n"}, {})


def test_builds_the_same_program_as_go_build(module: ScratchModule, venv_go: Toolchain) -> None:
    fb, res = build(module, venv_go, {"main.go": HELLO})
    assert res is not None and res.returncode == 0  # type: ignore[attr-defined]
    out = subprocess.run([str(module.build_dir / "cell")], capture_output=True, text=True, timeout=30)
    assert out.stdout == "HI\n"
    assert list(module.build_dir.glob("importcfg-*")), "the import set's importcfg is cached"


def test_panics_still_name_the_source_line(module: ScratchModule, venv_go: Toolchain) -> None:
    _, res = build(module, venv_go, {"main.go": 'package main\n\nfunc main() {\n\tpanic("at line 4")\n}\n'})
    assert res is not None and res.returncode == 0  # type: ignore[attr-defined]
    out = subprocess.run([str(module.build_dir / "cell")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and f"{module.root}/main.go:4" in out.stderr


def test_compile_errors_are_reported_like_go_build(module: ScratchModule, venv_go: Toolchain) -> None:
    bad = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(nope)\n}\n'
    _, res = build(module, venv_go, {"main.go": bad})
    assert res is not None and res.returncode != 0  # type: ignore[attr-defined]
    assert "main.go:6:14: undefined: nope" in res.captured_stderr  # type: ignore[attr-defined]


def test_missing_export_data_rebuilds_the_importcfg(module: ScratchModule, venv_go: Toolchain) -> None:
    build(module, venv_go, {"main.go": HELLO})
    [cfg] = module.build_dir.glob("importcfg-*")
    # A build cache trimmed under us: the cached importcfg points at a file that is gone.
    cfg.write_text(cfg.read_text().replace("packagefile strings=", "packagefile strings=/gone/"))
    _, res = build(module, venv_go, {"main.go": HELLO})
    assert res is not None and res.returncode == 0  # type: ignore[attr-defined]
    assert "/gone/" not in cfg.read_text()


def test_unknown_import_steps_aside_for_go_build(module: ScratchModule, venv_go: Toolchain) -> None:
    src = 'package main\n\nimport "example.invalid/nothing"\n\nfunc main() { nothing.X() }\n'
    _, res = build(module, venv_go, {"main.go": src})
    assert res is None  # go build then reports the module error in its own words


def test_old_importcfgs_are_pruned(module: ScratchModule, venv_go: Toolchain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastbuild, "KEEP_IMPORTCFGS", 2)
    for pkg in ("strings", "sort", "bytes"):
        src = f'package main\n\nimport "{pkg}"\n\nvar _ = {pkg}.Compare\n\nfunc main() {{}}\n'
        if pkg == "sort":
            src = 'package main\n\nimport "sort"\n\nvar _ = sort.Ints\n\nfunc main() {}\n'
        _, res = build(module, venv_go, {"main.go": src})
        assert res is not None and res.returncode == 0  # type: ignore[attr-defined]
    assert len(list(module.build_dir.glob("importcfg-*"))) == 2


def test_notebooks_share_importcfgs(tmp_path: Path, venv_go: Toolchain) -> None:
    shared = tmp_path / "cfgs"
    env = toolchains.go_environ(venv_go)
    written = []
    for name in ("one", "two"):
        m = ScratchModule(tmp_path / name)
        m.ensure_gomod(venv_go.version)
        m.ensure_display_package()
        m.write({"main.go": HELLO})
        fb = fastbuild.FastBuilder(m.root, m.build_dir, shared)
        res = fb.build(venv_go, env, {"main.go": HELLO}, str(m.build_dir / "cell"))
        assert res is not None and res.returncode == 0
        [cfg] = shared.glob("importcfg-*")
        written.append((cfg.name, cfg.stat().st_mtime_ns))
    assert written[0] == written[1]  # the second notebook reused the first one's importcfg as it was
