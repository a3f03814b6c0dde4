"""A cell's new imports are resolved when the cell runs, so a wrong path fails on its own import line.

Without this, `import "github.com/x/y"` alone in a cell is only remembered (an unused import is dropped from
the program) and the error shows up later, in whichever cell first uses the package, with the go command's
wording about a generated file. `go list -e -mod=mod` in the scratch module resolves the paths the way the
build will (downloading a new module and adding it to the scratch go.mod), and says per package what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from . import runner

_FIELD, _RECORD = "\x1e", "\x1f"
_FORMAT = '{{.ImportPath}}{{"\\x1e"}}{{if .Error}}{{.Error.Err}}{{end}}{{"\\x1f"}}'


def needs_resolving(path: str) -> bool:
    """Paths the go command must find in a module: the std library's have no dot in their first element."""
    first = path.split("/", 1)[0]
    return "." in first and path != "C"


def resolve(go: str, paths: Iterable[str], cwd: Path, env: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """({import path: why it cannot be imported}, interrupted) for `paths`, resolved in the module at `cwd`."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}, False
    res = runner.run([go, "list", "-e", "-mod=mod", "-f", _FORMAT, "--", *wanted], cwd=cwd, env=env)
    if res.interrupted:
        return {}, True
    errors: dict[str, str] = {}
    for record in res.captured_stdout.split(_RECORD):
        path, sep, err = record.strip("\n").partition(_FIELD)
        if sep and err.strip():
            errors[path] = " ".join(err.split())
    if res.returncode != 0 and not errors:
        # go list itself failed (a broken go.mod, say): it vouched for none of the paths.
        why = " ".join(res.captured_stderr.split()[-60:]) or f"go list exited with status {res.returncode}"
        errors = dict.fromkeys(wanted, why)
    return errors, False
