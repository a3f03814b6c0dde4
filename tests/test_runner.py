"""The process runner with real child processes: streaming, fd 3, stdin, interrupt, process groups."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from gokernel import runner

PY = sys.executable


def test_streams_chunks_as_they_come(tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    code = "import time,sys\nfor i in range(3):\n print(i, flush=True)\n time.sleep(0.3)\n"
    t0 = time.monotonic()
    res = runner.run(
        [PY, "-c", code], cwd=tmp_path, env=os.environ, on_stdout=lambda s: seen.append((time.monotonic(), s))
    )
    assert res.returncode == 0
    assert "".join(s for _, s in seen) == "0\n1\n2\n"
    assert seen[0][0] - t0 < res.elapsed - 0.5  # first chunk long before the end


def test_side_channel_records_on_fd3(tmp_path: Path) -> None:
    code = "import os\nos.write(3, b'result 5\\nhello')\nos.write(3, b'goroutines 1\\n2')\n"
    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ, side_channel=True)
    rec = runner.parse_side_channel(res.side_channel)
    assert rec.result == "hello" and rec.goroutines == 2


def test_stdin_is_eof_without_reader_and_fed_with_one(tmp_path: Path) -> None:
    code = "import sys\nline = sys.stdin.readline()\nprint(repr(line))"
    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ)
    assert res.captured_stdout == "''\n"
    asked: list[int] = []

    def answer() -> str:
        asked.append(1)
        return "gopher"

    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ, read_stdin=answer)
    assert res.captured_stdout == "'gopher\\n'\n" and asked == [1]


def test_output_limit_truncates(tmp_path: Path) -> None:
    code = "import sys\nsys.stdout.write('x' * 3_000_000)"
    got: list[str] = []
    notes: list[int] = []
    res = runner.run(
        [PY, "-c", code],
        cwd=tmp_path,
        env=os.environ,
        on_stdout=got.append,
        output_limit=1_000_000,
        on_truncate=notes.append,
    )
    assert res.truncated and notes == [1_000_000]
    assert sum(map(len, got)) == 1_000_000


def test_keyboard_interrupt_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    # The child ignores SIGINT and starts a grandchild: only the group SIGKILL can end both.
    code = (
        "import signal,subprocess,sys,time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "print('ready', flush=True)\n"
        "while True: pass\n"
    )
    ready = threading.Event()
    main_thread = threading.get_ident()

    def fire() -> None:
        ready.wait(20)
        signal.pthread_kill(main_thread, signal.SIGINT)

    threading.Thread(target=fire, daemon=True).start()
    t0 = time.monotonic()
    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ, on_stdout=lambda s: ready.set())
    assert res.interrupted
    assert time.monotonic() - t0 < 20
    grandchild = int(pidfile.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    # A killed process may linger as a zombie until its new parent reaps it.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_background_grandchild_does_not_hang_the_cell(tmp_path: Path) -> None:
    code = "import subprocess,sys\nsubprocess.Popen([sys.executable,'-c','import time; time.sleep(30)'])\nprint('bye')"
    t0 = time.monotonic()
    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ)
    assert res.returncode == 0 and res.captured_stdout == "bye\n"
    assert time.monotonic() - t0 < 5


def test_a_child_in_its_own_session_does_not_outlive_the_run(tmp_path: Path) -> None:
    code = (
        "import subprocess,sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True,"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(p.pid)\n"
    )
    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ)
    assert res.returncode == 0
    time.sleep(0.1)
    assert not _alive(int(res.captured_stdout))


def test_the_programs_exit_not_its_pipes_ends_the_run(tmp_path: Path) -> None:
    code = "import os,time\nos.close(1)\nos.close(2)\ntime.sleep(0.5)\nos._exit(7)"
    t0 = time.monotonic()
    res = runner.run([PY, "-c", code], cwd=tmp_path, env=os.environ)
    assert res.returncode == 7 and not res.interrupted
    assert 0.5 <= time.monotonic() - t0 < 3
