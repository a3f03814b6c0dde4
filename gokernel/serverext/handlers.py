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
_VERSION = re.compile(r"^(go)?\d+\.\d+(\.\d+)?((rc|beta)\d+)?$")
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


class _Base(APIHandler):
    def body_json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"")
        except ValueError as e:
            raise tornado.web.HTTPError(400, f"invalid JSON: {e}") from e
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
        if not isinstance(ident, str) or not ident or "/" in ident or "\\" in ident:
            raise tornado.web.HTTPError(400, 'body must be {"id": <toolchain id>} (paths are not accepted)')
        try:
            tc = await self.off_loop(switch, ident)
        except toolchains.UnknownToolchainError as e:
            raise tornado.web.HTTPError(400, str(e)) from e
        self.finish(json.dumps({"active": tc["id"], "toolchain": tc}))


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
                    "notebook": paths.get(kid) or st.get("notebook") or "",
                    "toolchain_id": st.get("toolchain_id"),
                    "go_version": st.get("go_version"),
                    "execution_state": getattr(kernel, "execution_state", None),
                }
            )
        self.finish(json.dumps({"kernels": kernels}))


class InstallHandler(_Base):
    @tornado.web.authenticated
    async def post(self) -> None:
        version = self.body_json().get("version")
        if not isinstance(version, str) or not _VERSION.match(version.strip()):
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
            raise tornado.web.HTTPError(404, f"no task {task_id}")
        self.finish(json.dumps(task.to_json()))

    @tornado.web.authenticated
    def delete(self, task_id: str) -> None:
        task = self.settings["gokernel_tasks"].cancel(task_id)
        if task is None:
            raise tornado.web.HTTPError(404, f"no task {task_id}")
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
            (url_path_join(base, "kernels"), KernelsHandler),
            (url_path_join(base, "tasks", r"([0-9a-f]+)"), TaskHandler),
        ],
    )
