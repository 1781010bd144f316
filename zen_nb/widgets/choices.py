"""The flow form's pickers: short option labels, and the id kept where a narrow picker cannot cut it off.

At 150 % zoom a picker is too narrow for "orders-webhook — http (dest_http_orders_webhook)":
the id, the part a user quotes, went first. So the options carry the name (and a target's
type), and the id goes in the picker's tooltip and in a line under it, which wraps rather
than clips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import ipywidgets as widgets


def option_label(item: Mapping[str, Any], with_type: bool = False) -> str:
    """What a picker shows for ``item``: its name (its id when it has none), and its type for a target."""
    label = str(item.get("name") or item["id"])
    return f"{label} — {item['type']}" if with_type and item.get("type") else label


def set_options(picker: widgets.Dropdown, options: Sequence[tuple[str, str]]) -> None:
    """New choices for a picker, keeping its value when it is still a choice, else the first."""
    kept = picker.value if any(value == picker.value for _, value in options) else None
    picker.options = list(options)
    picker.value = kept if kept is not None else (options[0][1] if options else None)


def id_line(picker: widgets.Dropdown, kind: str | None = None) -> str:
    """The line under ``picker``: ``type http · id dest_…`` (``kind``: the picked item's type, if any).

    Also sets the picker's tooltip to the picked option and its id, for a pointer that hovers it.
    """
    value = picker.value
    if value is None:
        picker.tooltip = None
        return ""
    label = next((label for label, option in picker.options if option == value), str(value))
    picker.tooltip = f"{label} · id {value}"
    parts = [f"type <code>{escape(kind)}</code>"] if kind else []
    parts.append(f"id <code>{escape(str(value))}</code>")
    return " · ".join(parts)
