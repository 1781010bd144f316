"""Lists: the ``{<resourceKey>, hasMore, nextCursor}`` envelope with keyset cursors (contract section 3).

The items are under a key named for the resource (``clusters``, ``deliveryFlows``...), as the
vendor's pages show them; there is no ``data`` key.

A cursor is the position (``seq``, the insertion counter) of the last row a page returned, so
rows created while a client pages land after it and no row is returned twice or skipped. The
attempt lists are in ``createdAt`` order (then ``seq``: ``data/attempts.py``), so a page starts
past the cursor row's moment: attempts made while a client pages are later and land after it; only
a simulated history written into the past meanwhile lands behind it. A cursor is bound to the list
that issued it (resource, tenant, plane, filters: :func:`list_key`): used on another list it is
refused, not read as a position there; a cursor of an attempt a reset removed is refused too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Query

from ..vocabulary import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from .errors import ApiError

DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
MAX_LIMIT = MAX_PAGE_SIZE
MAX_POSITION = 2**63 - 1  # SQLite's largest integer
KEY_LENGTH = 16  # hex digits of a list key
MAX_CURSOR_LENGTH = 200  # an issued cursor is under 50 characters
_KEY_SHAPE = re.compile(f"[0-9a-f]{{{KEY_LENGTH}}}")
_NUMBER_SHAPE = re.compile("0|[1-9][0-9]{0,18}")

LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT}")]
# No max_length here: a cursor that is too long must be the same 400 invalid_cursor as any other made-up one.
CursorParam = Annotated[str | None, Query(description="the nextCursor of the previous page of the same list")]


def list_key(resource: str, tenant_id: str, plane_id: str | None = None, **filters: Any) -> str:
    """What identifies a list: a short digest of its resource, tenant, plane and filters (None ones dropped).

    The page size is not part of it: a client may change ``limit`` from one page to the next.
    """
    shown = {name: value for name, value in sorted(filters.items()) if value is not None}
    text = json.dumps([resource, tenant_id, plane_id, shown], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def encode_cursor(seq: int, key: str) -> str:
    """An opaque cursor for the position after row ``seq`` of the list ``key``."""
    return base64.urlsafe_b64encode(f"{key}:{seq}".encode()).decode().rstrip("=")


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_cursor", message, field="cursor")


def _read(cursor: str) -> tuple[str, int] | None:
    """The list key and position of a cursor this API could have issued; None for any other text."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    issued_for, _, number = text.partition(":")
    if not _KEY_SHAPE.fullmatch(issued_for) or not _NUMBER_SHAPE.fullmatch(number) or int(number) > MAX_POSITION:
        return None
    # One spelling per cursor: base64 that decodes alike but is written otherwise (other padding
    # bits, characters base64 skips, a leading zero) was not issued here.
    if encode_cursor(int(number), issued_for) != cursor:
        return None
    return issued_for, int(number)


def decode_cursor(cursor: str | None, key: str) -> int:
    """The position a cursor of list ``key`` stands for (0 for the first page); 400 ``invalid_cursor`` otherwise."""
    if cursor is None:
        return 0
    read = _read(cursor)
    if read is None:
        raise _invalid("cursor is not one this API returned; pass the nextCursor of the previous page, or no cursor")
    issued_for, position = read
    if issued_for != key:
        raise _invalid(
            "this cursor belongs to another list (another resource, tenant, plane or filters); pass the "
            "nextCursor of the previous page of this same list, or start again without a cursor"
        )
    return position


def position_gone() -> ApiError:
    """The 400 for a cursor of a row that is no longer there (a reset emptied the list since)."""
    return _invalid(
        "this cursor's position is gone: the list was reset since it was issued; start again without a cursor"
    )


def page(
    rows: Sequence[Any],
    limit: int,
    render: Callable[[Any], dict[str, Any]],
    key: str,
    *,
    items: str,
    total: int | None = None,
) -> dict[str, Any]:
    """Build the envelope from up to ``limit + 1`` rows fetched after the cursor, in ``seq`` order.

    ``items`` is the list's resource key (``deliveryFlows``), which holds the rendered rows.
    ``total`` (from :func:`first_page_total`) is written only when given: on a list's first page.
    """
    has_more = len(rows) > limit
    shown = rows[:limit]
    body: dict[str, Any] = {
        items: [render(row) for row in shown],
        "hasMore": has_more,
        "nextCursor": encode_cursor(shown[-1]["seq"], key) if has_more else None,
    }
    if total is not None:
        body["total"] = total
    return body


def first_page_total(cursor: str | None, rows: Sequence[Any], limit: int, count: Callable[[], int]) -> int | None:
    """The list's ``total`` (rows matching its filters, across all pages) on its first page; None on the others.

    Only the first page (no cursor) counts, so a long load costs one COUNT and a client's progress
    bar knows its end from the start; a first page that is also the last is its own count.
    Call it inside the snapshot that fetched ``rows``, so that the count and the page agree.
    """
    if cursor is not None:
        return None
    return count() if len(rows) > limit else len(rows)
