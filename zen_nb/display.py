"""HTML for a notebook: the client's objects, lists of them, and errors with their fix.

Only the standard library: the client's objects call these from ``_repr_html_``. Every value
is escaped; nothing here ever sees the token (objects and errors never hold it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

_BOX = "border:1px solid {color};border-radius:4px;padding:6px 10px;margin:2px 0;font-family:sans-serif"
_CELL = "text-align:left;padding:1px 8px;vertical-align:top"


def _value(value: Any) -> str:
    if isinstance(value, Mapping) and "id" in value:
        kind = f" ({escape(str(value['type']))})" if "type" in value else ""
        return f"<code>{escape(str(value['id']))}</code>{kind}"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) or "—"
    if value is None:
        return "—"
    return escape(str(value))


def object_html(kind: str, fields: Mapping[str, Any]) -> str:
    """A titled two-column table of an object's fields."""
    rows = "".join(
        f'<tr><th style="{_CELL}">{escape(str(key))}</th><td style="{_CELL}">{_value(value)}</td></tr>'
        for key, value in fields.items()
    )
    title = f"<b>{escape(kind)}</b> <code>{escape(str(fields.get('id', '')))}</code>"
    return f'<div style="{_BOX.format(color="#9ab")}">{title}<table>{rows}</table></div>'


def list_html(items: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A table with one row per object and the given columns (the fields most worth seeing)."""
    if not items:
        return "<i>(none)</i>"
    head = "".join(f'<th style="{_CELL}">{escape(column)}</th>' for column in columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{_value(item.get(column))}</td>' for column in columns) + "</tr>"
        for item in items
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><i>{len(items)} item(s)</i>"


def code_html(text: str) -> str:
    """``text`` escaped, with its backticked spans (code to type or paste) shown as ``<code>``."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)).replace("\n", "<br>")


def error_html(kind: str, message: str, fix: str, details: Sequence[str]) -> str:
    """An error as one block: what happened, what to do, and the ids to quote."""
    parts = [f"<b>{escape(kind)}</b>: {escape(message)}"]
    if fix:
        parts.append(f"<div><b>Fix:</b> {code_html(fix)}</div>")
    if details:
        parts.append(f'<div style="color:#666;font-size:90%">{escape(", ".join(details))}</div>')
    return f'<div style="{_BOX.format(color="#d66")};background:#fff5f5">{"".join(parts)}</div>'


def success_html(message: str) -> str:
    """A short confirmation line."""
    return f'<div style="{_BOX.format(color="#6a6")};background:#f5fff5">{escape(message)}</div>'
