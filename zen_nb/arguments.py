"""The arguments the client's calls take: an object or its id, a moment in time, a keyword not given.

They are the client's vocabulary for what a notebook passes (a ``Flow`` or ``"flow_..."``, a
``datetime`` or ISO text), turned into what the API's paths, bodies and queries hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from .errors import ZenError


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Marks a keyword of an update as not given (``None`` means "clear it" where that is allowed)."""

TargetSpec = Mapping[str, Any] | str
"""A flow's target: ``{"id": ..., "type": ...}``, a :class:`Target` from this client, or a target id."""

Moment = datetime | date | str
"""A point in time: a ``datetime`` (naive means UTC), a ``date`` (its midnight UTC), or ISO 8601 text."""


def object_id(value: str | Mapping[str, Any]) -> str:
    """The id of an object given as its id or as the object."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return str(value)


def given_fields(**fields: Any) -> dict[str, Any]:
    """The fields of an update that were given (``None`` included: it clears a field)."""
    return {key: value for key, value in fields.items() if value is not UNSET}


def optional_id(value: str | Mapping[str, Any] | None) -> str | None:
    return None if value is None else object_id(value)


def utc_moment(text: str) -> datetime:
    """ISO 8601 text (a ``Z``, an offset, or no zone: UTC) as an aware UTC datetime; ``ValueError`` if it is none."""
    text = text.strip()
    # Python 3.10's fromisoformat does not read a trailing Z
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_timestamp(value: Moment | None) -> str | None:
    """A moment as the API writes timestamps: UTC ISO 8601 with a ``Z`` (``2024-01-15T10:30:00Z``).

    A naive ``datetime`` is taken as UTC (the API's zone), not as local time: a notebook's
    ``datetime(2024, 1, 15)`` then means the same on every machine.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = utc_moment(value)
        except ValueError:
            raise ZenError(
                f"{value!r} is not an ISO 8601 timestamp",
                fix="Pass a datetime, or text such as '2024-01-15T10:30:00Z' or '2024-01-15'.",
            ) from None
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raise ZenError(
            f"a timestamp must be a datetime, a date or ISO 8601 text; got {type(value).__name__}",
            fix="Pass e.g. datetime(2024, 1, 15, tzinfo=timezone.utc) or '2024-01-15T00:00:00Z'.",
        )
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # A plain datetime again (a pandas Timestamp would write nanoseconds), to the microsecond.
    plain = datetime(*moment.timetuple()[:6], moment.microsecond)
    return plain.isoformat() + "Z"


def chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
