"""The database file on disk: made private, and recognised as the sandbox's before anything is written.

The database holds every event's payload, so a new one is created readable by its owner only
(``0600``), in one step: ``os.open`` with ``O_CREAT | O_EXCL`` and that mode, before SQLite opens
it, so that there is no moment when it is readable by others, and no process-wide umask to
change (the sandbox may run on a thread of a notebook kernel). SQLite creates the ``-wal`` and
``-shm`` files beside it with the main file's mode, so they are private too. An existing file
keeps the mode its owner gave it (a class may share one with a group on purpose); if others can
read it, a warning names the file and the ``chmod`` that makes it private.

An existing file is opened read-only first, and used only if it is a sandbox database (see
:func:`schema.identify`): another application's SQLite database, or a file that is not a
database, is refused with one line naming it and the fix, before the sandbox has written a
byte to it (no switch to WAL, no table). An empty file (0 bytes) or a missing one is new. The
sandbox never creates a database through a symbolic link that points nowhere.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from .schema import UnusableDatabase, identify

log = logging.getLogger("zen_nb.sandbox")

PRIVATE_MODE = 0o600
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database
FIX = "move the file away or pass another --db (db= in Python): a new file's name, or :memory:"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def prepare(path: str) -> None:
    """Make ``path`` ready for SQLite: created private if missing, else checked to be the sandbox's.

    Raises :class:`UnusableDatabase` (or :class:`SchemaTooNew`) with the fix when it is not;
    any error of the file system is one too, with its reason.
    """
    if not path:
        raise UnusableDatabase("no database file was named: pass --db a file's name, or :memory:")
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UnusableDatabase(
            f"cannot use {path}: {folder} is not a folder (a part of it is a file, or a link that points nowhere); "
            "pass --db (db= in Python) a path in a folder, or :memory:"
        ) from None
    except OSError as error:
        raise UnusableDatabase(f"cannot make the folder {folder} for {path}: {error.strerror}; {FIX}") from None
    try:
        if not _create_private(path):
            _check_existing(path)
    except OSError as error:
        reason = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename and str(error.filename) != path else ""
        raise UnusableDatabase(f"cannot use {path}: {reason}{where}; {FIX}") from None


def _create_private(path: str) -> bool:
    """Create ``path`` empty, mode 0600; False if something is already there (a link included)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, PRIVATE_MODE)
    except FileExistsError:
        return False
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_MODE)  # exactly 0600, whatever the umask took away
    finally:
        os.close(fd)
    return True


def _check_existing(path: str) -> None:
    """Refuse what is not a sandbox database; warn when others can read one that is."""
    if os.path.islink(path) and not os.path.exists(path):
        raise UnusableDatabase(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist, and the sandbox does not "
            "create a database through a link: remove the link, or pass --db (db= in Python) the path it points to"
        )
    real = os.path.realpath(path)  # SQLite follows a link too, and puts its -wal beside the target
    status = os.stat(real)
    if stat.S_ISDIR(status.st_mode):
        raise UnusableDatabase(
            f"{path} is a folder, not a database file: pass --db (db= in Python) a file's name, "
            f"e.g. {os.path.join(path, 'sandbox.sqlite3')}"
        )
    if not stat.S_ISREG(status.st_mode):
        raise UnusableDatabase(f"{path} is not a regular file, so it cannot be the sandbox's database; {FIX}")
    if status.st_size > 0:  # an empty file is a new database
        _identify(path, real)
    if status.st_mode & 0o077:
        log.warning(
            "the sandbox database %s can be read by other users of this machine (mode %s), and it holds every "
            "event's payload: run `chmod 600 %s` unless you share it on purpose",
            path,
            format(stat.S_IMODE(status.st_mode), "04o"),
            path,
        )


def _identify(path: str, real: str) -> None:
    """Read the file without writing it: a SQLite database, and the sandbox's (else it is refused)."""
    with open(real, "rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise UnusableDatabase(f"{path} is not a SQLite database (it does not start with SQLite's header); {FIX}")
    try:
        db = sqlite3.connect(_read_only_uri(real), uri=True, check_same_thread=False)
        try:
            identify(db, path)
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise UnusableDatabase(f"{path} is not a SQLite database that can be read ({error}); {FIX}") from None


def _read_only_uri(path: str) -> str:
    """A URI that opens ``path`` without writing it, nor leaving a file beside it.

    Without a ``-wal`` or ``-journal`` beside it the main file is all there is, so it is opened
    ``immutable`` (no lock, no ``-shm`` made); otherwise ``mode=ro`` reads the journal's
    committed pages too (a sandbox killed before its checkpoint has its tables there).
    """
    uri = "file:" + quote(path)
    if os.path.lexists(path + "-wal") or os.path.lexists(path + "-journal"):
        return uri + "?mode=ro"
    return uri + "?mode=ro&immutable=1"
