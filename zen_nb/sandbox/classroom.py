"""The operations of a training class, on a :class:`Store`: what the routes and ``zen-nb class`` share.

Each function is one transaction on the database and keeps nothing in memory, so the CLI can run
them on the class's database file from another process while the class sandbox serves it (WAL:
the server sees each change on its next read). They raise the data layer's ``NotFound("trainee",
name)`` for an unknown trainee, a ValueError whose message names the fix for a bad name, and
:class:`JoinRefused` for a join that fails. Stdlib only (no server modules), for the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exercise_catalog import names as exercise_names
from .data import Store
from .data import classroom as data
from .data.classroom import StatusRow, Trainee, TraineeProgress
from .join_codes import CODE_RULE, format_code, normalise_code
from .seed import DEMO_ADAPTER_ID, DEMO_PLANE_ID
from .trainee_names import check_name, numbered_names

__all__ = [
    "MAX_TRAINEES",
    "ClassFull",
    "JoinRefused",
    "Trainee",
    "enroll",
    "find",
    "format_code",
    "has_class",
    "join",
    "joined_json",
    "new_code",
    "normalise_code",
    "numbered_names",
    "progress",
    "read_roster_file",
    "reset",
    "revoke",
    "roster",
]

# One sandbox serves the class: 30 is the room the issue plans for; this is far above it, and keeps
# a flood of POST /_sandbox/class/trainees from filling the disk.
MAX_TRAINEES = 500


class JoinRefused(Exception):
    """A join that failed: the HTTP status and error code it answers, and a message with the fix.

    The message never holds the code that was sent.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ClassFull(ValueError):
    """Adding these trainees would take the class past :data:`MAX_TRAINEES`."""


def has_class(store: Store) -> bool:
    """Whether the database holds a class (at least one trainee)."""
    with store.snapshot() as db:
        return data.count_trainees(db) > 0


def roster(store: Store) -> list[Trainee]:
    """Every trainee, in roster order (with tokens and codes: for the roster CSV, never for a screen)."""
    with store.snapshot() as db:
        return data.list_trainees(db)


def find(store: Store, name: str) -> Trainee:
    """The trainee of this name (regardless of case); ``NotFound("trainee", name)`` otherwise."""
    with store.snapshot() as db:
        return data.require_trainee(db, name)


def read_roster_file(path: str | Path) -> list[str]:
    """The names of a roster file: one a line; blank lines and ``#`` comments skipped.

    Each name is checked, and a name given twice (regardless of case) is refused with both line
    numbers: a ValueError naming the file, the line and the fix.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM from a spreadsheet's export is not a name
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text; save the roster as UTF-8, one name a line") from None
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        try:
            check_name(name)
        except ValueError as error:
            raise ValueError(f"{path}, line {number}: {error}") from None
        first = seen.setdefault(name.lower(), number)
        if first != number:
            raise ValueError(
                f"{path}, line {number}: {name!r} is already on line {first} "
                "(names are unique regardless of case); remove one or tell them apart"
            )
        names.append(name)
    return names


def enroll(store: Store, names: Sequence[str]) -> list[Trainee]:
    """Add the trainees not in the class yet (each a seeded tenant, a token, a join code); return them.

    Names already in the class (regardless of case), or twice in ``names``, are added once. A bad
    name is a ValueError and then nobody is added; so is a class past :data:`MAX_TRAINEES`
    (:class:`ClassFull`).
    """
    for name in names:
        check_name(name)
    with store.transaction() as db:
        existing = len(data.trainee_names(db))
        seen = {name.lower() for name in data.trainee_names(db)}
        new = []
        for name in names:
            if name.lower() not in seen:
                seen.add(name.lower())
                new.append(name)
        if existing + len(new) > MAX_TRAINEES:
            raise ClassFull(
                f"a class holds at most {MAX_TRAINEES} trainees; it has {existing}, and {len(new)} more were asked"
            )
        return data.add_trainees(db, new)


def reset(store: Store, name: str | None, keep_progress: bool = False) -> list[str]:
    """Bring a trainee's tenant back to its seed (every trainee's when ``name`` is None); return their names.

    Same tenant id and token; the others untouched. The progress goes too, unless ``keep_progress``.
    """
    with store.transaction() as db:
        names = [data.require_trainee(db, name).name] if name is not None else data.trainee_names(db)
        for each in names:
            data.reset_trainee(db, each, keep_progress=keep_progress)
    return names


def revoke(store: Store, name: str | None) -> list[str]:
    """Revoke a trainee's join code (every trainee's when ``name`` is None); return whose codes this revoked.

    A revoked code answers 410 ``join_code_revoked`` from then on, and the token it handed out is
    replaced (a kernel that joined with it gets 401); ``new_code`` gives a new code.
    """
    with store.transaction() as db:
        names = [data.require_trainee(db, name).name] if name is not None else data.trainee_names(db)
        return [each for each in names if data.revoke_code(db, each)]


def new_code(store: Store, name: str) -> str:
    """Give a trainee a new join code (the old one, if any, is revoked, and with it the token); return it
    as ``XXXX-XXXX``."""
    with store.transaction() as db:
        return format_code(data.new_join_code(db, name))


def join(store: Store, code: object) -> Trainee:
    """The trainee whose join code was typed, now marked as joined; :class:`JoinRefused` otherwise."""
    stored = normalise_code(code)
    if stored is None:
        raise JoinRefused(400, "invalid_field", f"a join code is {CODE_RULE}; check the code your trainer gave you")
    with store.transaction() as db:
        trainee = data.trainee_by_code(db, stored)
        if trainee is None:
            if data.revoked_code_owner(db, stored) is not None:
                raise JoinRefused(
                    410, "join_code_revoked", "this join code was revoked by the trainer: ask for a new one"
                )
            raise JoinRefused(
                404, "join_code_not_found", "no trainee of this class has this join code: check it with your trainer"
            )
        data.mark_joined(db, trainee.name)
        return data.trainee_named(db, trainee.name) or trainee


def joined_json(trainee: Trainee) -> dict[str, Any]:
    """What a join answers: the trainee's tenant, plane, adapter and token (the five ``ZEN_*`` but the base)."""
    return {
        "trainee": trainee.name,
        "tenantId": trainee.tenant_id,
        "planeId": DEMO_PLANE_ID,
        "adapterId": DEMO_ADAPTER_ID,
        "token": trainee.token,
    }


def _exercise_json(row: StatusRow | None) -> dict[str, Any]:
    if row is None:
        return {"passed": False, "passedAt": None, "checks": 0, "lastCheckedAt": None}
    return {
        "passed": row.passed_at is not None,
        "passedAt": row.passed_at,
        "checks": row.checks,
        "lastCheckedAt": row.last_checked_at,
    }


def progress_json(rows: Sequence[TraineeProgress]) -> dict[str, Any]:
    """The class's progress as ``GET /_sandbox/class/progress`` answers it (and the board draws it)."""
    exercises = exercise_names()
    return {
        "exercises": exercises,
        "trainees": [
            {
                "trainee": row.trainee.name,
                "tenantId": row.trainee.tenant_id,
                "joined": row.trainee.joined,
                "exercises": {name: _exercise_json(row.exercises.get(name)) for name in exercises},
            }
            for row in rows
        ],
    }


def progress(store: Store) -> dict[str, Any]:
    """Every trainee's progress on every exercise, in roster and session order (no token, no code).

    ``passed`` is whether the exercise has passed at least once (``passedAt`` the first time).
    """
    with store.snapshot() as db:
        rows = data.progress_rows(db)
    return progress_json(rows)
