"""The data layer's own errors, and the one place that reads SQLite's constraint violations.

The schema enforces uniqueness, so two requests racing for one name cannot both win; the
loser's ``sqlite3.IntegrityError`` becomes :class:`NameTaken` here, and only when the name's
own constraint failed: any other violation is a bug and stays an error. The server maps these
errors to the API's answers in one place (``sandbox/errors.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class DataError(Exception):
    """Something the data layer refuses, in the terms of the data, not of HTTP."""


class NotFound(DataError):
    """No ``kind`` with this id (on this plane): a flow, target, ingester, plane, tenant, attempt."""

    def __init__(self, kind: str, ident: str, plane_id: str | None = None, field: str | None = None) -> None:
        super().__init__(f"{kind} '{ident}' does not exist")
        self.kind = kind
        self.ident = ident
        self.plane_id = plane_id
        self.field = field


class NameTaken(DataError):
    """Another ``kind`` on the plane already has this name (names are unique per plane)."""

    def __init__(self, kind: str, name: str, plane_id: str) -> None:
        super().__init__(f"a {kind} named '{name}' already exists on plane '{plane_id}'")
        self.kind = kind
        self.name = name
        self.plane_id = plane_id


@contextmanager
def unique_name(table: str, kind: str, name: str | None, plane_id: str) -> Iterator[None]:
    """Turn a violation of ``table``'s unique name per plane into :class:`NameTaken`."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        if name is not None and str(error).startswith("UNIQUE constraint failed") and f"{table}.name" in str(error):
            raise NameTaken(kind, name, plane_id) from None
        raise
