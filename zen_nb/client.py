"""``ZenClient``: every call of the Zen Mesh API, for recipes, widgets and DataFrames.

``ZenClient()`` reads the ``ZEN_*`` environment; calls that live on a plane use
``ZEN_PLANE_ID`` unless given ``plane=``. Objects come back as :mod:`zen_nb.objects` (dicts that
keep every field); errors are :mod:`zen_nb.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from urllib3.util.retry import Retry

from .config import ZenConfig
from .errors import ZenError
from .objects import Adapter, ApiObject, Flow, Ingester, ObjectList, Plane, Target, Tenant
from .transport import DEFAULT_TIMEOUT, Transport

PAGE_SIZE = 250


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Marks a keyword of an update as not given (``None`` means "clear it" where that is allowed)."""

TargetSpec = Mapping[str, Any] | str
"""A flow's target: ``{"id": ..., "type": ...}``, a :class:`Target` from this client, or a target id."""


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
