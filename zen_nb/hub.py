"""A class on JupyterHub: each hub user's server starts with their trainee's five ``ZEN_*`` values.

In ``jupyterhub_config.py`` (``zen-nb class start --hub-config`` writes one)::

    from zen_nb.hub import configure_class
    configure_class(get_config(), "/srv/class/class-roster.csv")

The roster CSV that ``zen-nb class start`` writes beside its database holds each trainee's
tenant, token, plane, adapter, join code and the class's address. :func:`configure_class`

- lets the roster's trainees in: each logs in as the hub user of their name (lower case, spaces
  as dashes, apostrophes dropped: ``Ada Lovelace`` is ``ada-lovelace``) with their **join code
  as the password** (``login="join-code"``, the default), or by the hub's own login
  (``login="hub"``: GitHub, your organisation's, ...), the roster's names then being added to
  JupyterHub's ``Authenticator.allowed_users``;
- at every server start, reads the roster again and sets the server's environment to the values
  of the user's trainee: in the authenticator's own ``pre_spawn_start`` with the join-code login
  (so that ``Spawner.pre_spawn_hook`` stays the hub's), in a ``Spawner.pre_spawn_hook``
  (:class:`ClassSpawnHook`) with the hub's. So a new join code or a replaced token reaches the
  next server start without a hub restart;
- refuses a server, with a 403 whose message says why and what to do, to a hub user who is no
  trainee, and to a trainee whose join code the trainer revoked (``zen-nb class revoke``; a
  ``new-code`` lets them in again). The hub's admins and the ``trainers`` named start servers
  with the class's address only.

Why the join code as the password: on a hub, the login replaces the join code as the key to a
tenant, and a trainee's name is no secret (``trainee-07`` least of all). A hub that lets the
first comer choose a user's password (The Littlest JupyterHub's default) or takes any password
(the dummy login) would hand a tenant to whoever types its name first. The code is the secret
the trainer already hands each trainee, privately.

Why the hook and the environment, not ``user_options`` or ``auth_state``: JupyterHub hands a
spawn's environment to the server's process and stores it nowhere itself (``user_options`` are
stored in the hub's database, and ``auth_state`` needs an encryption key set up). It passes its
own ``JUPYTERHUB_API_TOKEN`` the same way. The hook logs who started as whom, never a token; a
refusal's message names no other trainee and no file's content.

A user matches a trainee when their hub name is exactly the trainee's hub name: two spellings
of one name are two people, and never share a tenant. Two trainees of one hub name are refused
(the hub does not start; the trainer renames one).

This module imports only the standard library (JupyterHub's own classes, and tornado's error,
when the hub uses them), and nothing of ``zen_nb``: a hub may load this file alone, without
installing the kit into the hub's environment (Zero to JupyterHub mounts it with
``hub.extraFiles``: see ``notebooks/training/README.md``).
"""

from __future__ import annotations

import csv
import functools
import hmac
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ClassSpawnHook",
    "HubTrainee",
    "LOGINS",
    "RosterError",
    "configure_class",
    "hub_username",
    "join_code_authenticator",
    "read_class_roster",
]

# The roster's columns that a hub reads (zen_nb/sandbox/roster_file.py writes them).
COLUMNS = ("trainee", "tenant_id", "token", "base_url", "join_code", "plane_id", "adapter_id")
REQUIRED = tuple(column for column in COLUMNS if column != "join_code")  # empty once revoked
# The ZEN_* variables (zen_nb/vocabulary.py), spelt here so that this file stands alone.
ENV_API_BASE, ENV_API_TOKEN = "ZEN_API_BASE", "ZEN_API_TOKEN"
ENV_TENANT_ID, ENV_PLANE_ID, ENV_ADAPTER_ID = "ZEN_TENANT_ID", "ZEN_PLANE_ID", "ZEN_ADAPTER_ID"
REFUSED_STATUS = 403
LOGINS = ("join-code", "hub")
RESTART_CLASS = (
    "start the class again with this version of zen_nb (zen-nb class start ... --db CLASS), which rewrites it"
)
NAME_RULE = "their name in lower case, spaces as dashes, apostrophes dropped (Ada Lovelace is ada-lovelace)"
LOGIN_ANNOUNCEMENT = (
    "A Zen Mesh class: your user name is your name as your trainer wrote it, in lower case with dashes for "
    "spaces (such as trainee-07 or ada-lovelace), and your password is your join code (such as K7QM-3XPD)."
)

# Join codes as zen_nb.joining reads them: Crockford's base32, dashes and spaces dropped, O as 0, I and L as 1.
_CODE_ALPHABET = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_CODE_LENGTH = 8
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SPACES = re.compile(r"\s+")
# A child of JupyterHub's own logger, so that its handlers, format and level apply (a hook logs with spawner.log).
log = logging.getLogger("JupyterHub.zen_nb")


class RosterError(ValueError):
    """The roster cannot give a trainee's values: its message names the file and the fix, never a token."""


@dataclass(frozen=True)
class HubTrainee:
    """One roster row as a hub needs it: who, the five ``ZEN_*`` values, the join code (secrets never in a repr)."""

    trainee: str
    tenant_id: str
    api_base: str
    plane_id: str
    adapter_id: str
    token: str = field(repr=False)
    join_code: str = field(repr=False)  # "" once the trainer revoked it

    @property
    def hub_user(self) -> str:
        return hub_username(self.trainee)

    @property
    def revoked(self) -> bool:
        return not self.join_code

    def environment(self) -> dict[str, str]:
        """The trainee's ``ZEN_*`` variables, as ``zen_nb.join`` sets them."""
        return {
            ENV_API_BASE: self.api_base,
            ENV_API_TOKEN: self.token,
            ENV_TENANT_ID: self.tenant_id,
            ENV_PLANE_ID: self.plane_id,
            ENV_ADAPTER_ID: self.adapter_id,
        }

    def code_matches(self, typed: object) -> bool:
        """Whether ``typed`` is this trainee's join code, as a join reads it (constant time; never when revoked)."""
        given, own = code_symbols(typed), code_symbols(self.join_code)
        return given is not None and own is not None and hmac.compare_digest(given, own)


def hub_username(name: str) -> str:
    """The hub user of a trainee's name: lower case, spaces as dashes, apostrophes dropped.

    ``"Ada Lovelace"`` -> ``ada-lovelace``, ``"O'Brien"`` -> ``obrien``, ``"trainee-07"`` as it is,
    ``"ada.lovelace"`` as it is (a hub's own user names match themselves).
    """
    folded = name.strip().lower().replace("'", "").replace("\u2019", "")
    return _SPACES.sub("-", folded)


def code_symbols(text: object) -> str | None:
    """The 8 symbols of a join code as typed (case, dashes, spaces and look-alikes forgiven), or None."""
    if not isinstance(text, str):
        return None
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(cleaned) == _CODE_LENGTH and all(symbol in _CODE_ALPHABET for symbol in cleaned):
        return cleaned
    return None


@dataclass(frozen=True)
class ClassRoster:
    """The roster's trainees by hub user name, and the names two trainees would share (refused, never guessed)."""

    path: Path
    trainees: Mapping[str, HubTrainee]
    ambiguous: Mapping[str, tuple[str, ...]]
    api_base: str

    def find(self, user_name: str) -> HubTrainee | None:
        """The trainee whose hub name is exactly ``user_name`` (as the hub has it), or None."""
        return self.trainees.get(user_name)


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
        empty = [column for column in REQUIRED if not values[column]]
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
            join_code=values["join_code"],
        )
        found.setdefault(trainee.hub_user, []).append(trainee)
    return ClassRoster(
        path=path,
        trainees={user: rows[0] for user, rows in found.items() if len(rows) == 1},
        ambiguous={user: tuple(row.trainee for row in rows) for user, rows in found.items() if len(rows) > 1},
        api_base=records[0]["base_url"].strip() if records else "",
    )


@functools.cache
def _refusal_class() -> type:
    """The refusal JupyterHub shows the user as it is, on the page a browser opens and from the REST API.

    An HTTPError (tornado's, which comes with JupyterHub; imported at the first refusal, so that
    this file stands alone): its status and message are what the REST API answers. The page shows
    its ``jupyterhub_message`` on JupyterHub 6; JupyterHub 5 labels every failed start
    ``reason = "error"`` and shows "Failed to start your server" instead, so the label is not kept.
    """
    from tornado.web import HTTPError

    class NotATraineeError(HTTPError):
        def __init__(self, status: int, message: str) -> None:
            super().__init__(status, message)
            self.jupyterhub_message = message

        @property
        def reason(self) -> None:  # type: ignore[override]
            return None

        @reason.setter
        def reason(self, _label: object) -> None:
            pass

    return NotATraineeError


def _refuse(message: str, status: int = REFUSED_STATUS) -> Exception:
    """A refusal with this message for the user to read (see :func:`_refusal_class`)."""
    return _refusal_class()(status, message)  # type: ignore[no-any-return]


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
        self.start_as_trainee(spawner)

    def start_as_trainee(self, spawner: Any) -> None:
        """Set the spawner's environment to its user's trainee's values, or raise the refusal to show them."""
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
        if trainee is not None and not trainee.revoked:
            spawner.environment = {**spawner.environment, **trainee.environment()}
            spawner.log.info(
                "zen_nb.hub: %s starts as trainee %r, tenant %s", user.name, trainee.trainee, trainee.tenant_id
            )
            return
        if trainee is None and (user.name in self.trainers or getattr(user, "admin", False)):
            spawner.environment = {**spawner.environment, ENV_API_BASE: roster.api_base}
            spawner.log.info("zen_nb.hub: %s starts as a trainer (no trainee's values)", user.name)
            return
        why = "whose join code was revoked" if trainee is not None else "not on the class roster"
        spawner.log.warning("zen_nb.hub: %s is %s %s: no server", user.name, why, self.roster)
        raise _refuse(_refusal(user.name, roster, trainee))


def _refusal(user_name: str, roster: ClassRoster, trainee: HubTrainee | None) -> str:
    """Why this hub user gets no server, for them to read (no other trainee's name or value)."""
    if trainee is not None:
        return (
            f"The join code of {user_name} was revoked by the trainer, so no server starts: ask your trainer "
            "for a new code (zen-nb class new-code), then log in again with it."
        )
    if user_name in roster.ambiguous:
        return (
            f"{user_name} is the hub name of {len(roster.ambiguous[user_name])} trainees of the class roster, so "
            "it is not known which one you are: ask your trainer to rename one of them in the roster."
        )
    return (
        f"{user_name} is not a trainee of this class, so no server starts: log out and log in with the name "
        f"your trainer gave you ({NAME_RULE}), or ask your trainer to add you to the roster."
    )


LOGIN_GUESSES = 10  # wrong codes a trainee may type in a minute, as the class's own join allows an address


class LoginGuesses:
    """Wrong join codes per trainee in fixed windows: past :data:`LOGIN_GUESSES` in one, every login is refused.

    As the class's own join (10 wrong codes a minute), counted per trainee rather than per address:
    a room often shares one address, and then one trainee's typos would lock everyone out. Only
    the roster's names are counted, so memory stays bounded.
    """

    def __init__(self, limit: int = LOGIN_GUESSES, window_seconds: float = 60.0, clock: Any = None) -> None:
        self.limit, self.window = limit, window_seconds
        self.clock = clock or time.monotonic
        self._counts: dict[str, tuple[float, int]] = {}

    def _current(self, name: str) -> tuple[float, int]:
        now = self.clock()
        start, count = self._counts.get(name, (now, 0))
        return (now, 0) if now - start >= self.window else (start, count)

    def wait_seconds(self, name: str) -> float:
        """0 when ``name`` may try a code now; else how long until its window ends."""
        start, count = self._current(name)
        return 0.0 if count < self.limit else max(0.0, self.window - (self.clock() - start))

    def failed(self, name: str) -> None:
        start, count = self._current(name)
        self._counts[name] = (start, count + 1)


def join_code_authenticator(
    roster: str | Path, trainers: Iterable[str] = (), guesses: LoginGuesses | None = None
) -> type:
    """A JupyterHub ``Authenticator`` class: a trainee of ``roster`` logs in with their hub name and join code.

    Built when called (so that this module imports no JupyterHub of its own). The roster is read
    at each login and server start: a ``new-code`` works at once, a revoked code no longer does,
    and a trainee added to the class logs in without a hub restart (``check_allowed`` is the
    roster). A wrong name or code is JupyterHub's own "Invalid username or password", which says
    nothing of which it was; past 10 wrong codes in a minute for one trainee, a 429 says how long
    to wait. The trainee's values are given to their server in ``pre_spawn_start``, the
    authenticator's own hook, so that ``Spawner.pre_spawn_hook`` stays the hub's.
    """
    from jupyterhub.auth import Authenticator

    path = Path(roster)
    hook = ClassSpawnHook(path, trainers)
    counted = guesses or LoginGuesses(LOGIN_GUESSES)

    class ClassJoinCodeAuthenticator(Authenticator):  # type: ignore[misc, valid-type]
        """A class's trainees: their hub name, and their join code as the password (``zen_nb.hub``)."""

        roster = path

        def _trainee(self, name: str) -> HubTrainee | None:
            try:
                return read_class_roster(path).find(name)
            except RosterError as error:
                self.log.error("zen_nb.hub: %s", error)
                return None

        async def authenticate(self, handler: Any, data: Mapping[str, Any]) -> str | None:
            name = self.normalize_username(str(data.get("username") or ""))
            trainee = self._trainee(name)
            shown = "a name that is a join code" if code_symbols(name) else repr(name)  # a code in the wrong field
            if trainee is None:
                self.log.warning("zen_nb.hub: a login as %s, who is no trainee of the class", shown)
                return None
            wait = counted.wait_seconds(name)
            if wait:
                raise _refuse(
                    f"Too many wrong join codes for {name}: wait {math.ceil(wait)} seconds, then type your code "
                    "again, carefully (O and 0 count as the same, and so do I, L and 1).",
                    status=429,
                )
            if not trainee.code_matches(data.get("password")):
                counted.failed(name)
                self.log.warning("zen_nb.hub: a login as %s with a wrong or revoked join code", shown)
                return None
            return name

        async def check_allowed(self, username: str, authentication: Any = None) -> bool:
            trainee = self._trainee(username)
            if trainee is not None and not trainee.revoked:
                return True
            return bool(await _maybe_await(super().check_allowed(username, authentication)))

        async def pre_spawn_start(self, user: Any, spawner: Any) -> None:
            await _maybe_await(super().pre_spawn_start(user, spawner))
            hook.start_as_trainee(spawner)

    return ClassJoinCodeAuthenticator


async def _maybe_await(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


def _merge_names(section: Any, names: set[str]) -> None:
    """Add ``names`` to a config section's ``allowed_users``, keeping what it (or a config loading this one) has.

    Through ``load_subconfig`` (The Littlest JupyterHub's ``jupyterhub_config.d``) a section starts
    empty, and a plain assignment would replace the main file's set when the two merge; traitlets'
    lazy ``update`` adds to it instead.
    """
    current = section.allowed_users
    if isinstance(current, list | tuple | frozenset):
        section.allowed_users = set(current) | names
    else:
        current.update(names)  # a set of this file, or traitlets' LazyConfigValue


def _install_hook(config: Any, path: Path, trainers: list[str]) -> None:
    """The hook on ``Spawner``, and on each spawner class that sets a hook of its own (which would win over it).

    A hook already there is kept and called first; a class's hook of an earlier call is replaced.
    """
    own = [key for key in config.keys() if key.endswith("Spawner") and key != "Spawner"]
    for name in ["Spawner", *[key for key in own if "pre_spawn_hook" in config[key]]]:
        section = config[name]
        previous = section.pre_spawn_hook if "pre_spawn_hook" in section else None
        if isinstance(previous, ClassSpawnHook):
            previous = previous.previous
        section.pre_spawn_hook = ClassSpawnHook(path, trainers, previous)


def _check_pattern(config: Any, read: ClassRoster) -> None:
    """A hub's ``username_pattern`` that a trainee's hub name does not match would refuse them without a word."""
    if "username_pattern" not in config.Authenticator:
        return
    pattern = str(config.Authenticator.username_pattern)
    if not pattern:
        return
    refused = [trainee.trainee for user, trainee in read.trainees.items() if not re.match(pattern, user)]
    if refused:
        raise RosterError(
            f"the hub's Authenticator.username_pattern {pattern!r} refuses the hub names of "
            f"{', '.join(map(repr, refused))} of the class roster {read.path}; rename them in the roster, or widen it"
        )


def configure_class(
    config: Any, roster: str | Path, *, login: str = "join-code", trainers: Iterable[str] = ()
) -> ClassRoster:
    """Make the hub of ``config`` (``get_config()``, or ``c``) a class: see the module's docstring.

    ``login``:

    - ``"join-code"``: trainees log in with their hub name and join code (:func:`join_code_authenticator`),
      and nobody else logs in by the hub's page (the hub's admins, and ``trainers``, start servers
      through its API only). The trainee's values reach the server through the authenticator's
      ``pre_spawn_start``: the hub's own ``Spawner.pre_spawn_hook`` is left alone.
    - ``"hub"``: the hub's own login; the roster's names (and ``trainers``) are added to its
      ``allowed_users``, and a ``Spawner.pre_spawn_hook`` gives the values (a hook set before this
      call in the same file, or on a spawner class of the same file, is kept and called first).
      Loaded with ``load_subconfig`` (The Littlest JupyterHub's ``jupyterhub_config.d``), the names
      add to the main file's ``allowed_users`` when it is a set, but a hook of the main file, or a
      spawner class's or authenticator class's own setting there, is not seen: it wins. Configure
      the class in the hub's main file then.

    The roster is read once now, so that a hub never starts on a roster it cannot use
    (:class:`RosterError`, naming the file and the fix), then at every login and server start.
    Returns what was read.
    """
    if login not in LOGINS:
        raise ValueError(f"login must be one of {', '.join(map(repr, LOGINS))}, not {login!r}")
    path = Path(roster).expanduser().resolve()
    read = read_class_roster(path)
    if read.ambiguous:
        shown = "; ".join(f"{' and '.join(map(repr, names))} are both {user}" for user, names in read.ambiguous.items())
        raise RosterError(f"two trainees of the class roster {path} would be one hub user: {shown}; rename one")
    trainer_names = [hub_username(name) for name in trainers]
    _check_pattern(config, read)
    if login == "hub":
        _install_hook(config, path, trainer_names)
    names = set(read.trainees) | set(trainer_names)
    for section in [key for key in config.keys() if key.endswith("Authenticator") and key != "Authenticator"]:
        if "allowed_users" in config[section]:
            _merge_names(config[section], names)  # a class's own set wins over Authenticator's: it must hold them
    _merge_names(config.Authenticator, names)
    if login == "join-code":
        config.JupyterHub.authenticator_class = join_code_authenticator(path, trainer_names)
        config.JupyterHub.template_vars.update({"announcement_login": LOGIN_ANNOUNCEMENT})
    log.info("zen_nb.hub: a class of %d trainees from %s, login by %s", len(read.trainees), path, login)
    return read
