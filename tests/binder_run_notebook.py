"""Run a notebook's code cells through a running Jupyter server's kernel, as JupyterLab does.

    python tests/binder_run_notebook.py URL TOKEN NOTEBOOK [--expect TEXT ...]

Opens a session for NOTEBOOK (a path relative to the server's root) with the `go` kernel over the REST API,
sends each code cell as an execute_request over the kernel's websocket, and fails when a cell errors (unless
it is tagged `raises-exception`, in which case it must error) or when an --expect text never appears in the
output. Used by tests/binder_check.sh; needs only websocket-client and nbformat, which Jupyter brings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import nbformat
import websocket

CELL_TIMEOUT = 180.0


@dataclass
class CellRun:
    status: str = ""
    text: list[str] = field(default_factory=list)


def api(base: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    req = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = resp.read()
    return json.loads(data) if data else None


def message(msg_type: str, content: dict[str, Any], session: str) -> dict[str, Any]:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "binder-check",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "version": "5.3",
    }
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}


def output_text(msg: dict[str, Any]) -> str | None:
    kind, content = msg["msg_type"], msg["content"]
    if kind == "stream":
        return str(content["text"])
    if kind in ("execute_result", "display_data", "update_display_data"):
        return str(content["data"].get("text/plain", ""))
    if kind == "error":
        return f"{content['ename']}: {content['evalue']}"
    return None


def execute(ws: websocket.WebSocket, code: str, session: str) -> CellRun:
    request = message("execute_request", {"code": code, "silent": False, "allow_stdin": False}, session)
    ws.send(json.dumps(request))
    msg_id = request["header"]["msg_id"]
    run, idle = CellRun(), False
    deadline = time.monotonic() + CELL_TIMEOUT
    while not (idle and run.status):
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["channel"] == "shell" and msg["msg_type"] == "execute_reply":
            run.status = msg["content"]["status"]
        elif msg["channel"] == "iopub":
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif (text := output_text(msg)) is not None:
                run.text.append(text)
    return run


def run_notebook(base: str, token: str, path: str, expect: list[str]) -> int:
    nb = nbformat.read(path, as_version=4)
    sess = api(base, token, "POST", "/api/sessions", {"path": path, "type": "notebook", "kernel": {"name": "go"}})
    kernel_id = sess["kernel"]["id"]
    ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?token={token}"
    ws = websocket.create_connection(ws_url, timeout=60)
    failures: list[str] = []
    seen: list[str] = []
    started = time.monotonic()
    try:
        for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            run = execute(ws, cell.source, session=uuid.uuid4().hex)
            seen.extend(run.text)
            must_fail = "raises-exception" in cell.metadata.get("tags", [])
            if (run.status == "error") != must_fail:
                failures.append(
                    f"code cell {n + 1} ({cell.source.splitlines()[0]!r}): {run.status}\n{''.join(run.text)}"
                )
    finally:
        ws.close()
        api(base, token, "DELETE", f"/api/sessions/{sess['id']}")
    everything = "\n".join(seen)
    failures += [f"never printed {text!r}" for text in expect if text not in everything]
    print(f"{path}: ran through the server's {nb.metadata.kernelspec.name} kernel in {time.monotonic() - started:.1f}s")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url")
    p.add_argument("token")
    p.add_argument("notebook")
    p.add_argument("--expect", action="append", default=[], help="a text the outputs must contain")
    a = p.parse_args()
    return run_notebook(a.url.rstrip("/"), a.token, a.notebook, a.expect)


if __name__ == "__main__":
    sys.exit(main())
