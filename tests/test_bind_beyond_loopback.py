"""Binding beyond loopback (issue 13, finding 8), and the admin token kept out of the process list.

Servers here bind 127.0.0.1 only. ``--host 0.0.0.0`` is run as a child process with its port
already held on 127.0.0.1 by the test, so that even a sandbox that failed to refuse could not
listen beyond loopback (it would fail with "port in use", exit 1): the test sees the refusal
(exit 2) come before anything is bound. The start that is allowed beyond loopback is tested
through the decision (:func:`zen_nb.sandbox.exposure.refusal`) and the text the command prints
(:func:`zen_nb.sandbox.command.startup_text`), without binding.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox import DEMO_TOKEN

from helpers import assert_error
from processes import CliSandbox, clean_env

OWN_TOKEN = "zen_admin_own_" + "k3y" * 8  # what a trainer would choose: long, not on any command line
ENV_NAME = "ZEN_SANDBOX_ADMIN_TOKEN"


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port that this test listens on at 127.0.0.1, so nothing else can bind it on any address."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m zen_nb.cli sandbox ARGS`` to its end (for commands that must refuse to start)."""
    return subprocess.run(
        [sys.executable, "-m", "zen_nb.cli", "sandbox", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def one_line_refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The process refused to start: exit 2, nothing on stdout, one line on stderr (returned)."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("zen-nb sandbox: refusing"), lines[0]
    return lines[0]


def admin_reset(base_url: str, token: str) -> requests.Response:
    return requests.post(f"{base_url}/_sandbox/reset", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_every_interface_with_the_defaults_is_refused_before_anything_is_bound(tmp_path, held_port):
    database = tmp_path / "sandbox.sqlite3"
    done = run_cli("--host", "0.0.0.0", "--port", str(held_port), "--db", str(database), env=clean_env(tmp_path))
    line = one_line_refusal(done)
    assert "0.0.0.0" in line and "demo token" in line and "generated admin token" in line, line
    assert "--admin-token-file" in line and ENV_NAME in line and "--host 127.0.0.1" in line, line
    assert not database.exists()  # decided from the arguments: the database was not even opened


def test_an_admin_token_on_the_command_line_is_refused_beyond_loopback(tmp_path, held_port):
    args = ("--host", "0.0.0.0", "--port", str(held_port), "--db", ":memory:", "--admin-token", OWN_TOKEN)
    line = one_line_refusal(run_cli(*args, env=clean_env(tmp_path)))
    assert "process list" in line and "--admin-token-file" in line and ENV_NAME in line, line
    assert OWN_TOKEN not in line


def test_a_short_admin_token_is_refused_beyond_loopback(tmp_path, held_port):
    env = clean_env(tmp_path, **{ENV_NAME: "short"})
    line = one_line_refusal(run_cli("--host", "0.0.0.0", "--port", str(held_port), "--db", ":memory:", env=env))
    assert "at least 16" in line and ENV_NAME in line, line
    assert "short" not in line.split("characters", 1)[1]  # the token itself is never echoed


def test_the_python_api_refuses_too(held_port):
    with pytest.raises(ValueError, match="generated admin token"):
        sandbox_pkg.start(host="0.0.0.0", port=held_port)


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads the process list from /proc")
def test_the_admin_token_from_the_environment_works_and_stays_out_of_the_process_list(tmp_path):
    with CliSandbox("--port", "0", "--db", ":memory:", env=clean_env(tmp_path, **{ENV_NAME: OWN_TOKEN})) as box:
        assert admin_reset(box.base_url, OWN_TOKEN).status_code == 200
        assert_error(admin_reset(box.base_url, "zen_admin_another"), 401, "unauthenticated")
        assert OWN_TOKEN not in _cmdline(box.proc.pid)
        assert OWN_TOKEN not in box.stdout + box.stderr  # the user has it already: the banner says where from
        assert f"Admin token: the one from {ENV_NAME} (not shown)" in box.stdout


def test_the_admin_token_from_a_file_works_and_is_not_printed(tmp_path):
    secret = tmp_path / "admin-token"
    secret.write_text(OWN_TOKEN + "\n")
    secret.chmod(0o600)
    with CliSandbox(
        "--port", "0", "--db", ":memory:", "--admin-token-file", str(secret), env=clean_env(tmp_path)
    ) as box:
        assert admin_reset(box.base_url, OWN_TOKEN).status_code == 200
        assert OWN_TOKEN not in box.stdout + box.stderr
        assert f"Admin token: the one from --admin-token-file {secret} (not shown)" in box.stdout


@pytest.mark.parametrize(("content", "says"), [(None, "cannot read"), ("", "is empty"), ("two words\n", "spaces")])
def test_an_unusable_admin_token_file_is_one_line_and_exit_2(tmp_path, content, says):
    secret = tmp_path / "admin-token"
    if content is not None:
        secret.write_text(content)
    done = run_cli("--port", "0", "--db", ":memory:", "--admin-token-file", str(secret), env=clean_env(tmp_path))
    assert done.returncode == 2 and done.stdout == "", done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(secret) in lines[0] and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_admin_token_on_the_command_line_still_works_on_loopback_with_a_warning(tmp_path):
    with CliSandbox("--port", "0", "--db", ":memory:", "--admin-token", OWN_TOKEN, env=clean_env(tmp_path)) as box:
        assert admin_reset(box.base_url, OWN_TOKEN).status_code == 200
        assert "--admin-token is in the process list" in box.stderr and ENV_NAME in box.stderr, box.stderr


def test_the_decision_beyond_loopback():
    from zen_nb.sandbox.admin_token import AdminToken, new_admin_token
    from zen_nb.sandbox.exposure import refusal

    own = AdminToken(OWN_TOKEN, ENV_NAME)
    for loopback in ("127.0.0.1", "127.0.0.5", "localhost", "::1", "[::1]"):
        assert refusal(loopback, new_admin_token()) is None, loopback
        assert refusal(loopback, AdminToken("t", "--admin-token")) is None, loopback
    for beyond in ("0.0.0.0", "::", "", "192.168.1.5", "fd00::1", "trainer.local"):
        assert "generated admin token" in (refusal(beyond, new_admin_token()) or ""), beyond
        assert "process list" in (refusal(beyond, AdminToken(OWN_TOKEN, "--admin-token")) or ""), beyond
        assert "at least 16" in (refusal(beyond, AdminToken("abc", ENV_NAME)) or ""), beyond
        assert "demo token" in (refusal(beyond, AdminToken(DEMO_TOKEN, ENV_NAME)) or ""), beyond
        assert refusal(beyond, own) is None, beyond


def test_what_is_printed_when_it_may_listen_beyond_loopback():
    """A sandbox on 0.0.0.0 with the user's own token (not started: the text alone): what it says."""
    from zen_nb.sandbox.admin_token import AdminToken, new_admin_token
    from zen_nb.sandbox.command import startup_text
    from zen_nb.sandbox.hosts import allowed_hosts

    info = sandbox_pkg.Sandbox(None, "0.0.0.0", 8765, OWN_TOKEN)
    banner, warnings = startup_text(info, "database x", AdminToken(OWN_TOKEN, ENV_NAME), allowed_hosts("0.0.0.0"))
    assert OWN_TOKEN not in banner + "".join(warnings)
    assert f"Admin token: the one from {ENV_NAME} (not shown)" in banner
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning.startswith("warning: listening on 0.0.0.0, every network interface of this machine")
    for said in (DEMO_TOKEN, "tenant_demo", "port 8765", "/_sandbox/", "admin token", "POST /_sandbox/tenants"):
        assert said in warning, said
    assert "loopback" in warning and "--allow-host" in warning and "any IP address" in warning

    generated = new_admin_token()
    local = sandbox_pkg.Sandbox(None, "127.0.0.1", 8765, generated.value)
    banner, warnings = startup_text(local, "database x", generated, allowed_hosts("127.0.0.1"))
    assert f"Admin token: {generated.value}  (for" in banner and warnings == []  # loopback: as before


def test_settings_and_tokens_never_show_the_admin_token_in_a_repr():
    from zen_nb.sandbox.admin_token import AdminToken
    from zen_nb.sandbox.server import ServerSettings

    assert OWN_TOKEN not in repr(ServerSettings(admin_token=OWN_TOKEN))
    assert OWN_TOKEN not in repr(AdminToken(OWN_TOKEN, ENV_NAME))


def test_zen_nb_lab_takes_the_admin_token_from_the_environment_and_keeps_it_from_the_kernels():
    """``zen-nb lab`` serves its sandbox in its own process; JupyterLab (and so every kernel) gets
    the five ZEN_* values but not the admin token."""
    from zen_nb import lab

    environ = {**os.environ, ENV_NAME: OWN_TOKEN}
    admin = lab.admin_token(environ)
    assert admin == OWN_TOKEN
    box, base_url, _ = lab.start_sandbox(0, ":memory:", admin)
    try:
        assert admin_reset(base_url, OWN_TOKEN).status_code == 200
    finally:
        box.stop()
    child = lab.lab_environment(environ, {"ZEN_API_BASE": base_url})
    assert ENV_NAME not in child and child["ZEN_API_BASE"] == base_url
    assert lab.admin_token({}) is None
    with pytest.raises(lab.LabError, match=ENV_NAME):
        lab.admin_token({ENV_NAME: ""})
