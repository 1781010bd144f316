"""Lists: the ``{data, hasMore, nextCursor}`` envelope with keyset cursors (contract section 3).

A cursor is the position (``seq``, the insertion counter) of the last row a page returned, so
rows created while a client pages land after it and no row is returned twice or skipped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Query

from .errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 250

LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT}")]
CursorParam = Annotated[str | None, Query(max_length=200, description="the nextCursor of the previous page")]


def encode_cursor(seq: int) -> str:
    """An opaque cursor for the position after row ``seq``."""
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor stands for (0 for the first page); 400 for anything not ours."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "after" or not number.isdigit():
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400,
            "invalid_cursor",
            "cursor is not one this API returned; pass the nextCursor of the previous page, or no cursor",
            field="cursor",
        ) from None


def page(rows: Sequence[Any], limit: int, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Build the envelope from up to ``limit + 1`` rows fetched after the cursor, in ``seq`` order."""
    has_more = len(rows) > limit
    shown = rows[:limit]
    return {
        "data": [render(row) for row in shown],
        "hasMore": has_more,
        "nextCursor": encode_cursor(shown[-1]["seq"]) if has_more else None,
    }
