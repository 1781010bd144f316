"""``ZenClient``: every call of the Zen Mesh API, for recipes, widgets and DataFrames.

``ZenClient()`` reads the ``ZEN_*`` environment; calls that live on a plane use
``ZEN_PLANE_ID`` unless given ``plane=``. Objects come back as :mod:`zen_nb.objects` (dicts that
keep every field); errors are :mod:`zen_nb.errors`. The client speaks either form of the API
(:mod:`zen_nb.dialects`: the recipes' form, or v1 when ``ZEN_API_BASE`` ends in ``/v1``), and
answers in the recipe form's vocabulary whichever it speaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from urllib3.util.retry import Retry

from . import dialects
from .arguments import (
    UNSET,
    Moment,
    TargetSpec,
    chunks,
    given_fields,
    iso_timestamp,
    object_id,
    optional_id,
)
from .config import ZenConfig
from .errors import ConflictError, FormNotSupported, NotFoundError, ZenAPIError, ZenError
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
    RetryOutcome,
    Target,
    Tenant,
)
from .transport import DEFAULT_TIMEOUT, Transport, checked_idempotency_key, part_key
from .wire import Page, list_items, next_cursor

if TYPE_CHECKING:
    from .retry_plan import RetryPlan

Reader = Callable[[Mapping[str, Any]], dict[str, Any]]


class ZenClient:
    """A client of the Zen Mesh API (the real service or the local sandbox, by ``ZEN_API_BASE``).

    ``dialect``: ``"recipe"`` (the recipes' paths, ``/tenants/{t}/clusters/{plane}/...``) or
    ``"v1"`` (the vendor's API pages, ``/v1/tenants/{t}/...``); ``None`` chooses ``v1`` when
    ``ZEN_API_BASE`` ends in ``/v1``. ``auth_header``: ``"bearer"`` (``Authorization: Bearer``)
    or ``"x-api-key"`` (``X-API-Key``), the same token either way.
    """

    def __init__(
        self,
        config: ZenConfig | None = None,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: Retry | int | None = None,
        dialect: str | None = None,
        auth_header: str = "bearer",
    ) -> None:
        self.config = config if config is not None else ZenConfig()
        self.dialect = dialects.for_name(dialects.choose(dialect, self.config.api_base))
        root, prefix = dialects.api_root(self.dialect.name, self.config.api_base)
        self._http = Transport(
            self.config, timeout=timeout, retry=retry, root=root, prefix=prefix, auth_header=auth_header
        )

    def __repr__(self) -> str:
        return (
            f"<ZenClient {self.config.api_base} tenant={self.config.tenant_id} plane={self.config.plane_id} "
            f"dialect={self.dialect.name}>"
        )

    def __enter__(self) -> ZenClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # -- paths -------------------------------------------------------------------------------

    def _plane_id(self, plane: str | Mapping[str, Any] | None) -> str:
        return object_id(plane) if plane is not None else self.config.plane_id

    def _plane_path(self, plane: str | Mapping[str, Any] | None, rest: str = "") -> str:
        return self.dialect.plane_path(self._plane_id(plane), rest)

    def _recipe_call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """A call of the recipe form, whichever form this client speaks (the v1 form has no such call).

        The v1 pages document no planes, adapters, ingesters or event ingestion under ``/v1``
        that this kit can rely on; the recipe form at the same host root has them (the sandbox
        serves both). A host without it says so plainly instead of a bare 404.
        """
        if self.dialect.name == dialects.RECIPE:
            return self._http.request(method, path, body=body, params=params, idempotency_key=idempotency_key)
        full = f"/tenants/{dialects.segment(self.config.tenant_id)}{path}"
        try:
            return self._http.request(
                method, full, body=body, params=params, under_tenant=False, idempotency_key=idempotency_key
            )
        except ZenAPIError as error:
            if error.status == 405 or (isinstance(error, NotFoundError) and error.code in (None, "not_found")):
                raise FormNotSupported(
                    f"{self.config.api_base} speaks the v1 form, which has no {what}; the recipe form at "
                    f"{self._http.root} does not answer it either (HTTP {error.status})",
                    fix="Point ZEN_API_BASE at the recipe form (the host without /v1), or pass dialect='recipe'.",
                ) from None
            raise

    def _pages(
        self,
        path: str,
        params: Mapping[str, Any],
        read: Reader | None,
        keep: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """A list's pages as the kit reads them: each item through ``read``, oldest first, filtered by ``keep``.

        A v1 service lists newest first: all its pages are read, then given back in the
        recipe form's order (oldest first), so both forms give equal lists and frames.

        The first page is a :class:`~zen_nb.wire.Page` whose ``total`` is the list's, when the
        service gave one and it still counts what is yielded (no client-side ``keep``); the
        loaders' progress bar reads it. Every other page's ``total`` is None.
        """
        pages = self._http.pages(path, {"limit": self.dialect.page_size, **params})
        if self.dialect.newest_first:
            items = [item for page in pages for item in page]
            items.reverse()
            pages = chunks(items, self.dialect.page_size)
        for number, page in enumerate(pages):
            total = getattr(page, "total", None) if number == 0 and keep is None else None
            if read is not None:
                page = [read(item) for item in page]
            if keep is not None:
                page = [item for item in page if keep(item)]
            yield Page(page, total)

    def _each(
        self,
        path: str,
        kind: type[ApiObject],
        read: Reader | None = None,
        keep: Callable[[Mapping[str, Any]], bool] | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        for page in self._pages(path, params, read, keep):
            for item in page:
                yield kind(item)

    # -- tenant, planes, adapters, ingesters --------------------------------------------------

    def get_tenant(self) -> Tenant:
        """The tenant of ``ZEN_TENANT_ID``: ``id``, ``name``, ``plan``."""
        return Tenant(self._recipe_call("GET", "", "tenant"))

    def list_planes(self) -> ObjectList:
        """Every plane of the tenant."""
        return ObjectList(Plane(item) for item in self._recipe_list("/clusters", "list of planes"))

    def get_plane(self, plane: str | None = None) -> Plane:
        """One plane (``ZEN_PLANE_ID`` by default)."""
        return Plane(self._recipe_call("GET", f"/clusters/{dialects.segment(self._plane_id(plane))}", "plane"))

    def list_adapters(self, plane: str | None = None) -> ObjectList:
        """The ingester adapters deployed on a plane."""
        path = f"/clusters/{dialects.segment(self._plane_id(plane))}/adapters"
        return ObjectList(Adapter(item) for item in self._recipe_list(path, "adapters"))

    def list_ingesters(self, plane: str | None = None) -> ObjectList:
        """The ingesters of a plane: the sources a flow can start from."""
        path = f"/clusters/{dialects.segment(self._plane_id(plane))}/ingesters"
        return ObjectList(Ingester(item) for item in self._recipe_list(path, "ingesters"))

    def get_ingester(self, ingester: str, plane: str | None = None) -> Ingester:
        """One ingester."""
        path = f"/clusters/{dialects.segment(self._plane_id(plane))}/ingesters/{dialects.segment(ingester)}"
        return Ingester(self._recipe_call("GET", path, "ingesters"))

    def _recipe_list(self, path: str, what: str) -> list[dict[str, Any]]:
        """Every item of a list that only the recipe form has (planes, adapters, ingesters), in either form."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": dialects.Dialect.page_size}
        while True:
            body = self._recipe_call("GET", path, what, params=params)
            items += list_items(body)
            cursor = next_cursor(body)
            if cursor is None or cursor == params.get("cursor"):
                return items
            params = {**params, "cursor": cursor}

    # -- targets ---------------------------------------------------------------------------------

    def create_target(
        self,
        name: str,
        type: str,
        *,
        config: Mapping[str, Any] | None = None,
        url: str | None = None,
        description: str | None = None,
        plane: str | None = None,
        idempotency_key: str | None = None,
    ) -> Target:
        """Create a target (``type`` is ``stripe``, ``http``, ``slack`` or ``s3``; ``http`` needs ``url``).

        ``config`` is the target's settings as the Create-a-Target recipe sends them (e.g.
        ``{"apiKey": ..., "webhookSecret": ...}``); the API echoes it, and the kit never shows
        its secrets (:mod:`zen_nb.secrets`). Safe to retry: see ``idempotency_key`` in
        :meth:`create_flow`.
        """
        fields: dict[str, Any] = {"name": name, "type": type}
        for key, value in (("config", config), ("url", url), ("description", description)):
            if value is not None:
                fields[key] = dict(value) if key == "config" else value
        plane_id = self._plane_id(plane)
        body = self.dialect.target_body(fields, plane_id)
        return Target(
            self.dialect.read_target(
                self._http.request(
                    "POST", self.dialect.targets_path(plane_id), body=body, idempotency_key=idempotency_key
                )
            )
        )

    def iter_targets(self, plane: str | None = None, *, type: str | None = None) -> Iterator[Target]:
        """The targets of a plane, page by page."""
        plane_id = self._plane_id(plane)
        keep = self.dialect.keeps(plane_id, {"type": type})
        params = self.dialect.target_filters(plane_id, type)
        return self._each(self.dialect.targets_path(plane_id), Target, self.dialect.read_target, keep, **params)

    def list_targets(self, plane: str | None = None, *, type: str | None = None) -> ObjectList:
        """Every target of a plane (of one ``type`` if given)."""
        return ObjectList(self.iter_targets(plane, type=type))

    def _target_path(self, target: str | Mapping[str, Any], plane: str | None) -> str:
        return self.dialect.target_path(self._plane_id(plane), object_id(target))

    def get_target(self, target: str | Mapping[str, Any], plane: str | None = None) -> Target:
        """One target."""
        return Target(self.dialect.read_target(self._http.request("GET", self._target_path(target, plane))))

    def update_target(
        self,
        target: str | Mapping[str, Any],
        *,
        name: str = UNSET,
        url: str | None = UNSET,
        description: str | None = UNSET,
        config: Mapping[str, Any] = UNSET,
        status: str = UNSET,
        plane: str | None = None,
    ) -> Target:
        """Change a target's name, url, description (``None`` clears it), ``config`` or ``status``
        (``active`` or ``disabled``)."""
        body = given_fields(name=name, url=url, description=description, config=config, status=status)
        body = self.dialect.target_body(body, self._plane_id(plane))
        answer = self._http.request("PATCH", self._target_path(target, plane), body=body)
        return Target(self.dialect.read_target(answer))

    def delete_target(self, target: str | Mapping[str, Any], plane: str | None = None) -> None:
        """Delete a target that no flow uses (:class:`~zen_nb.errors.TargetInUse` otherwise)."""
        self._http.request("DELETE", self._target_path(target, plane))

    # -- delivery flows --------------------------------------------------------------------------

    def _target_ref(self, target: TargetSpec, plane: str | None) -> dict[str, str]:
        """``{"id", "type"}`` from a dict, a :class:`Target` or an id (whose type is looked up)."""
        if isinstance(target, str):
            if not self.dialect.plane_in_path:
                return {"id": target}  # v1 takes the id alone: no look-up
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
        if len(refs) != 1 and not self.dialect.plane_in_path:
            raise FormNotSupported(
                "the v1 form has one destination per flow: it has no fan-out to several targets",
                fix="Create one flow per target, or use the recipe form (dialect='recipe') on a Business+ plan.",
            )
        return {"targets": refs} if len(refs) != 1 else {"target": refs[0]}

    def _read_flow(self, answer: Any) -> Flow:
        return Flow(self.dialect.read_flow(answer))

    def create_flow(
        self,
        name: str,
        source: str | Mapping[str, Any],
        target: TargetSpec | Iterable[TargetSpec],
        *,
        description: str | None = None,
        status: str | None = None,
        retry_policy: Mapping[str, int] | None = None,
        plane: str | None = None,
        idempotency_key: str | None = None,
    ) -> Flow:
        """Create a delivery flow from ``source`` (an ingester) to ``target``, as in the recipe.

        ``target`` is ``{"id": ..., "type": ...}``, a :class:`Target`, or a target id; a list of
        them is a fan-out flow (Business+ plan, recipe form only). ``retry_policy``
        (``{"maxAttempts": 3, "backoffSeconds": 10}``) replaces the service's retry schedule
        for this flow.

        Safe to retry: the request carries an ``Idempotency-Key``, the same on each of the
        client's own retries, so a create whose answer was lost is not made twice. By default
        the key is new for each call, so once a call has raised (a
        :class:`~zen_nb.errors.ServerError` for a 503 after its retries, a
        :class:`~zen_nb.errors.ZenConnectionError`), calling again may create a second flow if
        the first call was carried out. To call again safely, give a key of your own
        (``idempotency_key="create-orders-flow-1"``, 1 to 255 printable ASCII characters) and
        give the same key, with the same arguments, the second time: the API answers the first
        call's flow if it made it (for 24 hours), and creates it otherwise. Other arguments with
        the same key are refused (:class:`~zen_nb.errors.IdempotencyKeyReusedError`, nothing
        made); a :class:`~zen_nb.errors.ConflictError` ``idempotency_key_in_use`` means the first
        call is still running on the server (it timed out here): wait a moment and call again.
        """
        fields: dict[str, Any] = {"name": name, "source": object_id(source), **self._targets_body(target, plane)}
        for key, value in (("description", description), ("status", status), ("retryPolicy", retry_policy)):
            if value is not None:
                fields[key] = value
        plane_id = self._plane_id(plane)
        body = self.dialect.flow_body(fields, plane_id)
        answer = self._http.request(
            "POST", self.dialect.flows_path(plane_id), body=body, idempotency_key=idempotency_key
        )
        return self._read_flow(answer)

    def _flow_listing(
        self, plane: str | None, status: str | None, source: str | None, target_type: str | None
    ) -> tuple[str, dict[str, Any], Callable[[Mapping[str, Any]], bool] | None]:
        plane_id = self._plane_id(plane)
        params = self.dialect.flow_filters(plane_id, status, source, target_type)
        keep = self.dialect.keeps(plane_id, {"status": status, "source": source, "targetType": target_type})
        return self.dialect.flows_path(plane_id), params, keep

    def iter_flows(
        self,
        plane: str | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        target_type: str | None = None,
    ) -> Iterator[Flow]:
        """The flows of a plane, fetched page by page as you iterate, optionally filtered."""
        path, params, keep = self._flow_listing(plane, status, source, target_type)
        return self._each(path, Flow, self.dialect.read_flow, keep, **params)

    def flow_pages(
        self,
        plane: str | None = None,
        *,
        status: str | None = None,
        source: str | None = None,
        target_type: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The flows of a plane as pages of plain JSON dicts (in the recipe form's fields): for loaders."""
        path, params, keep = self._flow_listing(plane, status, source, target_type)
        return self._pages(path, params, self.dialect.read_flow, keep)

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
        return self._read_flow(self._http.request("GET", self._flow_path(flow, plane)))

    def update_flow(
        self,
        flow: str | Mapping[str, Any],
        *,
        name: str = UNSET,
        description: str | None = UNSET,
        status: str = UNSET,
        target: TargetSpec | Iterable[TargetSpec] = UNSET,
        retry_policy: Mapping[str, int] = UNSET,
        plane: str | None = None,
    ) -> Flow:
        """Change a flow's name, description (``None`` clears it), status, target or retry policy. The source is fixed.

        The recipe form sends a PATCH, the v1 form a PUT of the same fields (a partial update in both).
        """
        body = given_fields(name=name, description=description, status=status, retryPolicy=retry_policy)
        if target is not UNSET:
            body.update(self._targets_body(target, plane))
        body = self.dialect.flow_body(body, None)
        return self._read_flow(
            self._http.request(self.dialect.update_flow_method, self._flow_path(flow, plane), body=body)
        )

    def pause_flow(
        self, flow: str | Mapping[str, Any], plane: str | None = None, *, idempotency_key: str | None = None
    ) -> Flow:
        """Pause a flow: its events are held until it is resumed. Pausing a paused flow changes nothing.

        ``idempotency_key`` as in :meth:`create_flow` (the v1 form sends a PUT, which needs none).
        """
        if not self.dialect.plane_in_path:  # v1 has no /pause: its PUT sets the status
            return self.update_flow(flow, status="paused", plane=plane)
        path = self._flow_path(flow, plane, "/pause")
        return self._read_flow(self._http.request("POST", path, idempotency_key=idempotency_key))

    def resume_flow(
        self, flow: str | Mapping[str, Any], plane: str | None = None, *, idempotency_key: str | None = None
    ) -> Flow:
        """Resume a flow: the events held while it was paused are delivered.

        ``idempotency_key`` as in :meth:`create_flow` (the v1 form sends a PUT, which needs none).
        """
        if not self.dialect.plane_in_path:
            return self.update_flow(flow, status="active", plane=plane)
        path = self._flow_path(flow, plane, "/resume")
        return self._read_flow(self._http.request("POST", path, idempotency_key=idempotency_key))

    def delete_flow(self, flow: str | Mapping[str, Any], plane: str | None = None) -> None:
        """Delete a flow. It is gone: getting it afterwards is :class:`~zen_nb.errors.FlowNotFound`."""
        self._http.request("DELETE", self._flow_path(flow, plane))

    def _flow_path(self, flow: str | Mapping[str, Any], plane: str | None, rest: str = "") -> str:
        return self.dialect.flow_path(self._plane_id(plane), object_id(flow)) + rest

    # -- events and delivery attempts ------------------------------------------------------------

    def ingest_event(
        self,
        ingester: str | Mapping[str, Any],
        payload: Mapping[str, Any],
        plane: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Event:
        """Send an event to an ingester as its provider would; every flow from that ingester delivers it.

        The API accepts the event (202) before any delivery is made, so the answer lists the
        deliveries it ``queued`` (or ``held``, for paused flows), not their outcome: follow
        them with ``list_attempts(event=...)``. Safe to retry: the request carries an
        idempotency key, so a retried send is not a second event; ``idempotency_key`` (as in
        :meth:`create_flow`) makes a call again after an error just as safe. (The v1 form documents
        no ingestion under ``/v1``: a v1 client sends it to the recipe form at the same host.)
        """
        plane_path = f"/clusters/{dialects.segment(self._plane_id(plane))}"
        path = f"{plane_path}/ingesters/{dialects.segment(object_id(ingester))}/events"
        return Event(self._recipe_call("POST", path, "event ingestion", body=payload, idempotency_key=idempotency_key))

    def _attempt_listing(
        self,
        plane: str | None,
        flow: str | Mapping[str, Any] | None,
        event: str | Mapping[str, Any] | None,
        target: str | Mapping[str, Any] | None,
        status: str | None,
        since: Moment | None,
        until: Moment | None,
    ) -> tuple[str, dict[str, Any], Callable[[Mapping[str, Any]], bool] | None]:
        plane_id = self._plane_id(plane)
        filters = {
            "flow": optional_id(flow),
            "event": optional_id(event),
            "target": optional_id(target),
            "status": status,
            "since": iso_timestamp(since),
            "until": iso_timestamp(until),
        }
        kept = {"flowId": filters["flow"], "eventId": filters["event"], "targetId": filters["target"], "status": status}
        keep = self.dialect.keeps(plane_id, kept)
        return self.dialect.attempts_path(plane_id), self.dialect.attempt_filters(plane_id, filters), keep

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
        On the v1 form, ``failed`` is both of its ``failed`` and ``retrying`` (filtered here), and
        every page is read before the first attempt is given (v1 lists newest first).
        """
        path, params, keep = self._attempt_listing(plane, flow, event, target, status, since, until)
        return self._each(path, DeliveryAttempt, self.dialect.read_attempt, keep, **params)

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
        """The attempts of a plane as pages of plain JSON dicts (recipe-form fields): for loaders.

        On the recipe form the pages are the API's own JSON, unread (the fastest path for a
        large load; :mod:`zen_nb.frames` reads snake_case there too).
        """
        path, params, keep = self._attempt_listing(plane, flow, event, target, status, since, until)
        read = self.dialect.read_attempt if self.dialect.newest_first else None
        return self._pages(path, params, read, keep)

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
        answer = self._http.request("GET", self._attempt_path(attempt, plane))
        return DeliveryAttempt(self.dialect.read_attempt(answer))

    def retry_attempt(
        self, attempt: str | Mapping[str, Any], plane: str | None = None, *, idempotency_key: str | None = None
    ) -> DeliveryAttempt:
        """Deliver an attempt's event again, now: a new attempt with trigger ``manual``.

        The answer is the new attempt while it is still ``pending`` (on v1: as read back just
        after, so it may have completed already); :meth:`get_attempt` shows its outcome. A manual
        attempt that fails is not retried automatically. On the v1 form
        this is the batch retry with one id (``/v1/.../retry/batch``): it retries exactly this
        delivery, where ``/events/{id}/retry`` would retry every failed delivery of the event;
        v1 retries only a delivery's latest failed attempt (else :class:`~zen_nb.errors.ConflictError`
        ``nothing_to_retry``). ``idempotency_key`` as in :meth:`create_flow`: the same key again
        after an error gives the first call's new attempt, not a second delivery.
        """
        if self.dialect.plane_in_path:
            path = self._attempt_path(attempt, plane, "/retry")
            answer = self._http.request("POST", path, idempotency_key=idempotency_key)
            return DeliveryAttempt(self.dialect.read_attempt(answer))
        outcomes = self._retry_batch([object_id(attempt)], idempotency_key)
        if len(outcomes) != 1:
            raise ZenError(
                f"the batch retry of one delivery answered {len(outcomes)} outcomes",
                fix="Retry with list_attempts to see the delivery's attempts; report this answer to Zen Mesh.",
            )
        outcome = outcomes[0]
        if outcome["status"] == "queued":
            return self.get_attempt(outcome["retryAttemptId"], plane)
        if outcome["status"] == "not_found":
            self.get_attempt(outcome["attemptId"], plane)  # raises the service's own 404, with its request id
        raise ConflictError(
            f"delivery attempt '{outcome['attemptId']}' has nothing to retry: it was delivered, is still pending, "
            "a later attempt of its delivery exists, or its flow was deleted (the v1 form retries only a "
            "delivery's latest failed attempt)",
            status=409,
            code="nothing_to_retry",
            fix="Retry the latest failed attempt of the delivery (list_attempts(event=..., status='failed')).",
        )

    def retry_attempts(
        self,
        attempts: Iterable[str | Mapping[str, Any]],
        plane: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ObjectList:
        """Retry many attempts at once: one :class:`RetryOutcome` each (``queued``, ``skipped`` or ``not_found``).

        The v1 form sends them in batches of 100 (``/v1/.../retry/batch``); the recipe form
        retries them one by one (and never skips: it retries any attempt). ``idempotency_key``
        as in :meth:`create_flow`: each request gets a key made from it and what it retries, so
        the same call again, with the same key and attempts, retries none of them twice.
        """
        ids = [object_id(attempt) for attempt in attempts]
        if idempotency_key is not None:
            checked_idempotency_key(idempotency_key)  # refused now, before any retry is sent
        if not self.dialect.plane_in_path:
            return ObjectList(
                RetryOutcome(item)
                for start in range(0, len(ids), 100)
                for item in self._retry_batch(ids[start : start + 100], part_key(idempotency_key, start))
            )
        outcomes = ObjectList()
        for attempt_id in ids:
            try:
                made = self.retry_attempt(attempt_id, plane, idempotency_key=part_key(idempotency_key, attempt_id))
            except NotFoundError as error:
                if error.code not in (None, "attempt_not_found"):
                    raise
                outcomes.append(RetryOutcome(attemptId=attempt_id, status="not_found", retryAttemptId=None))
            else:
                outcomes.append(RetryOutcome(attemptId=attempt_id, status="queued", retryAttemptId=made["id"]))
        return outcomes

    def _retry_batch(self, ids: list[str], idempotency_key: str | None = None) -> list[dict[str, Any]]:
        """The v1 batch retry of ``ids`` (1 to 100), read as ``{attemptId, status, retryAttemptId}`` each."""
        answer = self._http.request("POST", "/retry/batch", body={"delivery_ids": ids}, idempotency_key=idempotency_key)
        outcomes = []
        listed = answer.get("deliveries") if isinstance(answer, Mapping) else None
        for item in listed or []:
            read = dialects.camel_fields(item, {"delivery_id": "attemptId", "retry_delivery_id": "retryAttemptId"})
            read.setdefault("retryAttemptId", None)
            outcomes.append(read)
        return outcomes

    def _retry_batch_recipe(
        self, ids: list[str], plane: str | None = None, idempotency_key: str | None = None
    ) -> list[dict[str, Any]]:
        """The recipe form's batch retry of ``ids`` (1 to 100, ``.../delivery-attempts/retry``), read as
        :meth:`_retry_batch` reads v1's: ``{attemptId, status, retryAttemptId}`` each, in the order given.

        Only the local sandbox has it on the recipe form (a real service answers 404 or 405): callers
        fall back to :meth:`retry_attempt` one by one there.
        """
        path = self.dialect.attempts_path(self._plane_id(plane)) + "/retry"
        answer = self._http.request("POST", path, body={"attemptIds": ids}, idempotency_key=idempotency_key)
        listed = answer.get("attempts") if isinstance(answer, Mapping) else None
        return [{"retryAttemptId": None, **item} for item in listed or [] if isinstance(item, Mapping)]

    def _attempt_path(self, attempt: str | Mapping[str, Any], plane: str | None, rest: str = "") -> str:
        return self.dialect.attempt_path(self._plane_id(plane), object_id(attempt)) + rest

    def plan_retry(
        self,
        plane: str | None = None,
        *,
        flow: str | Mapping[str, Any] | None = None,
        target: str | Mapping[str, Any] | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        only_undelivered: bool = True,
        source: str = "attempts",
        name: str | None = None,
    ) -> RetryPlan:
        """Plan a bulk retry: which deliveries of a window a run would retry, and why the others are left.

        Reads the attempts (of ``flow`` and ``target``, made in ``[since, until)``) and changes
        nothing: ``plan.deliveries``, ``plan.summary`` and ``plan.sample()`` show the plan, and
        ``plan.run()`` retries each planned delivery's latest attempt once, with a bounded number
        of requests in flight, and answers a :class:`~zen_nb.retry_run.RetryResult`. A plan made
        again from the same arguments (after a kernel restart) has the same ``plan.id`` and
        never retries a delivery twice (:mod:`zen_nb.retry_plan`); ``name`` makes another plan.
        ``only_undelivered=False`` sends delivered ones again too; ``source="dlq"`` plans only the
        dead letters (deliveries with no retry left). Works against any service with the single
        retry call, through its batch retry call where it has one.
        """
        from .retry_plan import plan_retry

        return plan_retry(
            self,
            plane,
            flow=flow,
            target=target,
            since=since,
            until=until,
            only_undelivered=only_undelivered,
            source=source,
            name=name,
        )

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

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Advance the local sandbox's delivery clock by ``seconds``, for this tenant's deliveries only.

        Every retry of the tenant's that is due within the next ``seconds`` is made now, and the
        later ones come as much sooner, so that a retry schedule (minutes or hours apart) plays
        out in seconds: fix a failing target, advance the clock, and watch the events delivered.
        Returns ``advancedSeconds``, ``moved`` (deliveries brought forward), ``dueNow``, ``queued``
        and ``nextDueAt`` (the next one not yet due, or None). ``seconds`` is more than 0 and at
        most 30 days. Only the local sandbox has a delivery clock: against the real service this
        raises :class:`ZenError`.
        """
        body = {"advanceSeconds": seconds, "tenantId": self.config.tenant_id}
        try:
            return dict(self._http.request("POST", "/_sandbox/clock", body=body, under_tenant=False))
        except ZenAPIError as error:
            # Only the sandbox has /_sandbox/...; the real service knows no such path.
            if (isinstance(error, NotFoundError) and error.code in (None, "not_found")) or error.status == 405:
                raise ZenError(
                    f"{self.config.api_base} has no delivery clock: only the local sandbox has one",
                    fix=f"Point ZEN_API_BASE at a sandbox ({code(SANDBOX_COMMAND)} in a terminal, or "
                    f"{code(START_SANDBOX_PYTHON)} in Python, then {code(NEW_CLIENT)}) to advance its clock; "
                    "a real service makes its retries on its own schedule.",
                ) from None
            raise
