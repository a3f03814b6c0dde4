"""`python -m gokernel`: launch the kernel (what kernel.json runs) or a subcommand.

python -m gokernel install [--user|--sys-prefix|--prefix P]
python -m gokernel kernelspec-path
python -m gokernel toolchains [list|use ID|install VERSION] [--json]
python -m gokernel warm     build the live session's tools and std for plugins now (images, Binder)
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    cmd = args[0] if args else ""
    if cmd == "install":
        from .install import main as install_main

        return install_main(args[1:])
    if cmd == "kernelspec-path":
        from .install import kernelspec_dir

        print(kernelspec_dir())
        return 0
    if cmd == "toolchains":
        from .toolchains_cli import main as toolchains_main

        return toolchains_main(args[1:])
    if cmd == "warm":
        from .live.session import warm_main

        return warm_main(args[1:])
    if cmd in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    from .launcher import launch  # answers kernel_info before ipykernel is imported

    launch(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
