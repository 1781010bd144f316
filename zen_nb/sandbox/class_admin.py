"""``zen-nb class roster|reset|progress|revoke|new-code``: the trainer's commands, on the class's database file.

They run in a terminal of their own while ``zen-nb class start`` serves the same file: SQLite
in WAL mode lets both write (one transaction at a time, each waiting its turn), and the
serving process reads every answer from the database, so a reset or a new code takes effect
on the next request. They open the file as a plain :class:`Store`, never with the server's
recovery (``server.open_store``), which would end the serving process's work in flight.

A missing file is refused before anything is created; so is a database without a class. What
they print is for a terminal: tables of names, tenants, ticks. Never a token: the roster CSV
(whose path they print) holds those; join codes only where the trainer asks for them (the
roster, a new code).
"""

from __future__ import annotations

import argparse
import shlex
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from . import classroom, default_db_path
from .class_tables import progress_table, roster_table
from .data import NotFound, Store
from .data.schema import UnusableDatabase
from .join_codes import format_code
from .roster_file import RosterRow, read_base_url, roster_path, write_roster

START_FIX = "start one with `zen-nb class start --trainees N{db}`"


class ClassCommandError(Exception):
    """A ``zen-nb class`` command cannot do what it was asked: one line with the fix, and the exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def default_class_db() -> Path:
    """Where a class keeps its database unless ``--db`` says otherwise: ``class.sqlite3`` in the data folder."""
    return default_db_path().with_name("class.sqlite3")


def class_db(given: str | None) -> Path:
    """The class's database: ``--db`` or the default; ``:memory:`` is refused (a class outlives its process)."""
    if given is None:
        return default_class_db()
    if given.strip() == ":memory:":
        raise ClassCommandError(
            "a class cannot live in :memory:: it must survive a restart and be reachable by the other "
            "`zen-nb class` commands; pass --db a file's name (or leave --db out for class.sqlite3 in your data folder)"
        )
    if not given.strip():
        raise ClassCommandError("--db names no file; pass a file's name, or leave --db out")
    return Path(given)


def _db_flag(db: Path) -> str:
    return "" if db == default_class_db() else f" --db {shlex.quote(str(db))}"


def roster_rows(store: Store) -> list[RosterRow]:
    """The roster CSV's rows, from the database (the truth); plane and adapter as a join answers them."""
    rows = []
    for trainee in classroom.roster(store):
        joined = classroom.joined_json(trainee)
        code = format_code(trainee.join_code) if trainee.join_code else None
        rows.append(
            RosterRow(trainee.name, trainee.tenant_id, trainee.token, code, joined["planeId"], joined["adapterId"])
        )
    return rows


def rewrite_roster(store: Store, db: Path, base_url: str | None = None) -> Path:
    """Write the roster CSV beside ``db`` from the database; the base URL kept from the old file if not given.

    :class:`ClassCommandError` (exit 1) when the folder cannot be written.
    """
    path = roster_path(db)
    url = base_url if base_url is not None else (read_base_url(path) or "")
    try:
        write_roster(path, roster_rows(store), url)
    except OSError as error:
        raise ClassCommandError(
            f"cannot write the roster {path}: {error.strerror or error}; make its folder writable", exit_code=1
        ) from None
    return path


def open_class(given: str | None) -> tuple[Store, Path]:
    """The class's store: refused (one line, the fix) for a missing file, one that is no sandbox's, or no class."""
    db = class_db(given)
    if not db.exists():
        raise ClassCommandError(
            f"there is no class database at {db}: {START_FIX.format(db=_db_flag(db))}, "
            "or pass --db the file the class was started with"
        )
    try:
        store = Store(db)  # not server.open_store: no recovery of the serving process's work
    except UnusableDatabase as error:  # names the file and the fix
        raise ClassCommandError(str(error), exit_code=1) from None
    except (OSError, sqlite3.Error) as error:
        raise ClassCommandError(f"cannot open the class database {db}: {error}", exit_code=1) from None
    if not classroom.has_class(store):
        store.close()
        raise ClassCommandError(f"{db} holds no class: {START_FIX.format(db=_db_flag(db))}")
    return store, db


def _one_trainee(args: argparse.Namespace, command: str) -> str | None:
    """The TRAINEE argument, or None for ``--all``; exactly one of them is given."""
    if args.all and args.trainee is not None:
        raise ClassCommandError(f"give a trainee's name or --all, not both: zen-nb class {command} TRAINEE|--all")
    if not args.all and args.trainee is None:
        raise ClassCommandError(f"name the trainee, or pass --all: zen-nb class {command} TRAINEE|--all")
    return None if args.all else args.trainee


def _unknown(name: str, db: Path) -> ClassCommandError:
    return ClassCommandError(
        f"the class in {db} has no trainee named {name!r}; `zen-nb class roster{_db_flag(db)}` lists them"
    )


def run_class_admin(args: argparse.Namespace) -> int:
    """``zen-nb class roster|reset|progress|revoke|new-code``; the exit code (0 ok, 1 at run time, 2 usage)."""
    try:
        return _run(args)
    except ClassCommandError as error:
        print(f"zen-nb class {args.class_command}: {error}", file=sys.stderr)
        return error.exit_code


def _run(args: argparse.Namespace) -> int:
    command = args.class_command
    name = _one_trainee(args, command) if command in ("reset", "revoke") else getattr(args, "trainee", None)
    store, db = open_class(args.db)
    try:
        try:
            lines = _do(command, store, db, name, args)
        except NotFound:
            raise _unknown(name or "", db) from None
        except ValueError as error:  # a name that can be no trainee's: the rule
            raise ClassCommandError(str(error)) from None
        except sqlite3.Error as error:  # e.g. locked for longer than the busy timeout by the serving process
            raise ClassCommandError(f"cannot use the class database {db}: {error}; try again", exit_code=1) from None
    finally:
        store.close()
    _print(lines)
    return 0


def _do(command: str, store: Store, db: Path, name: str | None, args: argparse.Namespace) -> list[str]:
    csv = roster_path(db)
    if command == "roster":
        trainees = classroom.roster(store)
        joined = sum(1 for trainee in trainees if trainee.joined_at)
        return [
            f"Class in {db}: {len(trainees)} trainees, {joined} joined",
            *roster_table(trainees),
            f"Tokens (and the base URL): in the roster {csv} (keep it private)",
        ]
    if command == "progress":
        return [f"Class in {db}", *progress_table(classroom.progress(store))]
    if command == "reset":
        done = classroom.reset(store, name, keep_progress=args.keep_progress)
        rewrite_roster(store, db)
        kept = "their progress kept" if args.keep_progress else "their progress cleared"
        return [f"Reset to the seed ({kept}): {_names(done)}. Tokens and join codes are unchanged."]
    if command == "revoke":
        done = classroom.revoke(store, name)
        rewrite_roster(store, db)
        if not done:
            who = "no trainee has a join code" if name is None else f"{name!r} has no join code"
            return [
                f"Nothing to revoke: {who} (revoked already). `zen-nb class new-code TRAINEE{_db_flag(db)}` gives one."
            ]
        codes = "join code" if len(done) == 1 else "join codes"
        return [
            f"Revoked the {codes} of {_names(done)}: a join with one now answers 410 (revoked), "
            "and the token it gave is replaced (a kernel that joined with it must join again with a new code).",
            f"Give a new one with `zen-nb class new-code TRAINEE{_db_flag(db)}`; the roster {csv} is updated.",
        ]
    if command == "new-code":
        assert name is not None
        code = classroom.new_code(store, name)
        shown = next((t.name for t in classroom.roster(store) if t.name.lower() == name.lower()), name)
        rewrite_roster(store, db)
        return [f"New join code for {shown}: {code} (the old one now answers 410). The roster {csv} is updated."]
    raise ClassCommandError(f"unknown command {command!r}")  # pragma: no cover - argparse refuses it


def _names(names: Sequence[str]) -> str:
    if not names:
        return "no trainee"
    return ", ".join(names) if len(names) <= 5 else f"{len(names)} trainees ({', '.join(names[:3])}, ...)"


def _print(lines: Sequence[str]) -> None:
    text = "\n".join(lines)
    encoding = sys.stdout.encoding or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:  # a terminal that cannot show the ticks
        text = text.replace("\u2713", "x").replace("\u00b7", ".")
        text = text.encode(encoding, errors="replace").decode(encoding)
    print(text, flush=True)
