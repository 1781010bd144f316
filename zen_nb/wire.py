"""Reading the shapes the Zen Mesh API answers in, whatever page of its documents they come from.

The vendor's pages document several list wrappers and six error bodies (``zen-vendor-docs.md``
§2.0); the versioning page says a client must ignore what it does not know. So a list is read
from ``data``, ``items``, any resource-named key (camelCase or snake_case) or a bare array, and
an error body of any documented shape gives the same (code, message, field, request id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Wrapper keys no list item can live under: never mistaken for the list itself.
_PAGING_KEYS = frozenset(
    {"nextCursor", "next_cursor", "hasMore", "has_more", "total", "count", "totalCount", "total_count"}
)


class Page(list):  # type: ignore[type-arg]
    """One page's items (a plain list to every reader), with the list's ``total`` when the page gave one.

    The total travels with the page, through the transport's and the client's page iterators, to
    the loaders' progress bar, without changing what any of them yields.
    """

    total: int | None = None

    def __init__(self, items: Any = (), total: int | None = None) -> None:
        super().__init__(items)
        self.total = total


def list_items(body: Any) -> Page:
    """The items of one list page: a bare array, ``data``, ``items``, or the one key holding a list.

    The :class:`Page` also carries :func:`list_total` of the body (None for a bare array).
    """
    if isinstance(body, list):
        return Page(body)
    if not isinstance(body, dict):
        return Page()
    total = list_total(body)
    for key in ("data", "items"):
        if isinstance(body.get(key), list):
            return Page(body[key], total)
    lists = [value for key, value in body.items() if key not in _PAGING_KEYS and isinstance(value, list)]
    return Page(lists[0] if len(lists) == 1 else (), total)


def list_total(body: Any) -> int | None:
    """How many items the whole list holds, when the page says so: ``total`` or ``count``; else None.

    Anything but a whole number of zero or more (a string, a bool, ``-1`` for "unknown") is no total.
    """
    if not isinstance(body, dict):
        return None
    for key in ("total", "count", "totalCount", "total_count"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def next_cursor(body: Any) -> str | None:
    """The cursor of the next page, or None on the last one.

    ``hasMore``/``has_more`` decides when present; when absent there is more while a cursor is given.
    """
    if not isinstance(body, dict):
        return None
    cursor = body.get("nextCursor", body.get("next_cursor"))
    more = body.get("hasMore", body.get("has_more"))
    if not cursor or not isinstance(cursor, str) or more is False:
        return None
    return cursor


def snake_to_camel(name: str) -> str:
    """``created_at`` → ``createdAt``: the recipe form's spelling of a v1 field name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class ErrorFields:
    """What an error body says, read from any documented shape; None where it says nothing."""

    message: str | None = None
    code: str | None = None
    field: str | None = None
    request_id: str | None = None
    type_name: str | None = None


def error_fields(parsed: Any) -> ErrorFields:
    """The message, code, field and request id of an error body of any documented shape.

    1. RFC 9457 problem details (``type``, ``title``, ``detail``, ``instance``; either type host);
    2. ``{error: "Type", code?, status?, message, field?, request_id}`` (the recipe form);
    3. ``{error: "text"}`` and ``{error: "text", details}`` (the OpenAPI spec);
    4. ``{error: {code, message, details}}`` (plans and limits, MCP);
    5. ``{error: {status, code, message, field}, requestId}`` (this kit's sandbox before issue 15).
    """
    if not isinstance(parsed, dict):
        return ErrorFields()
    request_id = _text(parsed.get("request_id") or parsed.get("requestId"))
    detail = parsed.get("error")
    if isinstance(detail, dict):
        return ErrorFields(
            message=_text(detail.get("message") or detail.get("detail")),
            code=_text(detail.get("code")),
            field=_text(detail.get("field")),
            request_id=request_id or _text(detail.get("request_id") or detail.get("requestId")),
        )
    if isinstance(detail, str):
        message = _text(parsed.get("message") or parsed.get("detail"))
        if message is None:  # {error: "the message itself"}
            return ErrorFields(message=detail, code=_text(parsed.get("code")), request_id=request_id)
        return ErrorFields(
            message=message,
            code=_text(parsed.get("code")) or _code_of_type_name(detail),
            field=_text(parsed.get("field")) or _first_field(parsed),
            request_id=request_id,
            type_name=detail,
        )
    if "type" in parsed or "title" in parsed or "detail" in parsed:
        instance = _text(parsed.get("instance"))
        if request_id is None and instance and instance.startswith("req_"):
            request_id = instance  # the resource pages' variant puts the request id there
        slug = _text(parsed.get("type"))
        slug = slug.rstrip("/").rsplit("/", 1)[-1] if slug else None
        return ErrorFields(
            message=_text(parsed.get("detail") or parsed.get("title")),
            code=_text(parsed.get("code")) or (slug.replace("-", "_") if slug and slug != "about:blank" else None),
            field=_text(parsed.get("field")) or _first_field(parsed),
            request_id=request_id,
            type_name=_text(parsed.get("title")),
        )
    return ErrorFields(message=_text(parsed.get("message")), code=_text(parsed.get("code")), request_id=request_id)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and str(value) else None


def _first_field(parsed: dict[str, Any]) -> str | None:
    """The field of the first entry of a problem's ``errors`` list, if it has one."""
    errors = parsed.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return _text(errors[0].get("field"))
    return None


def _code_of_type_name(name: str) -> str | None:
    """``"ValidationError"`` names a class, not a code; ``"write_tool_disabled"`` is a code."""
    return name if name.islower() and " " not in name else None
