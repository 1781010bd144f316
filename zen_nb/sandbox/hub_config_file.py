"""``zen-nb class start --hub-config``: the ``jupyterhub_config.py`` that makes a hub's users the class's trainees.

The file holds no token: only the roster's absolute path and a call of ``zen_nb.hub.configure_class``,
which reads the roster at the hub's start and at every login and server start. So it stays right
while the class changes: new trainees, codes, revokes and tokens reach the next login and server
start.

A file that is there already is replaced only when this command wrote it (its first line says
so): a trainer's own ``jupyterhub_config.py`` is never overwritten. The path is decided, and
refused, before the class binds its port, as every other refusal of ``zen-nb class start`` is.
"""

from __future__ import annotations

import os
from pathlib import Path

from .class_admin import ClassCommandError
from .roster_file import replace_whole

FIRST_LINE = "# JupyterHub configuration for a Zen Mesh class: written by `zen-nb class start --hub-config`."
PUBLIC_MODE = 0o644  # no secret in it; the hub (often another user, root on TLJH) must read it


def hub_config_path(given: str | None, roster: Path) -> Path | None:
    """Where ``--hub-config`` writes (None without the flag): FILE, or ``<stem>-jupyterhub_config.py`` by the roster.

    :class:`ClassCommandError` for a path that is a folder, or a file this command did not write.
    """
    if given is None:
        return None
    default_name = roster.name.replace("-roster.csv", "-jupyterhub_config.py")
    path = Path(given).expanduser() if given.strip() else roster.with_name(default_name)
    if path.is_dir():
        raise ClassCommandError(
            f"--hub-config {path} is a folder; pass the config file's name, e.g. {path / default_name}"
        )
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ClassCommandError(
            f"--hub-config {path}: its folder {folder} {'is not writable' if folder.is_dir() else 'does not exist'}; "
            "pass a file in a folder you can write, or make that folder first"
        )
    if path.exists() and not _written_here(path):
        raise ClassCommandError(
            f"--hub-config {path} exists and was not written by zen-nb class start, so it is left as it is; "
            f"pass another name, e.g. --hub-config {path.parent / default_name}, and load that file from yours "
            "with load_subconfig(...)"
        )
    return path


def _written_here(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as file:
            return file.readline().rstrip("\n") == FIRST_LINE
    except (OSError, UnicodeDecodeError):
        return False


def render(roster: Path, db: Path) -> str:
    """The config's text: what it does, where each kind of hub takes it, and the call."""
    return f"""{FIRST_LINE}
# Its class: {db.resolve()}. It holds no token: the roster below does, and is read at each login and server start.
#
# Each trainee of the roster logs in as the hub user of their name (lower case, spaces as dashes,
# apostrophes dropped: "Ada Lovelace" is ada-lovelace; numbered trainees are trainee-01 ...) with their
# join code as the password, and their server starts with that trainee's ZEN_API_BASE, ZEN_API_TOKEN,
# ZEN_TENANT_ID, ZEN_PLANE_ID and ZEN_ADAPTER_ID. A revoked code no longer logs in nor starts a server;
# `zen-nb class new-code` lets the trainee in again. Nobody else logs in by the hub's page. Take this
# file out of the hub before you delete the class's folder: a hub whose roster is gone does not start.
# To keep the hub's own login instead (GitHub, your organisation's; name the trainees as the hub knows
# them), write in a config of your own: configure_class(c, ROSTER, login="hub"). Each start of the
# class rewrites this file.
#
# The Littlest JupyterHub: sudo cp THIS-FILE /opt/tljh/config/jupyterhub_config.d/zen-class.py
#                          && sudo tljh-config reload hub
# Another hub: load_subconfig("THIS-FILE") in its jupyterhub_config.py, or jupyterhub -f THIS-FILE.
# The hub's Python needs zen_nb (pip install zen_nb). Zero to JupyterHub: see
# notebooks/training/README.md in the zen_nb sources.

from zen_nb.hub import configure_class

configure_class(
    get_config(),  # noqa: F821 (JupyterHub's configuration, which JupyterHub defines for this file)
    roster={str(roster.resolve())!r},
)
"""


def write_hub_config(path: Path, roster: Path, db: Path) -> None:
    """Write the config at ``path`` in one step, as the roster is written (``roster_file.replace_whole``).

    :class:`ClassCommandError` (exit 1) when its folder cannot be written.
    """
    try:
        replace_whole(path, render(roster, db).encode("utf-8"), PUBLIC_MODE)
    except OSError as error:
        raise ClassCommandError(
            f"cannot write the hub config {path}: {error.strerror or error}; make its folder writable", exit_code=1
        ) from None
