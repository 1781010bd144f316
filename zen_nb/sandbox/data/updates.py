"""The one way a PATCH changes a row of a named resource (a flow, a target): listed columns only,
``updated_at`` stamped, the unique name per plane enforced by the schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from .connection import utc_now
from .constraints import unique_name


def update_named_row(
    db: sqlite3.Connection, table: str, kind: str, row: sqlite3.Row, changes: dict[str, Any], updatable: Iterable[str]
) -> None:
    """Set ``changes`` (columns of ``updatable`` only) and ``updated_at`` on ``row`` of ``table``.

    :class:`~.constraints.NameTaken` when a new name is taken on the row's plane.
    """
    unknown = set(changes) - set(updatable)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    columns = "".join(f"{column} = ?, " for column in changes)
    with unique_name(table, kind, changes.get("name"), row["plane_id"]):
        db.execute(
            f"UPDATE {table} SET {columns}updated_at = ? WHERE seq = ?",  # noqa: S608 - fixed table and columns
            (*changes.values(), utc_now(), row["seq"]),
        )
