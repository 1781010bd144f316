"""HTML for a notebook: the client's objects, lists of them, errors with their fix, and form messages.

Only the standard library: the client's objects call these from ``_repr_html_``. Every value
is escaped; nothing here ever sees the token (objects and errors never hold it).

The same HTML is shown in three places, and must read well in each, in any theme:

- inside a form, under the form's stylesheet (:mod:`zen_nb.widgets.theme`);
- as a cell's output (``_repr_html_``), where there is no stylesheet: so every box carries its
  look as inline styles, each colour one of JupyterLab's ``--jp-*`` variables (a light-theme
  fallback after it, for front ends without them);
- in a saved notebook opened untrusted, where JupyterLab's sanitizer keeps inline styles but
  drops every declaration whose value it cannot parse, ``var()`` among them. A colour written out
  would survive there and be right in one theme only (a light box under the dark theme's white
  text reads at 1.02 : 1); a ``var()`` colour is dropped instead, and the text, border
  (``currentColor``) and background fall back to the theme's own. So no declaration here holds a
  colour outside a ``var()``, and the sizes a box needs are in declarations of their own.

``<code>`` has no inline style: JupyterLab's rendered HTML (``.jp-RenderedHTMLCommon code``) and
the forms' stylesheet already give it the theme's code font and background, trusted or not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

# Theme colours (JupyterLab's variables; fallbacks: its light theme, AA on white).
TEXT = "var(--jp-content-font-color1, #1a1a1a)"
MUTED = "var(--jp-content-font-color2, #4a4a4a)"
BORDER = "var(--jp-border-color1, #8a8a8a)"
SURFACE = "var(--jp-layout-color1, #ffffff)"
#: the accent of each kind of message: its left border only (text stays in the theme's text colour)
ACCENT = {
    "error": "var(--jp-error-color1, #b71c1c)",
    "success": "var(--jp-success-color1, #1b5e20)",
    "busy": "var(--jp-info-color1, #0d47a1)",
    "info": "var(--jp-info-color1, #0d47a1)",
}
#: a form's measure: label (140 px) + inputs (560 px); a form narrows it with ``--zen-measure``
MEASURE = "700px"

_FONT = "font-family:var(--jp-ui-font-family, system-ui, sans-serif)"
_CELL = "text-align:left;padding:1px 8px;vertical-align:top"
_TABLE_BORDER = f"border-style:solid;border-width:1px;border-radius:4px;border-color:{BORDER}"
_BOX = f"{_TABLE_BORDER};padding:6px 10px;margin:2px 0;color:{TEXT};{_FONT}"
_P = "margin:0;line-height:1.4"
_P_NEXT = "margin:4px 0 0;line-height:1.4"
_MUTED = f"color:{MUTED}"


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
    return f'<div class="zen-object" style="{_BOX}">{title}<table>{rows}</table></div>'


def list_html(items: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A table with one row per object and the given columns (the fields most worth seeing)."""
    if not items:
        return f'<i style="{_MUTED}">(none)</i>'
    head = "".join(f'<th style="{_CELL}">{escape(column)}</th>' for column in columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{_value(item.get(column))}</td>' for column in columns) + "</tr>"
        for item in items
    )
    return (
        f'<table class="zen-list" style="color:{TEXT}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f'<i style="{_MUTED}">{len(items)} item(s)</i>'
    )


def _inline(line: str) -> str:
    """One line escaped, its backticked spans (code to type or paste) as ``<code>``."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(line))


def _lines(text: str) -> list[str]:
    """Each line of ``text`` as inline HTML; an indented line is a command, shown whole as code."""
    shown = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line.startswith("  ") and "`" not in line:
            shown.append(f"<code>{escape(line.strip())}</code>")
        else:
            shown.append(_inline(line))
    return shown


def _paragraphs(lines: Sequence[str]) -> str:
    return "".join(f'<p style="{_P if number == 0 else _P_NEXT}">{line}</p>' for number, line in enumerate(lines))


def code_html(text: str) -> str:
    """``text`` escaped, with its backticked spans shown as ``<code>``; several lines as paragraphs."""
    lines = _lines(text)
    return lines[0] if len(lines) == 1 else _paragraphs(lines)


def message_html(kind: str, paragraphs: Sequence[str], *, role: str | None = None) -> str:
    """A message box (``kind``: a key of :data:`ACCENT`) of paragraphs already in HTML.

    Held to the form's measure, 1.4 line height; its colours are the theme's, its accent only
    the left border, so it reads the same in a form, as a cell's output and untrusted.
    """
    style = (
        f"box-sizing:border-box;max-width:{MEASURE};max-width:min(100%, var(--zen-measure, {MEASURE}));"
        "margin:6px 0 2px;padding:6px 10px;line-height:1.4;border-radius:3px;"
        "border-style:solid;border-width:1px 1px 1px 4px;"
        f"border-color:{BORDER};border-left-color:{ACCENT[kind]};color:{TEXT};background-color:{SURFACE};"
        # a tint of the accent over the theme's own background (a browser without color-mix keeps the line above)
        f"background-color:color-mix(in srgb, {ACCENT[kind]} 6%, {SURFACE});{_FONT}"
    )
    role_attribute = f' role="{role}"' if role else ""
    return f'<div class="zen-message zen-{kind}"{role_attribute} style="{style}">{_paragraphs(paragraphs)}</div>'


def error_html(kind: str, message: str, fix: str, details: Sequence[str]) -> str:
    """An error as one block: what happened, what to do, and the ids to quote (``role="alert"``)."""
    paragraphs = [f'<span class="zen-kind" style="font-weight:600">{escape(kind)}</span>: {_inline(message)}']
    fix_lines = _lines(fix)
    if fix_lines:
        paragraphs.append(f"<b>Fix:</b> {fix_lines[0]}")
        paragraphs.extend(fix_lines[1:])
    if details:  # in the text colour: the theme's muted grey on the tinted box falls under AA (4.48 : 1)
        paragraphs.append(f'<span class="zen-details" style="font-size:0.92em">{escape(", ".join(details))}</span>')
    return message_html("error", paragraphs, role="alert")


def success_html(message: str, *more: str) -> str:
    """A short confirmation (and any further paragraphs, e.g. what to do next)."""
    return message_html("success", [_inline(text) for text in (message, *more)], role="status")


def busy_html(message: str) -> str:
    """What a button is waiting for, while it waits (``role="status"``: a screen reader says it)."""
    return message_html("busy", [_inline(message)], role="status")


def info_html(message: str, *more: str) -> str:
    """A neutral note: what the form needs, or that an earlier result no longer applies (``role="status"``)."""
    return message_html("info", [_inline(text) for text in (message, *more)], role="status")
