"""``ZenClient``: every call of the Zen Mesh API, for recipes, widgets and DataFrames.

``ZenClient()`` reads the ``ZEN_*`` environment; calls that live on a plane use
``ZEN_PLANE_ID`` unless given ``plane=``. Objects come back as :mod:`zen_nb.objects` (dicts that
keep every field); errors are :mod:`zen_nb.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from urllib3.util.retry import Retry

from .config import ZenConfig
from .errors import NotFoundError, ZenAPIError, ZenError
from .hints import NEW_CLIENT, SANDBOX_COMMAND, START_SANDBOX_PYTHON, code
from .objects import (
    Adapter,
    ApiObject,
    DeliveryAttempt,
    Event,
    Flow,
    Ingester,
    ObjectList,
    Plane,
    Target,
    Tenant,
)
from .transport import DEFAULT_TIMEOUT, Transport
from .vocabulary import MAX_PAGE_SIZE

PAGE_SIZE = MAX_PAGE_SIZE  # the fewest requests for a whole list


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


def _given(**fields: Any) -> dict[str, Any]:
    """The fields of an update that were given (``None`` included: it clears a field)."""
    return {key: value for key, value in fields.items() if value is not UNSET}


def _segment(value: str) -> str:
    return quote(value, safe="")


def _optional_id(value: str | Mapping[str, Any] | None) -> str | None:
    return None if value is None else object_id(value)


def iso_timestamp(value: Moment | None) -> str | None:
    """A moment as the API writes timestamps: UTC ISO 8601 with a ``Z`` (``2024-01-15T10:30:00Z``).

    A naive ``datetime`` is taken as UTC (the API's zone), not as local time: a notebook's
    ``datetime(2024, 1, 15)`` then means the same on every machine.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:  # Python 3.10's fromisoformat does not read a trailing Z
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
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


class ZenClient:
    """A client of the Zen Mesh API (the real service or the local sandbox, by ``ZEN_API_BASE``)."""

    def __init__(
        self,
        config: ZenConfig | None = None,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: Retry | int | None = None,
    ) -> None:
        self.config = config if config is not None else ZenConfig()
        self._http = Transport(self.config, timeout=timeout, retry=retry)

    def __repr__(self) -> str:
        return f"<ZenClient {self.config.api_base} tenant={self.config.tenant_id} plane={self.config.plane_id}>"

    def __enter__(self) -> ZenClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # -- paths -------------------------------------------------------------------------------

    def _plane_path(self, plane: str | Mapping[str, Any] | None, rest: str = "") -> str:
        plane_id = object_id(plane) if plane is not None else self.config.plane_id
        return f"/clusters/{_segment(plane_id)}{rest}"

    def _each(self, path: str, kind: type[ApiObject], **params: Any) -> Iterator[Any]:
        for page in self._http.pages(path, {"limit": PAGE_SIZE, **params}):
            for item in page:
                yield kind(item)

    # -- tenant, planes, adapters, ingesters --------------------------------------------------

    def get_tenant(self) -> Tenant:
        """The tenant of ``ZEN_TENANT_ID``: ``id``, ``name``, ``plan``."""
        return Tenant(self._http.request("GET", ""))

    def list_planes(self) -> ObjectList:
        """Every plane of the tenant."""
        return ObjectList(self._each("/clusters", Plane))

    def get_plane(self, plane: str | None = None) -> Plane:
        """One plane (``ZEN_PLANE_ID`` by default)."""
        return Plane(self._http.request("GET", self._plane_path(plane)))

    def list_adapters(self, plane: str | None = None) -> ObjectList:
        """The ingester adapters deployed on a plane."""
        return ObjectList(self._each(self._plane_path(plane, "/adapters"), Adapter))

    def list_ingesters(self, plane: str | None = None) -> ObjectList:
        """The ingesters of a plane: the sources a flow can start from."""
        return ObjectList(self._each(self._plane_path(plane, "/ingesters"), Ingester))

    def get_ingester(self, ingester: str, plane: str | None = None) -> Ingester:
        """One ingester."""
        return Ingester(self._http.request("GET", self._plane_path(plane, f"/ingesters/{_segment(ingester)}")))

    # -- targets ---------------------------------------------------------------------------------

    def create_target(
        self, name: str, type: str, *, url: str | None = None, description: str | None = None, plane: str | None = None
    ) -> Target:
        """Create a target (``type`` is ``stripe``, ``http``, ``slack`` or ``s3``; ``http`` needs ``url``)."""
        body: dict[str, Any] = {"name": name, "type": type}
        if url is not None:
            body["url"] = url
        if description is not None:
            body["description"] = description
        return Target(self._http.request("POST", self._plane_path(plane, "/targets"), body=body))

    def iter_targets(self, plane: str | None = None, *, type: str | None = None) -> Iterator[Target]:
        """The targets of a plane, page by page."""
        return self._each(self._plane_path(plane, "/targets"), Target, type=type)

    def list_targets(self, plane: str | None = None, *, type: str | None = None) -> ObjectList:
        """Every target of a plane (of one ``type`` if given)."""
        return ObjectList(self.iter_targets(plane, type=type))

    def get_target(self, target: str | Mapping[str, Any], plane: str | None = None) -> Target:
        """One target."""
        return Target(self._http.request("GET", self._plane_path(plane, f"/targets/{_segment(object_id(target))}")))

    def update_target(
        self,
        target: str | Mapping[str, Any],
        *,
        name: str = UNSET,
        url: str | None = UNSET,
        description: str | None = UNSET,
        plane: str | None = None,
    ) -> Target:
        """Change a target's name, url or description (``description=None`` clears it)."""
        body = _given(name=name, url=url, description=description)
        path = self._plane_path(plane, f"/targets/{_segment(object_id(target))}")
        return Target(self._http.request("PATCH", path, body=body))

    def delete_target(self, target: str | Mapping[str, Any], plane: str | None = None) -> None:
        """Delete a target that no flow uses (:class:`~zen_nb.errors.TargetInUse` otherwise)."""
        self._http.request("DELETE", self._plane_path(plane, f"/targets/{_segment(object_id(target))}"))

    # -- delivery flows --------------------------------------------------------------------------

    def _target_ref(self, target: TargetSpec, plane: str | None) -> dict[str, str]:
        """``{"id", "type"}`` from a dict, a :class:`Target` or an id (whose type is looked up)."""
        if isinstance(target, str):
            found = self.get_target(target, plane)
            return {"id": found["id"], "type": found["type"]}
        if not isinstance(target, Mapping) or "id" not in target:
            raise ZenError(
                f"a flow's target must be {{'id': ..., 'type': ...}}, a Target, or a target id; got {target!r}",
                fix="Pass target={'id': 'dest_...', 'type': 'stripe'} as in the recipe.",
            )
        if "type" not in target:
            return self._target_ref(str(target["id"]), plane)
        return {"id": str(target["id"]), "type": str(target["type"])}

    def _targets_body(self, target: TargetSpec | Iterable[TargetSpec], plane: str | None) -> dict[str, Any]:
        if isinstance(target, (str, Mapping)):
            return {"target": self._target_ref(target, plane)}
        if not isinstance(target, Iterable):
            return {"target": self._target_ref(target, plane)}  # refused there, with the fix
        refs = [self._target_ref(item, plane) for item in target]
        return {"targets": refs} if len(refs) != 1 else {"target": refs[0]}

    def create_flow(
        self,
        name: str,
        source: str | Mapping[str, Any],
        target: TargetSpec | Iterable[TargetSpec],
        *,
        description: str | None = None,
        status: str | None = None,
        plane: str | None = None,
    ) -> Flow:
        """Create a delivery flow from ``source`` (an ingester) to ``target``, as in the recipe.

        ``target`` is ``{"id": ..., "type": ...}``, a :class:`Target`, or a target id; a list of
        them is a fan-out flow (Business+ plan). Safe to retry: the request carries an
        idempotency key.
        """
        body: dict[str, Any] = {"name": name, "source": object_id(source), **self._targets_body(target, plane)}
        if description is not None:
            body["description"] = description
        if status is not None:
            body["status"] = status
        return Flow(self._http.request("POST", self._plane_path(plane, "/delivery-flows"), body=body))

    def iter_flows(
        self,
        plane: str | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        target_type: str | None = None,
    ) -> Iterator[Flow]:
        """The flows of a plane, fetched page by page as you iterate, optionally filtered."""
        return self._each(
            self._plane_path(plane, "/delivery-flows"), Flow, status=status, source=source, targetType=target_type
        )

    def flow_pages(
        self,
        plane: str | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        target_type: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The flows of a plane as pages of plain JSON dicts: for loaders that build their own structures."""
        params = {"limit": PAGE_SIZE, "status": status, "source": source, "targetType": target_type}
        return self._http.pages(self._plane_path(plane, "/delivery-flows"), params)

    def list_flows(
        self,
        plane: str | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        target_type: str | None = None,
    ) -> ObjectList:
        """Every flow of a plane (all pages), optionally filtered by status, source and target type."""
        return ObjectList(self.iter_flows(plane, status=status, source=source, target_type=target_type))

    def get_flow(self, flow: str | Mapping[str, Any], plane: str | None = None) -> Flow:
        """One flow."""
        return Flow(self._http.request("GET", self._flow_path(flow, plane)))

    def update_flow(
        self,
        flow: str | Mapping[str, Any],
        *,
        name: str = UNSET,
        description: str | None = UNSET,
        status: str = UNSET,
        target: TargetSpec | Iterable[TargetSpec] = UNSET,
        plane: str | None = None,
    ) -> Flow:
        """Change a flow's name, description (``None`` clears it), status or target. The source is fixed."""
        body = _given(name=name, description=description, status=status)
        if target is not UNSET:
            body.update(self._targets_body(target, plane))
        return Flow(self._http.request("PATCH", self._flow_path(flow, plane), body=body))

    def pause_flow(self, flow: str | Mapping[str, Any], plane: str | None = None) -> Flow:
        """Pause a flow: its events are held until it is resumed. Pausing a paused flow changes nothing."""
        return Flow(self._http.request("POST", self._flow_path(flow, plane, "/pause")))

    def resume_flow(self, flow: str | Mapping[str, Any], plane: str | None = None) -> Flow:
        """Resume a flow: the events held while it was paused are delivered."""
        return Flow(self._http.request("POST", self._flow_path(flow, plane, "/resume")))

    def delete_flow(self, flow: str | Mapping[str, Any], plane: str | None = None) -> None:
        """Delete a flow. It is gone: getting it afterwards is :class:`~zen_nb.errors.FlowNotFound`."""
        self._http.request("DELETE", self._flow_path(flow, plane))

    def _flow_path(self, flow: str | Mapping[str, Any], plane: str | None, rest: str = "") -> str:
        return self._plane_path(plane, f"/delivery-flows/{_segment(object_id(flow))}{rest}")

    # -- events and delivery attempts ------------------------------------------------------------

    def ingest_event(
        self, ingester: str | Mapping[str, Any], payload: Mapping[str, Any], plane: str | None = None
    ) -> Event:
        """Send an event to an ingester as its provider would; every flow from that ingester delivers it.

        The API accepts the event (202) before any delivery is made, so the answer lists the
        deliveries it ``queued`` (or ``held``, for paused flows), not their outcome: follow
        them with ``list_attempts(event=...)``. Safe to retry: the request carries an
        idempotency key, so a retried send is not a second event.
        """
        path = self._plane_path(plane, f"/ingesters/{_segment(object_id(ingester))}/events")
        return Event(self._http.request("POST", path, body=payload))

    def _attempt_params(
        self,
        flow: str | Mapping[str, Any] | None,
        event: str | Mapping[str, Any] | None,
        target: str | Mapping[str, Any] | None,
        status: str | None,
        since: Moment | None,
        until: Moment | None,
    ) -> dict[str, Any]:
        return {
            "limit": PAGE_SIZE,
            "flowId": _optional_id(flow),
            "eventId": _optional_id(event),
            "targetId": _optional_id(target),
            "status": status,
            "since": iso_timestamp(since),
            "until": iso_timestamp(until),
        }

    def iter_attempts(
        self,
        plane: str | None = None,
        *,
        flow: str | Mapping[str, Any] | None = None,
        event: str | Mapping[str, Any] | None = None,
        target: str | Mapping[str, Any] | None = None,
        status: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
    ) -> Iterator[DeliveryAttempt]:
        """The delivery attempts of a plane, oldest first, fetched page by page as you iterate.

        Filters run on the server: ``flow``, ``event`` and ``target`` (ids or objects),
        ``status`` (``succeeded``, ``failed``, ``pending``), and ``since`` (inclusive) /
        ``until`` (exclusive) on ``createdAt``, each a datetime (naive means UTC) or ISO text.
        """
        params = self._attempt_params(flow, event, target, status, since, until)
        return self._each(self._plane_path(plane, "/delivery-attempts"), DeliveryAttempt, **params)

    def attempt_pages(
        self,
        plane: str | None = None,
        *,
        flow: str | Mapping[str, Any] | None = None,
        event: str | Mapping[str, Any] | None = None,
        target: str | Mapping[str, Any] | None = None,
        status: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The attempts of a plane as pages of plain JSON dicts: for loaders that build their own structures."""
        params = self._attempt_params(flow, event, target, status, since, until)
        return self._http.pages(self._plane_path(plane, "/delivery-attempts"), params)

    def list_attempts(
        self,
        plane: str | None = None,
        *,
        flow: str | Mapping[str, Any] | None = None,
        event: str | Mapping[str, Any] | None = None,
        target: str | Mapping[str, Any] | None = None,
        status: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
    ) -> ObjectList:
        """Every delivery attempt of a plane (all pages), filtered as in :meth:`iter_attempts`."""
        return ObjectList(
            self.iter_attempts(plane, flow=flow, event=event, target=target, status=status, since=since, until=until)
        )

    def get_attempt(self, attempt: str | Mapping[str, Any], plane: str | None = None) -> DeliveryAttempt:
        """One delivery attempt, as it is now (a ``pending`` one is updated when it completes)."""
        return DeliveryAttempt(self._http.request("GET", self._attempt_path(attempt, plane)))

    def retry_attempt(self, attempt: str | Mapping[str, Any], plane: str | None = None) -> DeliveryAttempt:
        """Deliver an attempt's event again, now: a new attempt with trigger ``manual``.

        The answer is the new attempt while it is still ``pending``; :meth:`get_attempt` shows
        its outcome. A manual attempt that fails is not retried automatically.
        """
        return DeliveryAttempt(self._http.request("POST", self._attempt_path(attempt, plane, "/retry")))

    def _attempt_path(self, attempt: str | Mapping[str, Any], plane: str | None, rest: str = "") -> str:
        return self._plane_path(plane, f"/delivery-attempts/{_segment(object_id(attempt))}{rest}")

    # -- the local sandbox -----------------------------------------------------------------------

    def simulate_traffic(
        self,
        *,
        events: int = 1000,
        days: float = 7,
        seed: int = 0,
        failure_rate: float | None = None,
        plane: str | None = None,
        start: Moment | None = None,
        flows: Iterable[str | Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Fill the local sandbox with a history of ``events`` events over ``days`` days, and their attempts.

        For analysis recipes that need data: every active flow of the tenant's plane
        (``ZEN_PLANE_ID``, another ``plane``, or ``"all"`` planes) gets seeded events, outcomes and
        automatic retries, so the same ``seed``, flows and ``start`` give the same history.
        ``flows`` (ids or flows, on any plane unless ``plane`` is given) limits the history to
        those flows, so a recipe's analysis never writes simulated traffic onto the user's others.
        ``failure_rate`` is the typical failure rate (the sandbox's default when ``None``);
        ``start`` defaults to midnight UTC today minus ``days``. Returns the counts written
        (``events``, ``attempts``, ``flows``) and the window (``start``, ``end``). Only the
        local sandbox simulates traffic: against the real service this raises :class:`ZenError`.
        """
        body: dict[str, Any] = {"tenantId": self.config.tenant_id, "events": events, "days": days, "seed": seed}
        if flows is not None:
            body["flowIds"] = [object_id(flow) for flow in flows]
        if plane is not None and plane != "all":
            body["planeId"] = object_id(plane)
        elif plane is None and flows is None:
            body["planeId"] = self.config.plane_id
        if failure_rate is not None:
            body["failureRate"] = failure_rate
        if start is not None:
            body["start"] = iso_timestamp(start)
        try:
            return dict(self._http.request("POST", "/_sandbox/simulate", body=body, under_tenant=False))
        except ZenAPIError as error:
            # Only the sandbox has /_sandbox/...; the real service knows no such path.
            if (isinstance(error, NotFoundError) and error.code in (None, "not_found")) or error.status == 405:
                raise ZenError(
                    f"{self.config.api_base} does not simulate traffic: only the local sandbox does",
                    fix=f"Point ZEN_API_BASE at a sandbox ({code(SANDBOX_COMMAND)} in a terminal, or "
                    f"{code(START_SANDBOX_PYTHON)} in Python, then {code(NEW_CLIENT)}) to simulate traffic; "
                    "on the real service, ingest events with client.ingest_event.",
                ) from None
            raise
