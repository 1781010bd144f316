"""The retry form's window: "Since" and "Until" as typed, checked before anything is sent.

The attempt list takes ``since`` (inclusive) and ``until`` (exclusive) and answers an empty
list for a window that ends before it starts: a plan of nothing, with no word on why. So the
form reads the two fields itself and names the problem on the field, with the fix, as the
flow form does for a name. What it sends is the moment in the API's own form (UTC, ``Z``), so
that the same window typed two ways gives the same plan (the plan's id comes from its arguments).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..arguments import iso_timestamp
from ..errors import ZenError

EXAMPLE = "2026-12-01 or 2026-12-01T09:30:00Z"
HINT = f"UTC, e.g. {EXAMPLE}; empty: no bound"


@dataclass
class Window:
    """The window read from the two fields: each bound in the API's form (None: no bound), and any problems."""

    since: str | None = None
    until: str | None = None
    problems: dict[str, str] = field(default_factory=dict)  # "since" / "until" -> the problem and its fix


def _moment(text: str, label: str) -> tuple[str | None, str | None]:
    """``text`` as the API's timestamp, or the problem with it (a sentence that ends with the fix)."""
    if not text.strip():
        return None, None
    try:
        return iso_timestamp(text.strip()), None
    except ZenError:
        return None, f"{label} “{text.strip()}” is not a date or a time: type one such as {EXAMPLE}, or leave it empty"


def read_window(since_text: str, until_text: str) -> Window:
    """The window of the two fields' texts; ``Until`` not after ``Since`` is a problem on ``Until``."""
    window = Window()
    window.since, since_problem = _moment(since_text, "Since")
    window.until, until_problem = _moment(until_text, "Until")
    if since_problem:
        window.problems["since"] = since_problem
    if until_problem:
        window.problems["until"] = until_problem
    if window.since and window.until and _parsed(window.until) <= _parsed(window.since):
        window.problems["until"] = (
            f"Until ({window.until}) is not after Since ({window.since}), so the window holds no attempt: "
            "make Until later than Since, or leave it empty"
        )
    return window


def _parsed(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.removesuffix("Z"))
