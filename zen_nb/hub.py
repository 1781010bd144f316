"""A class on JupyterHub: each hub user's server starts with their trainee's five ``ZEN_*`` values.

In ``jupyterhub_config.py`` (``zen-nb class start --hub-config`` writes one)::

    from zen_nb.hub import configure_class
    configure_class(get_config(), "/srv/class/class-roster.csv")

The roster CSV that ``zen-nb class start`` writes beside its database holds each trainee's
tenant, token, plane, adapter and the class's address. :func:`configure_class` lets the roster's
trainees log in (JupyterHub's own ``Authenticator.allowed_users``) and installs a
``Spawner.pre_spawn_hook`` that, at every server start, reads the roster again and sets the
server's environment to the values of the user's trainee. So a new join code or a revoked token
reaches the next server start without a hub restart, and no trainee has a step to take.

Why the hook and the environment, not ``user_options`` or ``auth_state``: the environment of a
spawn is handed to the server's process and kept nowhere else by JupyterHub (``user_options`` are
stored in the hub's database, and ``auth_state`` needs an encryption key set up). JupyterHub
passes its own ``JUPYTERHUB_API_TOKEN`` the same way. The hook logs who started as whom, never a
token; a refusal's message names the roster's file, never its content.

Users are matched to trainees by name: a trainee ``Ada Lovelace`` logs in as the hub user
``ada-lovelace`` (lower case; spaces, dots and underscores as one dash; apostrophes dropped), the
name let in. A server start compares names the same way, so that a hub whose users come from
elsewhere (an OAuth login of ``ada.lovelace``, let in by the hub's own rules) matches them too. A
hub user who is no trainee is refused a server with a 403 whose message says so and what to do;
the hub's admins and the ``trainers`` named start servers without a trainee's values.

This module imports only the standard library (tornado, for the refusal, comes with every
JupyterHub), and nothing of ``zen_nb``: a hub may load this file alone, without installing the
kit into the hub's environment (Zero to JupyterHub mounts it with ``hub.extraFiles``: see
``notebooks/training/README.md``).
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ClassSpawnHook",
    "HubTrainee",
    "RosterError",
    "configure_class",
    "hub_username",
    "read_class_roster",
]

# The roster's columns that make a trainee's environment (zen_nb/sandbox/roster_file.py writes them).
COLUMNS = ("trainee", "tenant_id", "token", "base_url", "plane_id", "adapter_id")
# The ZEN_* variables (zen_nb/vocabulary.py), spelt here so that this file stands alone.
ENV_API_BASE, ENV_API_TOKEN = "ZEN_API_BASE", "ZEN_API_TOKEN"
ENV_TENANT_ID, ENV_PLANE_ID, ENV_ADAPTER_ID = "ZEN_TENANT_ID", "ZEN_PLANE_ID", "ZEN_ADAPTER_ID"
REFUSED_STATUS = 403
RESTART_CLASS = (
    "start the class again with this version of zen_nb (zen-nb class start ... --db CLASS), which rewrites it"
)

_SEPARATORS = re.compile(r"[\s._-]+")
# A child of JupyterHub's own logger, so that its handlers, format and level apply (a hook logs with spawner.log).
log = logging.getLogger("JupyterHub.zen_nb")


class RosterError(ValueError):
    """The roster cannot give a trainee's values: its message names the file and the fix, never a token."""


@dataclass(frozen=True)
class HubTrainee:
    """One roster row as a hub needs it: who, and the five ``ZEN_*`` values (the token never in a repr)."""

    trainee: str
    tenant_id: str
    api_base: str
    plane_id: str
    adapter_id: str
    token: str = field(repr=False)

    @property
    def hub_user(self) -> str:
        return hub_username(self.trainee)

    def environment(self) -> dict[str, str]:
        """The trainee's ``ZEN_*`` variables, as ``zen_nb.join`` sets them."""
        return {
            ENV_API_BASE: self.api_base,
            ENV_API_TOKEN: self.token,
            ENV_TENANT_ID: self.tenant_id,
            ENV_PLANE_ID: self.plane_id,
            ENV_ADAPTER_ID: self.adapter_id,
        }


def hub_username(name: str) -> str:
    """The hub user a trainee's name is: ``"Ada Lovelace"`` -> ``ada-lovelace``, ``"O'Brien"`` -> ``obrien``.

    Also what a hub user's own name is compared as, so that any spelling of the same name matches.
    """
    folded = name.strip().lower().replace("'", "").replace("\u2019", "")
    return _SEPARATORS.sub("-", folded).strip("-")


@dataclass(frozen=True)
class ClassRoster:
    """The roster's trainees by hub user name, and the names two trainees would share (refused, never guessed)."""

    path: Path
    trainees: Mapping[str, HubTrainee]
    ambiguous: Mapping[str, tuple[str, ...]]
    api_base: str

    def find(self, user_name: str) -> HubTrainee | None:
        return self.trainees.get(hub_username(user_name))


def read_class_roster(path: str | Path) -> ClassRoster:
    """Read the roster CSV at ``path``; :class:`RosterError` for a file that cannot give every trainee's values."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise RosterError(
                    f"the class roster {path} has no {', '.join(missing)} column: it was written by an older "
                    f"zen_nb or is no roster; {RESTART_CLASS}"
                )
            records = list(reader)
    except OSError as error:
        raise RosterError(
            f"cannot read the class roster {path}: {error.strerror or error}; check the path given to "
            "configure_class and that the hub's user may read it (it is the trainer's, mode 0600)"
        ) from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"the class roster {path} is not a roster CSV ({error}); {RESTART_CLASS}") from None

    found: dict[str, list[HubTrainee]] = {}
    for line, record in enumerate(records, start=2):
        values = {column: (record.get(column) or "").strip() for column in COLUMNS}
        empty = [column for column in COLUMNS if not values[column]]
        if empty:
            raise RosterError(
                f"line {line} of the class roster {path} has no {', '.join(empty)}; {RESTART_CLASS} "
                "(with --base-url, the address the users' servers reach the class at, if it is not this machine)"
            )
        trainee = HubTrainee(
            trainee=values["trainee"],
            tenant_id=values["tenant_id"],
            api_base=values["base_url"],
            plane_id=values["plane_id"],
            adapter_id=values["adapter_id"],
            token=values["token"],
        )
        found.setdefault(trainee.hub_user, []).append(trainee)
    return ClassRoster(
        path=path,
        trainees={user: rows[0] for user, rows in found.items() if len(rows) == 1},
        ambiguous={user: tuple(row.trainee for row in rows) for user, rows in found.items() if len(rows) > 1},
        api_base=records[0]["base_url"].strip() if records else "",
    )


def _refuse(message: str) -> Exception:
    """The refusal JupyterHub shows the user as it is, on the page a browser opens and from the REST API.

    An HTTPError (tornado's, which comes with JupyterHub; imported here, so that this file stands
    alone): its status and message are what the REST API answers. The page shows its
    ``jupyterhub_message`` on JupyterHub 6; JupyterHub 5 labels every failed start
    ``reason = "error"`` and shows "Failed to start your server" instead, so the label is not kept.
    """
    from tornado.web import HTTPError

    class NotATraineeError(HTTPError):
        jupyterhub_message = message

        @property
        def reason(self) -> None:  # type: ignore[override]
            return None

        @reason.setter
        def reason(self, _label: object) -> None:
            pass

    return NotATraineeError(REFUSED_STATUS, message)


class ClassSpawnHook:
    """``Spawner.pre_spawn_hook``: give the server its trainee's ``ZEN_*`` values, or refuse it.

    ``trainers`` (hub user names) and the hub's admins start servers with the class's address
    only (``ZEN_API_BASE``), to watch the class with their admin token. A hook the hub had before
    is called first (``previous``), so that this one adds to a hub's setup rather than replacing it.
    """

    def __init__(self, roster: str | Path, trainers: Iterable[str] = (), previous: Any = None) -> None:
        self.roster = Path(roster)
        self.trainers = frozenset(hub_username(name) for name in trainers)
        self.previous = previous

    async def __call__(self, spawner: Any) -> None:
        if self.previous is not None:
            outcome = self.previous(spawner)
            if hasattr(outcome, "__await__"):
                await outcome
        user = spawner.user
        try:
            roster = read_class_roster(self.roster)
        except RosterError as error:
            spawner.log.error("zen_nb.hub: %s", error)
            raise _refuse(
                f"The class roster cannot be read, so no server starts for {user.name}: tell your trainer "
                "(the hub's log says why)."
            ) from None
        trainee = roster.find(user.name)
        if trainee is not None:
            spawner.environment = {**spawner.environment, **trainee.environment()}
            spawner.log.info(
                "zen_nb.hub: %s starts as trainee %r, tenant %s", user.name, trainee.trainee, trainee.tenant_id
            )
            return
        if hub_username(user.name) in self.trainers or getattr(user, "admin", False):
            spawner.environment = {**spawner.environment, ENV_API_BASE: roster.api_base}
            spawner.log.info("zen_nb.hub: %s starts as a trainer (no trainee's values)", user.name)
            return
        spawner.log.warning("zen_nb.hub: %s is not on the class roster %s: no server", user.name, self.roster)
        raise _refuse(_not_a_trainee(user.name, roster))


def _not_a_trainee(user_name: str, roster: ClassRoster) -> str:
    """Why this hub user gets no server, for them to read (no other trainee's name or value)."""
    shared = roster.ambiguous.get(hub_username(user_name))
    if shared:
        return (
            f"{user_name} is the hub name of {len(shared)} trainees of the class roster, so it is not known which "
            "one you are: ask your trainer to rename one of them in the roster."
        )
    return (
        f"{user_name} is not a trainee of this class, so no server starts: log out and log in with the name "
        "your trainer gave you (as it is on the roster, in lower case with dashes for spaces: Ada Lovelace "
        "is ada-lovelace), or ask your trainer to add you to the roster."
    )


def configure_class(config: Any, roster: str | Path, *, trainers: Iterable[str] = ()) -> ClassRoster:
    """Make the hub of ``config`` (``get_config()``) a class: see the module's docstring.

    The roster is read once now, so that a hub never starts on a roster it cannot use
    (:class:`RosterError`, naming the file and the fix), then again at every server start.
    Returns what was read, for a config that wants to log or check it.
    """
    path = Path(roster).expanduser().resolve()
    read = read_class_roster(path)
    if read.ambiguous:
        shown = "; ".join(f"{' and '.join(map(repr, names))} are both {user}" for user, names in read.ambiguous.items())
        raise RosterError(f"two trainees of the class roster {path} would be one hub user: {shown}; rename one")
    trainer_names = [hub_username(name) for name in trainers]
    spawner, authenticator = config.Spawner, config.Authenticator
    previous = spawner.pre_spawn_hook if "pre_spawn_hook" in spawner else None
    spawner.pre_spawn_hook = ClassSpawnHook(path, trainer_names, previous)
    allowed = set(authenticator.allowed_users) if "allowed_users" in authenticator else set()
    authenticator.allowed_users = allowed | set(read.trainees) | set(trainer_names)
    log.info("zen_nb.hub: a class of %d trainees from %s", len(read.trainees), path)
    return read
