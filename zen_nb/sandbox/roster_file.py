"""The class's roster CSV: what a trainer hands out, one row per trainee, private from its first byte.

``trainee,tenant_id,token,base_url,join_code,plane_id,adapter_id``: each trainee's five
``ZEN_*`` values (``ZEN_TENANT_ID``, ``ZEN_API_TOKEN``, ``ZEN_API_BASE``, ``ZEN_PLANE_ID``,
``ZEN_ADAPTER_ID``), and the join code that gets them the same without typing a token. The plane
and adapter came last (issue 20), so that a reader of the first five columns reads them as before;
``zen_nb.hub`` gives a JupyterHub user the five values of their row.

It holds every trainee's token, so it is written as the database is (``database_file.py``): a new
file is created with mode 0600 by ``os.open`` itself (no moment when it is readable by others, no
process-wide umask changed), filled, synced, and only then moved over the old roster with
``os.replace``, so that a reader (a spreadsheet, a trainer's ``cat``, another ``zen-nb class``
command rewriting it at the same time) never sees half a file.

It lives beside the database (``class.sqlite3`` -> ``class-roster.csv``), so that every
``zen-nb class`` command given the same ``--db`` finds it. The database is the truth: the file
is rewritten from it after every change; the base URL, which only the serving process knows,
is carried over from the file it replaces.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HEADER = ("trainee", "tenant_id", "token", "base_url", "join_code", "plane_id", "adapter_id")
PRIVATE_MODE = 0o600

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class RosterRow:
    """One trainee's line of the roster (its token never in the repr)."""

    trainee: str
    tenant_id: str
    token: str = field(repr=False)
    join_code: str | None  # as shown (XXXX-XXXX); None once revoked
    plane_id: str
    adapter_id: str


def roster_path(db: str | Path) -> Path:
    """Where the roster of the class in ``db`` lives: ``<db stem>-roster.csv`` beside it."""
    path = Path(db)
    return path.with_name(f"{path.stem}-roster.csv")


def render(rows: Iterable[RosterRow], base_url: str) -> str:
    """The roster's text: the header, then a row per trainee in roster order (an empty join code once revoked)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            (row.trainee, row.tenant_id, row.token, base_url, row.join_code or "", row.plane_id, row.adapter_id)
        )
    return out.getvalue()


def write_roster(path: str | Path, rows: Iterable[RosterRow], base_url: str) -> None:
    """Replace the roster at ``path`` in one step with these rows; the new file is mode 0600 from the start.

    Raises :class:`OSError` (with the file's name) when the folder cannot be written.
    """
    replace_whole(Path(path), render(rows, base_url).encode("utf-8"), PRIVATE_MODE)


def replace_whole(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` in one step, the new file ``mode`` from its first byte (umask or not).

    A hidden temporary file beside it, created by ``os.open`` with ``mode``, written, synced, then
    ``os.replace``d: a reader never sees half a file. The class's other file, the hub config
    (``hub_config_file.py``), is written the same way with another mode.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # exactly this mode, whatever the umask took away
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def read_base_url(path: str | Path) -> str | None:
    """The base URL the roster at ``path`` gives its trainees; None when there is no such file or row."""
    try:
        with open(path, newline="", encoding="utf-8") as file:
            for record in csv.DictReader(file):
                value = (record.get("base_url") or "").strip()
                if value:
                    return value
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None
