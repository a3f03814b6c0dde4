"""How people meet the kernel: the kernelspec the wheel ships, installing it, `jupyter console`, nbconvert.

Every command runs as a real subprocess of this environment's Jupyter (`python -m jupyter ...`), with a
private JUPYTER_DATA_DIR so a kernelspec in the user's own dir cannot stand in for the environment's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECTED_ARGV = ["python", "-m", "gokernel", "-f", "{connection_file}"]


@pytest.fixture
def jupyter_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "user-data")
    env.pop("JUPYTER_PATH", None)
    return env


def jupyter(*args: str, env: dict[str, str], timeout: float = 60) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, f"jupyter {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def kernelspec_path(env: dict[str, str]) -> Path:
    out = subprocess.run(
        [sys.executable, "-m", "gokernel", "kernelspec-path"], env=env, capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def test_kernelspec_list_shows_go_from_this_environment(jupyter_env: dict[str, str]) -> None:
    specs = json.loads(jupyter("kernelspec", "list", "--json", env=jupyter_env))["kernelspecs"]
    assert "go" in specs, sorted(specs)
    go = specs["go"]
    # The wheel's shared-data puts it in the environment, where `pip install` alone makes it visible.
    assert Path(go["resource_dir"]) == Path(sys.prefix, "share", "jupyter", "kernels", "go")
    assert go["spec"]["language"] == "go"
    assert go["spec"]["display_name"] == "Go"
    assert go["spec"]["argv"] == EXPECTED_ARGV
    assert {"logo-32x32.png", "logo-64x64.png"} <= {p.name for p in Path(go["resource_dir"]).iterdir()}


def test_jupyter_kernelspec_install_of_the_packaged_spec(tmp_path: Path, jupyter_env: dict[str, str]) -> None:
    spec_dir = kernelspec_path(jupyter_env)
    assert (spec_dir / "kernel.json").is_file()
    prefix = tmp_path / "prefix"
    jupyter("kernelspec", "install", "--prefix", str(prefix), "--name", "go", str(spec_dir), env=jupyter_env)
    installed = prefix / "share" / "jupyter" / "kernels" / "go"
    spec = json.loads((installed / "kernel.json").read_text())
    assert spec["argv"] == EXPECTED_ARGV
    assert spec["language"] == "go"
    assert (installed / "logo-64x64.png").is_file()
    # Jupyter finds it there once the prefix is on its path.
    env = {**jupyter_env, "JUPYTER_PATH": str(prefix / "share" / "jupyter")}
    specs = json.loads(jupyter("kernelspec", "list", "--json", env=env))["kernelspecs"]
    assert specs["go"]["resource_dir"] == str(installed)


def test_readme_install_command_names_the_kernel_go(tmp_path: Path, jupyter_env: dict[str, str]) -> None:
    # The README's literal command: jupyter kernelspec install --sys-prefix "$(python -m gokernel kernelspec-path)"
    prefix = tmp_path / "prefix"
    jupyter("kernelspec", "install", "--prefix", str(prefix), str(kernelspec_path(jupyter_env)), env=jupyter_env)
    assert (prefix / "share" / "jupyter" / "kernels" / "go" / "kernel.json").is_file()


def test_gokernel_install_prefix_pins_this_interpreter(tmp_path: Path, jupyter_env: dict[str, str]) -> None:
    prefix = tmp_path / "prefix"
    subprocess.run(
        [sys.executable, "-m", "gokernel", "install", "--prefix", str(prefix)], env=jupyter_env, check=True, timeout=60
    )
    spec = json.loads((prefix / "share" / "jupyter" / "kernels" / "go" / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, *EXPECTED_ARGV[1:]]
    assert spec["language"] == "go"


def test_jupyter_console_runs_a_go_cell(jupyter_env: dict[str, str]) -> None:
    assert importlib.util.find_spec("jupyter_console"), "jupyter_console is missing (test extra)"
    console = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "jupyter",
            "console",
            "--kernel",
            "go",
            "--simple-prompt",
            "--ZMQTerminalInteractiveShell.confirm_exit=False",
        ],
        env=jupyter_env,
        encoding="utf-8",
        timeout=90,
    )
    try:
        console.expect(r"In \[1\]: ")
        console.sendline("fmt.Println(6*7)")
        console.expect(r"\b42\b")
        console.expect(r"In \[2\]: ")
        # --simple-prompt reads one line per cell; a declaration persists into the next one.
        console.sendline("var answer = 6 * 7")
        console.expect(r"In \[3\]: ")
        console.sendline('fmt.Println("answer:", answer)')
        console.expect(r"answer: 42")
        console.expect(r"In \[4\]: ")
        console.sendeof()  # `exit` would be Go code here; Ctrl-D leaves and shuts the kernel down
        console.expect(r"exit \(\[y\]/n\)\? ")
        console.sendline("y")
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)


def test_nbconvert_to_script_gives_a_go_file(tmp_path: Path, jupyter_env: dict[str, str]) -> None:
    jupyter("nbconvert", "--to", "script", "--output-dir", str(tmp_path), str(EXAMPLES / "tour.ipynb"), env=jupyter_env)
    script = tmp_path / "tour.go"
    assert script.is_file(), sorted(p.name for p in tmp_path.iterdir())
    text = script.read_text()
    assert "p := Point{3, -4}" in text
    # the Go exporter (language_info.nbconvert_exporter): one program, the cells' imports in its import block
    assert text.startswith("// Code generated by gokernel") and "\npackage main\n" in text
    assert '\t"github.com/google/uuid"\n' in text and "\nfunc main() {\n" in text
