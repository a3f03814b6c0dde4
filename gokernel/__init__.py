"""gokernel: a Go kernel for Jupyter that compiles cells with the environment's own Go toolchain."""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "gokernel.serverext"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "gokernel"}]
