"""``zen-nb class start --hub-config``: the JupyterHub config it writes, and the files it will not overwrite.

The config is run here as JupyterHub runs a config file (``get_config()`` in its namespace), on
traitlets' own ``Config``; the real hub loads it in ``test_class_on_jupyterhub.py``. Refusals
come before anything is bound or written, as every refusal of ``zen-nb class start`` does: the
test holds the port, so a command that bound it would fail with exit 1 instead.
"""

from __future__ import annotations

import csv
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from traitlets.config import Config

from zen_nb.sandbox.hub_config_file import FIRST_LINE

from processes import CliClass, clean_env


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


def start(*args: str, env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "zen_nb.cli", "class", "start", "--port", str(port), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def run_config(path: Path) -> Config:
    """The file run as JupyterHub runs a config: its ``get_config()`` is the hub's configuration."""
    config = Config()
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), {"get_config": lambda: config})
    return config


def test_the_config_beside_the_roster_lets_the_trainees_in_and_holds_no_token(tmp_path: Path) -> None:
    db = tmp_path / "room.sqlite3"
    env = clean_env(tmp_path)
    with CliClass("--trainees", "2", "--port", "0", "--db", str(db), "--hub-config", env=env) as cls:
        path = tmp_path / "room-jupyterhub_config.py"
        assert f"Hub config:  {path}" in cls.stdout
        assert "each trainee logs in as their name in lower case" in cls.stdout
        assert cls.interrupt() == 0, cls.stderr
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == FIRST_LINE
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # the hub, another user, reads it; nothing in it is secret
    with (tmp_path / "room-roster.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        assert row["token"] not in text and row["join_code"] not in text
    config = run_config(path)
    assert config.Authenticator.allowed_users.get_value(set()) == {"trainee-01", "trainee-02"}
    authenticator = config.JupyterHub.authenticator_class
    assert authenticator.__name__ == "ClassJoinCodeAuthenticator"
    assert authenticator.roster == (tmp_path / "room-roster.csv").resolve()
    assert not list(tmp_path.glob(".*.tmp"))  # written in one step, nothing left beside it


def test_a_file_of_its_own_is_rewritten_at_the_next_start_to_the_path_given(tmp_path: Path) -> None:
    db = tmp_path / "room.sqlite3"
    env = clean_env(tmp_path)
    target = tmp_path / "hub" / "zen-class.py"
    target.parent.mkdir()
    for trainees in ("1", "3"):
        with CliClass("--trainees", trainees, "--port", "0", "--db", str(db), "--hub-config", str(target), env=env):
            pass
        allowed = run_config(target).Authenticator.allowed_users.get_value(set())
        assert allowed == {f"trainee-0{n}" for n in range(1, int(trainees) + 1)}
    assert not (tmp_path / "room-jupyterhub_config.py").exists()


def test_a_trainer_s_own_config_or_a_folder_is_refused_before_anything_is_bound(tmp_path: Path, held_port: int) -> None:
    env = clean_env(tmp_path)
    db = tmp_path / "room.sqlite3"
    own = tmp_path / "jupyterhub_config.py"
    own.write_text("c = get_config()\nc.JupyterHub.port = 8000\n", encoding="utf-8")
    done = start("--trainees", "2", "--db", str(db), "--hub-config", str(own), env=env, port=held_port)
    assert done.returncode == 2, (done.stdout, done.stderr)
    line = done.stderr.strip()
    assert line.startswith(f"zen-nb class start: --hub-config {own} exists and was not written by zen-nb"), line
    assert f"--hub-config {tmp_path / 'room-jupyterhub_config.py'}" in line and "load_subconfig" in line
    assert own.read_text(encoding="utf-8") == "c = get_config()\nc.JupyterHub.port = 8000\n"
    assert not db.exists() and not (tmp_path / "room-roster.csv").exists()

    done = start("--trainees", "2", "--db", str(db), "--hub-config", str(tmp_path), env=env, port=held_port)
    assert done.returncode == 2 and "is a folder; pass the config file's name" in done.stderr, done.stderr
    assert not db.exists()
    nowhere = tmp_path / "no-such-folder" / "zen-class.py"
    done = start("--trainees", "2", "--db", str(db), "--hub-config", str(nowhere), env=env, port=held_port)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"its folder {nowhere.parent} does not exist" in done.stderr, done.stderr
    assert not db.exists() and not (tmp_path / "room-roster.csv").exists()
