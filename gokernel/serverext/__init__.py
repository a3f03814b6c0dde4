"""jupyter_server extension: REST API for the JupyterLab "Go toolchains" sidebar."""

from __future__ import annotations

from typing import Any

from .handlers import setup_handlers


def _load_jupyter_server_extension(server_app: Any) -> None:
    setup_handlers(server_app.web_app)
    server_app.log.info("gokernel server extension loaded at /gokernel/")
