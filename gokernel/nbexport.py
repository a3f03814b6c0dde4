"""The nbconvert exporter `go` (entry point `nbconvert.exporters`; named by kernel_info's
`language_info.nbconvert_exporter`, so `--to script` and JupyterLab's "Executable Script" use it too)."""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import Exporter
from traitlets import default


def std_packages() -> dict[str, str]:
    """Auto-import table from the environment's Go; the common packages when there is no Go here."""
    from . import stdlib, toolchains

    try:
        tc = toolchains.active()
        return stdlib.std_packages(tc.go, toolchains.go_environ(tc))
    except (toolchains.NoToolchainError, toolchains.UnknownToolchainError, OSError):
        return dict(stdlib.FALLBACK)


class GoExporter(Exporter):
    """A notebook of Go cells → one `package main` program (see gokernel.export)."""

    export_from_notebook = "Go program"
    output_mimetype = "text/x-go"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".go"

    # Text, as nbconvert's TemplateExporter returns (the base class is typed as returning the notebook).
    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        from .export import program

        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        code = [c for c in nb_copy.cells if c.cell_type == "code"]
        errors = {
            n: out.get("ename", "error")
            for n, c in enumerate(code, start=1)
            for out in c.get("outputs", [])
            if out.get("output_type") == "error"
        }
        return program([c.source for c in code], std_packages(), errors), resources
