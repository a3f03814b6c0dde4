"""The view gopls sees for a cell, its position map, and LSP results turned into Jupyter replies (no gopls)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from gokernel import cells
from gokernel.decls import DeclStore
from gokernel.executor import GoSession
from gokernel.language import LanguageService, gopls, hover_offset
from gokernel.language.completion import complete_reply, inspect_reply
from gokernel.language.gopls import install_candidates
from gokernel.language.lsp import LspClient, LspError, LspTimeout
from gokernel.language.view import LiveValue, compose_view, offset_to_position, utf16_column
from gokernel.scratch import ScratchModule
from gokernel.toolchains import Toolchain

STD = {"strings": "strings", "fmt": "fmt", "time": "time", "rand": "math/rand/v2", "display": "scratch/display"}


def store_of(*cell_sources: str) -> DeclStore:
    store = DeclStore()
    for n, src in enumerate(cell_sources, 1):
        store = store.apply(cells.split(src), n)
    return store


def test_statements_go_in_a_function_and_declarations_at_top_level_with_columns_kept() -> None:
    cell = "type T struct{ A int }\nx := T{}\n\tx.A"
    view = compose_view(cell, 2, DeclStore(), [], STD)
    lines = view.text.split("\n")
    assert lines[view.to_view(0, 0)[0]] == "type T struct{ A int }"  # type: ignore[index]
    vline, col = view.to_view(2, 4)  # type: ignore[misc]
    assert lines[vline] == "\tx.A" and col == 4
    assert "func _gkCell() {" in lines[:vline] and lines[vline + 1] == "}"
    assert view.to_cell(vline, 4) == (2, 4)


def test_notebook_declarations_live_values_and_std_auto_imports() -> None:
    store = store_of('import "github.com/google/uuid"\ntype P struct{ X int }\nfunc (p P) M() {}\nvar ids []uuid.UUID')
    values = [LiveValue("p", "*P", {}), LiveValue("buf", "*bytes.Buffer", {"bytes": "bytes"})]
    view = compose_view("strings.\nrand.", 0, store, values, STD)
    assert '\t"github.com/google/uuid"' in view.text and '\t"strings"' in view.text
    assert '\t"math/rand/v2"' in view.text and '\t"bytes"' in view.text
    assert "type P struct{ X int }" in view.text and "func (p P) M() {}" in view.text
    assert "var p *P\n" in view.text and "var buf *bytes.Buffer\n" in view.text
    assert '"fmt"' not in view.text  # only what the code refers to


def test_a_redefinition_in_the_cell_replaces_the_stored_one() -> None:
    store = store_of("func f() int { return 1 }\nvar v = 3")
    view = compose_view("func f() string {\n\treturn v.", 1, store, [LiveValue("v", "int", {})], STD)
    assert "func f() int" not in view.text and view.text.count("var v") == 1
    # The unfinished function is put at top level, not inside the cell's function.
    assert view.text.index("func f() string") < view.text.index("func _gkCell")


def test_a_whole_file_is_its_own_view() -> None:
    cell = 'package main\n\nimport "fmt"\n\nfunc main() { fmt. }'
    view = compose_view(cell, 4, DeclStore(), [], STD)
    assert view.text == cell + "\n" and view.to_view(4, 17) == (4, 17)


def test_positions_in_code_points_and_utf16() -> None:
    text = 'é := "😀"\né.'
    assert offset_to_position(text, len(text)) == (1, 2)
    assert utf16_column('s := "😀x"', 8) == 9


def test_hover_offset_finds_the_identifier_or_the_called_function() -> None:
    assert hover_offset("strings.Split", 13) == 12
    code = 'strings.Split("a,b", '
    assert code[hover_offset(code, len(code)) or 0] == "t"  # the last letter of Split
    assert hover_offset("x := {", 6) is None


def test_complete_reply_maps_ranges_kinds_and_filters_by_prefix() -> None:
    cell = "x := time.N"
    view = compose_view(cell, 0, DeclStore(), [], STD)
    vline, vcol = view.to_view(0, len(cell))  # type: ignore[misc]
    rng = {"start": {"line": vline, "character": vcol - 1}, "end": {"line": vline, "character": vcol}}

    def item(label: str, kind: int, detail: str, sort: str) -> dict[str, object]:
        return {
            "label": label,
            "kind": kind,
            "detail": detail,
            "sortText": sort,
            "textEdit": {"range": rng, "newText": label},
        }

    items = [
        item("Now", 3, "func() time.Time", "1"),
        item("Nanosecond", 21, "time.Duration", "0"),
        item("UnixNano", 2, "func() int64", "2"),  # a fuzzy match: hidden while prefix matches exist
        item("_gkCell", 3, "func()", "3"),
    ]
    reply = complete_reply({"items": items}, cell, view, len(cell))
    assert reply is not None
    assert reply["matches"] == ["Nanosecond", "Now"]
    assert (reply["cursor_start"], reply["cursor_end"]) == (len("x := time."), len(cell))
    types = reply["metadata"]["_jupyter_types_experimental"]
    assert types[1] == {"start": 10, "end": 11, "text": "Now", "type": "function", "signature": "func() time.Time"}


def test_inspect_reply_plain_and_markdown_without_file_links() -> None:
    md = "```go\nfunc strings.Split(s, sep string) []string\n```\n\nSee [SplitN](file:///go/src/strings.go#3,1)."
    reply = inspect_reply({"contents": {"kind": "markdown", "value": md}})
    assert reply is not None and reply["found"]
    assert reply["data"]["text/plain"].startswith("func strings.Split(s, sep string) []string\n")
    assert "See SplitN." in reply["data"]["text/plain"] and "file://" not in reply["data"]["text/markdown"]
    assert inspect_reply(None) is None


def test_gopls_versions_by_go_version() -> None:
    assert install_candidates("go1.27.3")[0] == "v0.24"
    assert install_candidates("go1.26.1")[0] == "v0.23"
    assert install_candidates("go1.28.0")[:2] == ["latest", "v0.24"]
    assert install_candidates("go1.22.5") == ["v0.16"]


# ---- without a usable gopls: bounded, quiet, no install -------------------------------------------------
SILENT_SERVER = "import sys, time\nsys.stdin.read()\n"  # reads requests, never answers


def test_a_server_that_does_not_answer_times_out_and_is_killed(tmp_path: Path) -> None:
    client = LspClient([sys.executable, "-c", SILENT_SERVER], cwd=str(tmp_path), env=dict(os.environ))
    try:
        started = time.monotonic()
        with pytest.raises(LspTimeout):
            client.request("textDocument/completion", {}, timeout=0.3)
        assert time.monotonic() - started < 1.5
    finally:
        client.kill()
    assert client.proc.poll() is not None and not client.alive
    with pytest.raises(LspError):
        client.request("shutdown", None, timeout=0.3)


def test_offline_without_gopls_falls_back_with_one_notice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOKERNEL_DATA_DIR", str(tmp_path / "data"))  # no installed gopls there
    monkeypatch.delenv("GOKERNEL_GOPLS", raising=False)
    session = GoSession(ScratchModule(tmp_path / "scratch"))
    session.toolchains.offline = True
    monkeypatch.setattr(gopls, "find", lambda tc, env: None)  # whatever this machine has on PATH
    notices: list[str] = []
    svc = LanguageService(session, say=notices.append)
    for _ in range(3):
        assert svc.complete("strings.", 8) is None
    assert svc.state == "unavailable" and len(notices) == 1 and "offline" in notices[0]
    assert not (tmp_path / "data" / "gopls").exists()  # nothing installed


FAKE_GO = """#!/bin/sh
# `go install gopls@Q`: fails for v0.24 (as a Go too old for it would), else writes $GOBIN/gopls.
# `go version FILE`: says which Go built it.
case "$1" in
install)
  case "$2" in *@v0.24) echo "gopls@v0.24 requires go >= 1.28 (running go 1.27.3; GOTOOLCHAIN=local)" >&2; exit 1;; esac
  mkdir -p "$GOBIN" && printf '#!/bin/sh\\n' > "$GOBIN/gopls" && chmod +x "$GOBIN/gopls"; echo "$2" > "$GOBIN/query";;
version) echo "$2: go1.27.3";;
esac
"""


def test_install_steps_down_versions_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOKERNEL_DATA_DIR", str(tmp_path / "data"))
    go = tmp_path / "go"
    go.write_text(FAKE_GO)
    go.chmod(0o755)
    tc = Toolchain(id="fake", version="go1.27.3", goroot=str(tmp_path), go=str(go), source="path", label="fake")
    stale = tmp_path / "data" / "gopls" / "go1.27.3.partial-999999"
    stale.mkdir(parents=True)  # a killed kernel's half-done install
    said: list[str] = []
    path = gopls.install(tc, {"PATH": os.environ["PATH"]}, said.append)
    assert path == tmp_path / "data" / "gopls" / "go1.27.3" / "gopls"
    assert (path.parent / "query").read_text().strip() == "golang.org/x/tools/gopls@v0.23"
    assert not stale.exists() and not list(path.parent.parent.glob("*.partial-*"))
    assert gopls.find(tc, {"PATH": str(tmp_path / "empty")}) == path
    assert len(said) == 3 and "installed" in said[-1]


def test_kept_import_paths_are_imported_blank_unless_referenced() -> None:
    view = compose_view("strings.", 0, DeclStore(), [], STD, keep_paths=("bytes", "strings", "C"))
    assert '\t_ "bytes"' in view.text and '\t"strings"' in view.text and '_ "strings"' not in view.text
    assert '"C"' not in view.text and view.paths == {"bytes", "strings"}


def test_a_gopls_that_exits_is_restarted_a_few_times_then_given_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "gopls"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("GOKERNEL_GOPLS", str(broken))
    notices: list[str] = []
    svc = LanguageService(GoSession(ScratchModule(tmp_path / "scratch")), say=notices.append)
    started = time.monotonic()
    for _ in range(6):
        assert svc.complete("strings.", 8) is None
    assert time.monotonic() - started < 10  # each failure is quick, not a 2 s wait
    assert svc.state == "unavailable" and svc.reason == "gopls kept exiting"
    assert len(notices) == 3 and svc.server is None
