"""What every v1 router shares: the tenant prefix, the tag, the 404s, and timestamps of filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from ..data import stamp
from ..errors import ApiError
from ..timestamps import parse_timestamp

PREFIX = "/v1/tenants/{tenantId:id}"
TAG = "v1"

TimeParam = Annotated[str | None, Query(max_length=64, description="ISO 8601 timestamp, e.g. 2024-01-15T10:30:00Z")]
ClusterParam = Annotated[
    str | None, Query(max_length=128, description="only this plane's (an extension of the sandbox: the plane id)")
]

# Where a v1 client finds the ids of each kind, for the 404's fix.
_LISTS = {
    "flow": "GET /v1/tenants/{tenantId}/delivery-flows",
    "destination": "GET /v1/tenants/{tenantId}/destinations",
    "delivery": "GET /v1/tenants/{tenantId}/deliveries",
    "event": "GET /v1/tenants/{tenantId}/deliveries (each names its event_id)",
    "ingester": "GET /tenants/{tenantId}/clusters/{planeId}/ingesters",
    "plane": "GET /tenants/{tenantId}/clusters",
}
# The recipe form's code of each kind's 404 (a destination is a target there).
_CODES = {"destination": "target_not_found", "delivery": "attempt_not_found"}


def not_found(kind: str, ident: str, tenant_id: str, field: str | None = None) -> ApiError:
    """The 404 of a v1 object that the tenant has none of: the recipe form's code, a v1 fix."""
    where = _LISTS[kind].replace("{tenantId}", tenant_id)
    return ApiError(
        404,
        _CODES.get(kind, f"{kind}_not_found"),
        f"{kind} '{ident}' does not exist; {where} lists them",
        field=field,
    )


def stored_time(value: str | None, field: str) -> str | None:
    """A filter's timestamp in the stored form (UTC, milliseconds, Z), so strings compare in time order."""
    return stamp(parse_timestamp(value, field)) if value is not None else None


def window(first: str | None, second: str | None, names: tuple[str, str], latest: bool) -> str | None:
    """One bound of the time window, given under either of its names (``since``/``from``,
    ``until``/``to``), in the stored form; both given: both hold, so the narrower one (the later
    start, ``latest``, or the earlier end)."""
    bounds = [stored_time(value, name) for value, name in zip((first, second), names, strict=True) if value is not None]
    if not bounds:
        return None
    return max(bounds) if latest else min(bounds)  # type: ignore[type-var]
