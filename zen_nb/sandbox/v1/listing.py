"""v1 lists: ``{<resource>: [...], "next_cursor", "has_more"}``, newest first, 20 a page by default.

The vendor's pagination page lists newest first, ``limit`` 1 to 100 (default 20). The keyset is
the insertion counter, descending: a cursor is the position of the last row a page showed, and
the next page is the rows below it, so rows inserted while a client pages (above the first
page) never shift a later page, and none is returned twice or skipped. Cursors are the recipe
form's (``pagination.py``): opaque, and bound to the list that issued them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Query

from ..pagination import MAX_POSITION, CursorParam, decode_cursor, encode_cursor, list_key

__all__ = ["CursorParam", "LimitParam", "first_below", "list_key", "page"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT} (default 20)")]


def first_below(cursor: str | None, key: str) -> int:
    """The position a page starts below: the cursor's (400 ``invalid_cursor`` if it is not one of
    this list), or past every row for the first page."""
    position = decode_cursor(cursor, key)
    return position if cursor is not None else MAX_POSITION


def page(
    rows: Sequence[Any], limit: int, render: Callable[[Any], dict[str, Any]], key: str, items: str
) -> dict[str, Any]:
    """The envelope from up to ``limit + 1`` rows, newest first; ``items`` is the resource's key."""
    has_more = len(rows) > limit
    shown = rows[:limit]
    return {
        items: [render(row) for row in shown],
        "next_cursor": encode_cursor(shown[-1]["seq"], key) if has_more else None,
        "has_more": has_more,
    }
