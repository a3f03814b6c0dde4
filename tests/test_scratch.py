from __future__ import annotations

import os
from pathlib import Path

import pytest

from gokernel.atomic import atomic_write_text
from gokernel.scratch import ScratchModule, go_directive_version


def test_gomod_follows_the_toolchain_and_drops_toolchain_line(tmp_path: Path) -> None:
    m = ScratchModule(tmp_path / "nb")
    m.ensure_gomod("go1.27.3")
    assert (m.root / "go.mod").read_text() == "module scratch\n\ngo 1.27\n"
    (m.root / "go.mod").write_text(
        "module scratch\n\ngo 1.27.3\n\ntoolchain go1.27.3\n\nrequire example.com/x v1.0.0\n"
    )
    m.ensure_gomod("go1.22.10")
    text = (m.root / "go.mod").read_text()
    assert "go 1.22\n" in text and "toolchain" not in text and "require example.com/x v1.0.0" in text


def test_write_removes_stale_generated_files_and_digest_tracks_content(tmp_path: Path) -> None:
    m = ScratchModule(tmp_path / "nb")
    m.ensure_gomod("go1.27.3")
    m.write({"main.go": "package main\n", "main_test.go": "package main\n"})
    d1 = m.digest()
    m.write({"main.go": "package main\n"})
    assert not (m.root / "main_test.go").exists()
    assert m.digest() != d1
    assert m.digest("a") != m.digest("b")


def test_for_notebook_is_stable_per_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOKERNEL_SCRATCH_DIR", str(tmp_path))
    a = ScratchModule.for_notebook("/home/u/a.ipynb")
    assert ScratchModule.for_notebook("/home/u/a.ipynb").root == a.root
    assert ScratchModule.for_notebook("/home/u/b.ipynb").root != a.root
    assert a.root.parent == tmp_path and a.root.name.startswith("a-")


def test_atomic_write_never_leaves_temp_files(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "f.json", "{}")
    atomic_write_text(tmp_path / "f.json", '{"a": 1}')
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
    assert go_directive_version("go1.22.10") == "1.22" and go_directive_version("devel") == "1.21"


@pytest.mark.parametrize(
    "notebook",
    [
        os.fsdecode(b"/home/u/bad-\xff.ipynb"),  # a path that is not UTF-8, as os.environ hands it over
        "/home/u/lone-\ud800.ipynb",  # a lone surrogate that no byte stands for (a JSON \\ud800)
        "/home/u/\u00e9t\u00e9 \U0001f600.ipynb",
        "",
    ],
)
def test_any_session_name_gives_a_usable_scratch_dir(tmp_path: Path, monkeypatch, notebook: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOKERNEL_SCRATCH_DIR", str(tmp_path))
    m = ScratchModule.for_notebook(notebook)
    assert m.root.is_dir() and m.root.parent == tmp_path
    assert m.root.name.isascii()
    assert ScratchModule.for_notebook(notebook).root == m.root
    m.write({"main.go": "package main\n"})


def test_non_utf8_names_that_differ_get_different_dirs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOKERNEL_SCRATCH_DIR", str(tmp_path))
    a = ScratchModule.for_notebook(os.fsdecode(b"/n/bad-\xff.ipynb"))
    b = ScratchModule.for_notebook(os.fsdecode(b"/n/bad-\xfe.ipynb"))
    assert a.root != b.root
