"""What the kernel_info reply says, in one place.

Two senders use it: GoKernel (ipykernel's protocol), and the launcher's early reply (gokernel.launcher), which
answers before ipykernel, jupyter_client or the toolchain code are imported. So this module imports nothing
heavy itself; `default_go_version` imports gokernel.toolchains when it is called.
"""

from __future__ import annotations

from typing import Any

from . import __version__

IMPLEMENTATION = "gokernel"
BANNER = f"gokernel {__version__}: Go cells compiled with your environment's Go toolchain. %help lists magics."
HELP_LINKS = [
    {"text": "Go documentation", "url": "https://go.dev/doc/"},
    {"text": "Go standard library", "url": "https://pkg.go.dev/std"},
]

# The launcher's reply goes out before ipykernel and jupyter_client are imported, so it cannot ask them which
# protocol they speak; tests/test_kernel_startup.py checks these against the installed ones.
KERNEL_PROTOCOL_VERSION = "5.3"  # ipykernel._version.kernel_protocol_version: the reply's protocol_version
MESSAGE_PROTOCOL_VERSION = "5.4"  # jupyter_client.session.protocol_version: every message header's "version"


def default_go_version() -> str:
    """The default toolchain's version without "go" (no `%go use` can have happened yet), or "" without one."""
    from .toolchains import NoToolchainError, UnknownToolchainError, active

    try:
        return active().version.removeprefix("go")
    except (NoToolchainError, UnknownToolchainError):
        return ""


def language_info(version: str) -> dict[str, Any]:
    return {
        "name": "go",
        "version": version,
        "mimetype": "text/x-go",
        "file_extension": ".go",
        "codemirror_mode": "go",
        "pygments_lexer": "go",
        "nbconvert_exporter": "go",  # gokernel.nbexport, registered as an nbconvert.exporters entry point
    }


def reply_content(
    lang: dict[str, Any], supported_features: list[str], protocol_version: str = KERNEL_PROTOCOL_VERSION
) -> dict[str, Any]:
    """The kernel_info reply's content (without "status")."""
    return {
        "protocol_version": protocol_version,
        "implementation": IMPLEMENTATION,
        "implementation_version": __version__,
        "language_info": lang,
        "banner": BANNER,
        "help_links": HELP_LINKS,
        "supported_features": supported_features,
    }
