"""``zen-nb lab`` stopped the ways terminals and supervisors stop it, and a sandbox it found left running.

Each test starts a real ``zen-nb lab`` (JupyterLab as its child, with the sandbox in-process),
stops it one way, and then looks for what must be gone: JupyterLab's process (its pid read from
the ``jpserver-<pid>.json`` it writes) and both listening ports.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import requests

from zen_nb import sandbox
from zen_nb.lab import free_port

from processes import CliLab, lab_env

pytestmark = pytest.mark.slow


def lab_pid(tmp_path: Path) -> int:
    (info,) = (tmp_path / "jupyter_runtime_dir").glob("jpserver-*.json")
    return int(info.stem.removeprefix("jpserver-"))


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def is_listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return False
    return True


def wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.1)
    return False


def start(tmp_path: Path, *args: str) -> tuple[CliLab, int]:
    process = CliLab("--no-browser", "--port", str(free_port(19988)), *args, env=lab_env(tmp_path))
    assert requests.get(f"{process.server}/api/status", params={"token": process.token}, timeout=30).ok
    return process, lab_pid(tmp_path)


@pytest.mark.parametrize(
    ("how", "send"),
    [
        # `kill PID`, a supervisor, a container stopping: SIGTERM to zen-nb lab alone.
        ("SIGTERM to zen-nb lab", lambda proc: proc.send_signal(signal.SIGTERM)),
        # A closed terminal: SIGHUP to the whole foreground process group, JupyterLab included.
        ("SIGHUP to the process group", lambda proc: os.killpg(proc.pid, signal.SIGHUP)),
    ],
)
def test_a_stop_signal_stops_jupyterlab_and_the_sandbox(tmp_path, how, send):
    process, jupyter = start(tmp_path, "--sandbox-port", "0")
    try:
        assert is_running(jupyter)
        send(process.proc)
        code = process._finish(60)
    finally:
        process.kill()
    assert code == 0, (how, process.stderr)
    assert wait_gone(jupyter), f"{how}: JupyterLab (pid {jupyter}) is still running"
    assert not is_listening(process.server), f"{how}: JupyterLab's port still answers"
    assert not is_listening(process.sandbox_url), f"{how}: the sandbox's port still answers"
    assert "JupyterLab and the sandbox are stopped." in process.stdout
    if how.startswith("SIGTERM"):
        assert "SIGTERM received, stopping" in process.stdout


def test_a_sandbox_that_was_already_running_is_used_and_left_running(tmp_path):
    port = free_port(18765)
    with sandbox.start(port=port, db=str(tmp_path / "theirs.sqlite3")) as theirs:
        process, jupyter = start(tmp_path, "--sandbox-port", str(port))
        try:
            assert f"using the sandbox already running at {theirs.base_url}" in process.stdout
            assert "Press Ctrl-C to stop JupyterLab (the sandbox at" in process.stdout
            assert "stop JupyterLab and the sandbox" not in process.stdout
            assert process.interrupt_group(timeout=60) == 0
        finally:
            process.kill()
        assert wait_gone(jupyter)
        assert f"JupyterLab is stopped; the sandbox at {theirs.base_url} keeps running." in process.stdout
        assert requests.get(f"{theirs.base_url}/health", timeout=10).ok
