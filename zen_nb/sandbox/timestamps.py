"""Timestamps a request sends (attempt filters, a simulation's start), read the way the API writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import ApiError


def parse_timestamp(value: str, field: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive means UTC); 400 names the field."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, "invalid_field", f"{field} must be an ISO 8601 timestamp, e.g. 2024-01-15T10:30:00Z", field=field
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
