"""vendor/modules.txt parsing, when vendoring applies (as cmd/go decides), and the stand-in modules."""

from __future__ import annotations

import os
from pathlib import Path

from gokernel import vendoring

MODULES_TXT = """## workspace
# example.org/a v1.2.3
## explicit; go 1.21
example.org/a
example.org/a/sub
# example.org/b v0.1.0 => ../forks/b
## explicit
example.org/b
# example.com/ws v0.0.0-00010101000000-000000000000 => ./ws
## workspace
# example.org/nopkg v1.0.0
## explicit; go 1.18
"""


def test_modules_txt_parses_versions_replacements_go_versions_and_workspace_modules() -> None:
    mods = vendoring.parse_modules_txt(MODULES_TXT)
    assert [(m.path, m.version, m.go, m.workspace) for m in mods] == [
        ("example.org/a", "v1.2.3", "1.21", False),
        ("example.org/b", "v0.1.0", None, False),
        ("example.com/ws", "v0.0.0-00010101000000-000000000000", None, True),
        ("example.org/nopkg", "v1.0.0", "1.18", False),
    ]
    assert mods[0].packages == ["example.org/a", "example.org/a/sub"] and mods[3].packages == []


def test_vendor_mode_follows_the_go_commands_rules(tmp_path: Path) -> None:
    assert vendoring.vendor_mode(tmp_path, "1.22", "", workspace=False) is None  # no vendor/modules.txt
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "modules.txt").write_text("")
    vendor = tmp_path / "vendor"
    assert vendoring.vendor_mode(tmp_path, "1.14", "", workspace=False) == vendor
    assert vendoring.vendor_mode(tmp_path, "1.13", "", workspace=False) is None
    assert vendoring.vendor_mode(tmp_path, "1.13", "-mod=vendor", workspace=False) == vendor
    assert vendoring.vendor_mode(tmp_path, "1.22", "-race -mod=mod", workspace=False) is None
    assert vendoring.vendor_mode(tmp_path, "1.22", "-mod=readonly", workspace=False) is None
    assert vendoring.vendor_mode(tmp_path, "1.21", "", workspace=True) is None  # go work vendor: 1.22+
    assert vendoring.vendor_mode(tmp_path, "1.22", "", workspace=True) == vendor


def test_stand_ins_link_sources_copy_data_and_are_rebuilt_when_files_change(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    (vendor / "example.org" / "a" / "sub").mkdir(parents=True)
    (vendor / "example.org" / "a" / "data").mkdir()
    (vendor / "modules.txt").write_text("# example.org/a v1.2.3\n## explicit\nexample.org/a\nexample.org/a/sub\n")
    (vendor / "example.org" / "a" / "a.go").write_text("package a\n")
    (vendor / "example.org" / "a" / "data" / "x.json").write_text("{}")
    (vendor / "example.org" / "a" / "sub" / "sub.go").write_text("package sub\n")
    cache = tmp_path / "cache"
    [(version, first)] = vendoring.stand_ins(vendor, cache, "1.22").values()
    root = Path(first)
    assert version == "v1.2.3"
    assert (root / "go.mod").read_text() == "module example.org/a\n\ngo 1.22\n"  # no go annotation: the project's
    assert os.readlink(root / "a.go") == str(vendor / "example.org" / "a" / "a.go")
    assert os.readlink(root / "sub" / "sub.go") == str(vendor / "example.org" / "a" / "sub" / "sub.go")
    assert not (root / "data" / "x.json").is_symlink() and (root / "data" / "x.json").read_text() == "{}"
    assert vendoring.stand_ins(vendor, cache, "1.22")["example.org/a"][1] == first  # unchanged: reused
    (vendor / "example.org" / "a" / "b.go").write_text("package a\n")
    os.utime(vendor / "example.org" / "a", ns=(1, 1))  # a new file changes the directory's mtime
    second = vendoring.stand_ins(vendor, cache, "1.22")["example.org/a"][1]
    assert second != first and (Path(second) / "b.go").is_symlink() and not Path(first).exists()
