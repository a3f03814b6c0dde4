"""gokernel: a Go kernel for Jupyter that compiles cells with the environment's own Go toolchain."""

__version__ = "0.1.0"
