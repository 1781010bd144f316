"""The database file: created private, and never written when it is not the sandbox's.

A new database holds every event's payload, so it and the ``-wal`` and ``-shm`` files beside it
are readable by their owner only, whatever the umask. A file given with ``--db`` (or ``db=``)
that is another application's SQLite database, or no database at all, is refused in one line
naming it and the fix, and its bytes are the same afterwards: no table added, no switch to WAL,
no file left beside it. Each case runs through the real command (``python -m zen_nb.cli
sandbox``, a child process the test stops) and through ``zen_nb.sandbox.start``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.data import schema
from zen_nb.sandbox.data.schema import UnusableDatabase

from helpers import Api
from processes import CliSandbox, clean_env

REFUSAL_TIMEOUT = 60  # seconds for the command to refuse; the machine may be busy with other tests


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The umask of a user who lets others read new files (Debian's default, 022), for a while.

    Only the test sets it: the sandbox itself must not depend on it, nor change it.
    """
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def beside(path: Path) -> list[str]:
    """What SQLite would have made beside the file had it opened it to write."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)


def test_a_new_database_and_its_wal_and_shm_are_private_whatever_the_umask(tmp_path):
    db = tmp_path / "data" / "sandbox.sqlite3"
    with umask(0o022), CliSandbox("--port", "0", "--db", str(db), env=clean_env(tmp_path)) as box:
        api = Api(sandbox_pkg.Sandbox(None, "127.0.0.1", box.port, admin_token=""))
        assert api.create_flow("private-payloads").status_code == 201  # a write: the WAL has pages
        files = {name: mode(db.parent / name) for name in (db.name, f"{db.name}-wal", f"{db.name}-shm")}
        assert box.interrupt() == 0
    assert files == {name: 0o600 for name in files}, {name: oct(value) for name, value in files.items()}


def test_a_database_started_in_process_is_private_too(tmp_path):
    db = tmp_path / "in-process.sqlite3"
    with umask(0o022), sandbox_pkg.start(db=db) as box:
        assert Api(box).create_flow("private-in-process").status_code == 201
        files = {path.name: mode(path) for path in tmp_path.iterdir()}
    assert set(files) >= {db.name, f"{db.name}-wal", f"{db.name}-shm"}
    assert files == {name: 0o600 for name in files}, {name: oct(value) for name, value in files.items()}


def test_a_strict_umask_still_leaves_the_owner_able_to_write(tmp_path):
    db = tmp_path / "strict.sqlite3"
    with umask(0o277), sandbox_pkg.start(db=db) as box:  # 0277 would make a new file read-only
        assert Api(box).create_flow("written-anyway").status_code == 201
    assert mode(db) == 0o600


def test_an_existing_database_keeps_its_mode_and_a_readable_one_is_warned_about(tmp_path, caplog):
    db = tmp_path / "shared.sqlite3"
    sandbox_pkg.start(db=db).stop()
    db.chmod(0o640)  # shared with a group on purpose, say
    with caplog.at_level(logging.WARNING, logger="zen_nb.sandbox"), sandbox_pkg.start(db=db):
        pass
    assert mode(db) == 0o640
    warnings = [record.getMessage() for record in caplog.records if str(db) in record.getMessage()]
    assert len(warnings) == 1, caplog.records
    assert str(db) in warnings[0] and "0640" in warnings[0] and f"chmod 600 {db}" in warnings[0]
    db.chmod(0o600)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="zen_nb.sandbox"), sandbox_pkg.start(db=db):
        pass
    assert not [record for record in caplog.records if str(db) in record.getMessage()]


def test_the_sandbox_marks_its_databases_with_its_application_id(tmp_path):
    db = tmp_path / "marked.sqlite3"
    sandbox_pkg.start(db=db).stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA application_id").fetchone() == (schema.APPLICATION_ID,)


# --- files that are not the sandbox's --------------------------------------------------------


def _other_apps_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
        "INSERT INTO users (email) VALUES ('ada@example.com');"
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);"
    )
    conn.commit()
    conn.close()


def _other_apps_wal_database(path: Path) -> None:
    _other_apps_database(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    conn.close()  # the last connection: checkpointed, no -wal left


def _other_apps_meta_table(path: Path) -> None:
    """A common table name, even with a schema version in it: the rest of the schema is not ours."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
        "INSERT INTO meta VALUES ('schema_version', '3');"
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
    )
    conn.commit()
    conn.close()


def _other_apps_id(path: Path) -> None:
    _other_apps_database(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1299145298")  # another application's mark in the header
    conn.commit()
    conn.close()


def _empty_sqlite_database(path: Path) -> None:
    """A SQLite file with no table yet: not a new (empty) file, and not ours."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()


def _notes(path: Path) -> None:
    path.write_text("not a database at all, but a user's notes\n" * 100)


def _short_text(path: Path) -> None:
    path.write_text("hi\n")


def _corrupt_sqlite(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4080))


FOREIGN_FILES: dict[str, Callable[[Path], None]] = {
    "another-apps-database": _other_apps_database,
    "another-apps-wal-database": _other_apps_wal_database,
    "another-apps-meta-table": _other_apps_meta_table,
    "another-apps-application-id": _other_apps_id,
    "sqlite-without-tables": _empty_sqlite_database,
    "text-file": _notes,
    "short-text-file": _short_text,
    "corrupt-sqlite-file": _corrupt_sqlite,
}


@pytest.fixture(params=sorted(FOREIGN_FILES))
def foreign(request, tmp_path) -> Path:
    path = tmp_path / "theirs.db"
    FOREIGN_FILES[request.param](path)
    return path


def run_sandbox_on(db: str, tmp_path: Path) -> tuple[int, str]:
    """``zen-nb sandbox --db DB --port 0`` in a child process: its exit code and stderr.

    The command must refuse and exit by itself; one that serves instead is killed and fails the test.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "zen_nb.cli", "sandbox", "--db", db, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(tmp_path),
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=REFUSAL_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"zen-nb sandbox served on {db} instead of refusing it; stdout={out!r} stderr={err!r}")
    return process.returncode, err


def assert_one_line_naming(stderr: str, path: Path | str) -> None:
    assert "Traceback" not in stderr, stderr
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert str(path) in stderr and "--db" in stderr, stderr


def test_the_command_refuses_a_file_that_is_not_the_sandboxs_and_leaves_it_as_it_was(foreign, tmp_path):
    before, mode_before = digest(foreign), mode(foreign)
    code, stderr = run_sandbox_on(str(foreign), tmp_path)
    assert code != 0
    assert_one_line_naming(stderr, foreign)
    assert digest(foreign) == before
    assert mode(foreign) == mode_before
    assert beside(foreign) == []


def test_start_refuses_a_file_that_is_not_the_sandboxs_and_leaves_it_as_it_was(foreign):
    before = digest(foreign)
    with pytest.raises(UnusableDatabase) as refused:
        sandbox_pkg.start(db=foreign).stop()
    message = str(refused.value)
    assert str(foreign) in message and "--db" in message and "\n" not in message
    assert digest(foreign) == before
    assert beside(foreign) == []


def test_another_applications_database_is_named_as_such(tmp_path):
    path = tmp_path / "app.db"
    _other_apps_database(path)
    with pytest.raises(UnusableDatabase, match=r"not the sandbox's \(its tables are posts, users; no zen_nb meta"):
        sandbox_pkg.start(db=path).stop()


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _dangling_link(path: Path) -> Path:
    (path.parent / "elsewhere").mkdir()
    path.symlink_to(path.parent / "elsewhere" / "planted.sqlite3")
    return path


def _under_a_file(path: Path) -> Path:
    path.write_text("a file, so nothing can be under it\n")
    return path / "sandbox.sqlite3"


PATHS_THAT_CANNOT_BE_A_DATABASE: dict[str, Callable[[Path], Path]] = {
    "a-folder": _folder,
    "a-link-that-points-nowhere": _dangling_link,
    "a-path-under-a-file": _under_a_file,
}


@pytest.mark.parametrize("make", PATHS_THAT_CANNOT_BE_A_DATABASE.values(), ids=PATHS_THAT_CANNOT_BE_A_DATABASE)
def test_a_path_that_cannot_be_a_database_is_one_line_and_nothing_is_created(tmp_path, make):
    files = tmp_path / "files"
    files.mkdir()
    db = make(files / "given")
    before = sorted(files.rglob("*"))
    code, stderr = run_sandbox_on(str(db), tmp_path)
    assert code != 0
    assert_one_line_naming(stderr, db)
    with pytest.raises(UnusableDatabase, match="--db"):
        sandbox_pkg.start(db=db).stop()
    assert sorted(files.rglob("*")) == before  # nothing made, through a link or beside it


def test_an_empty_file_is_a_new_database(tmp_path):
    db = tmp_path / "touched.sqlite3"
    db.touch(mode=0o600)
    with sandbox_pkg.start(db=db) as box:
        assert Api(box).get("{plane}/delivery-flows").status_code == 200  # seeded
    assert mode(db) == 0o600


def test_a_first_start_cut_short_before_its_tables_were_made_starts_again(tmp_path):
    db = tmp_path / "cut-short.sqlite3"
    db.touch(mode=0o600)
    conn = sqlite3.connect(db, isolation_level=None)  # what Store does before its first transaction
    schema.claim(conn)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    conn.close()
    assert db.stat().st_size > 0  # the header is written: no longer an empty file
    with sandbox_pkg.start(db=db) as box:
        assert Api(box).get("{plane}/delivery-flows").status_code == 200  # seeded


def test_a_link_to_an_existing_database_is_followed(tmp_path):
    real = tmp_path / "real.sqlite3"
    sandbox_pkg.start(db=real).stop()
    link = tmp_path / "link.sqlite3"
    link.symlink_to(real)
    with sandbox_pkg.start(db=link) as box:
        assert Api(box).create_flow("through-a-link").status_code == 201
    assert link.is_symlink()


def test_zen_nb_lab_refuses_another_applications_database_in_one_line(tmp_path, monkeypatch, capsys):
    from zen_nb import lab
    from zen_nb.cli import main

    theirs = tmp_path / "theirs.db"
    _other_apps_database(theirs)
    before = digest(theirs)

    def no_lab(*args, **kwargs):  # JupyterLab must not start: the refusal comes before it
        raise AssertionError("zen-nb lab went on to start JupyterLab")

    monkeypatch.setattr(lab.subprocess, "Popen", no_lab)
    assert main(["lab", "--db", str(theirs), "--sandbox-port", "0", "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("zen-nb lab: ") and err.count("\n") == 1, err
    assert_one_line_naming(err, theirs)
    assert digest(theirs) == before
    assert beside(theirs) == []
