"""The two forms of the Zen Mesh API the client speaks, behind one seam: paths, list parameters, fields, statuses.

The vendor documents its API twice (``zen-api.md`` §1 and §8): the **recipe form** the recipes use
(``{base}/tenants/{t}/clusters/{plane}/delivery-flows``, camelCase, oldest first, plane in the
path) and the **v1 form** its API pages describe (``{base}/v1/tenants/{t}/delivery-flows``,
snake_case, newest first, the plane a ``cluster_id`` field). The client asks its :class:`Dialect`
for a path, a body or a list's parameters and hands every answer to it to read; what comes back
is always in the recipe form's vocabulary, so objects, DataFrames and widgets are alike whichever
form the service speaks:

=====================  ==========================  ===========================================
the kit (recipe form)  v1 form                     note
=====================  ==========================  ===========================================
``source``             ``source_id``
``target {id, type}``  ``destination_id``,         one target per flow on v1
                       ``destination_type``
``planeId``            ``cluster_id``              v1 lists filter by it (server and client)
``createdAt``          ``attempted_at``            of a delivery attempt
``responseStatus``     ``response_code``
attempt ``succeeded``  ``delivered``
attempt ``failed``     ``failed`` or ``retrying``  v1's own word stays in ``deliveryStatus``
attempt ``pending``    ``pending``
``retryPolicy``        ``config.retry_policy``     ``{maxAttempts, backoffSeconds}``
=====================  ==========================  ===========================================

Every other snake_case field is read as its camelCase name; unknown fields are kept. A target's
``config`` is user data and kept exactly as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from .vocabulary import MAX_PAGE_SIZE
from .wire import snake_to_camel

RECIPE = "recipe"
V1 = "v1"
DIALECTS = (RECIPE, V1)

#: v1's delivery status → the kit's attempt status
V1_ATTEMPT_STATUS = {"delivered": "succeeded", "failed": "failed", "retrying": "failed", "pending": "pending"}
#: the kit's attempt status → what to ask a v1 service for (None: no server filter, filter here)
V1_STATUS_FILTER = {"succeeded": "delivered", "pending": "pending", "failed": None}

_V1_RENAMES = {
    "source_id": "source",
    "cluster_id": "planeId",
    "destination_id": "targetId",
    "response_code": "responseStatus",
    "attempted_at": "createdAt",
}


def choose(dialect: str | None, api_base: str) -> str:
    """The dialect asked for, or by ``ZEN_API_BASE``: ``v1`` when it ends in ``/v1``, else ``recipe``."""
    if dialect is None:
        return V1 if api_base.rstrip("/").endswith("/v1") else RECIPE
    if dialect not in DIALECTS:
        from .errors import ZenConfigError

        raise ZenConfigError(
            f"dialect must be 'recipe' or 'v1', not {dialect!r}",
            fix="Leave it out to choose by ZEN_API_BASE (a base ending in /v1 speaks v1), or pass dialect='v1'.",
        )
    return dialect


def api_root(dialect: str, api_base: str) -> tuple[str, str]:
    """``(root, prefix)``: the host's API root and the prefix of tenant paths under it.

    A v1 base ``https://api.zen-mesh.io/v1`` has the root ``https://api.zen-mesh.io`` (where the
    recipe form and the sandbox's own ``/_sandbox/...`` live) and the prefix ``/v1``.
    """
    base = api_base.rstrip("/")
    if dialect == V1:
        return (base[: -len("/v1")] if base.endswith("/v1") else base), "/v1"
    return base, ""


def segment(value: str) -> str:
    """One path segment, percent-encoded (an id with ``/`` or ``?`` stays one segment)."""
    return quote(value, safe="")


def camel_fields(item: Mapping[str, Any], renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A JSON object with its snake_case field names in camelCase (and ``renames`` applied first)."""
    renames = renames or {}
    out: dict[str, Any] = {}
    for key, value in item.items():
        name = renames.get(key) or (snake_to_camel(key) if "_" in key else key)
        out.setdefault(name, value)  # a service sending both spellings: the first one wins
    return out


class Dialect:
    """The recipe form (the base class) and what each call sends and reads in it."""

    name = RECIPE
    page_size = MAX_PAGE_SIZE  # the fewest requests for a whole list: the form's maximum
    newest_first = False
    plane_in_path = True

    # -- paths (under the tenant) ---------------------------------------------------------------

    def plane_path(self, plane_id: str, rest: str = "") -> str:
        return f"/clusters/{segment(plane_id)}{rest}"

    def flows_path(self, plane_id: str) -> str:
        return self.plane_path(plane_id, "/delivery-flows")

    def flow_path(self, plane_id: str, flow_id: str) -> str:
        return f"{self.flows_path(plane_id)}/{segment(flow_id)}"

    def targets_path(self, plane_id: str) -> str:
        return self.plane_path(plane_id, "/destinations")

    def target_path(self, plane_id: str, target_id: str) -> str:
        return f"{self.targets_path(plane_id)}/{segment(target_id)}"

    def attempts_path(self, plane_id: str) -> str:
        return self.plane_path(plane_id, "/delivery-attempts")

    def attempt_path(self, plane_id: str, attempt_id: str) -> str:
        return f"{self.attempts_path(plane_id)}/{segment(attempt_id)}"

    # -- bodies and parameters ----------------------------------------------------------------

    def flow_body(self, fields: dict[str, Any], plane_id: str) -> dict[str, Any]:
        """A create or update body from the kit's fields (``source``, ``target``/``targets``...)."""
        return _with_retry_policy(fields, "retryPolicy", ("maxAttempts", "backoffSeconds"))

    update_flow_method = "PATCH"

    def flow_filters(self, plane_id: str, status: Any, source: Any, target_type: Any) -> dict[str, Any]:
        return {"status": status, "source": source, "targetType": target_type}

    def target_body(self, fields: dict[str, Any], plane_id: str) -> dict[str, Any]:
        return fields

    def target_filters(self, plane_id: str, type: Any) -> dict[str, Any]:
        return {"type": type}

    def attempt_filters(self, plane_id: str, filters: dict[str, Any]) -> dict[str, Any]:
        """``filters`` holds ``flow``, ``event``, ``target``, ``status``, ``since``, ``until`` (ids and ISO text)."""
        return {
            "flowId": filters["flow"],
            "eventId": filters["event"],
            "targetId": filters["target"],
            "status": filters["status"],
            "since": filters["since"],
            "until": filters["until"],
        }

    # -- reading answers -----------------------------------------------------------------------

    def read_flow(self, item: Mapping[str, Any]) -> dict[str, Any]:
        flow = _camel_if_needed(item)
        policy = flow.get("retryPolicy")
        if policy is not None and isinstance(policy, Mapping):  # most flows have none: skip the ABC check
            flow["retryPolicy"] = _camel_if_needed(policy)
        return flow

    def read_target(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return _camel_if_needed(item)

    def read_attempt(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return _camel_if_needed(item)

    def keeps(self, plane_id: str | None, filters: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool] | None:
        """A client-side check of items read (None: the server's filters are enough)."""
        return None


class V1Dialect(Dialect):
    """The v1 form: tenant-wide paths with ``cluster_id``, snake_case, newest first, at most 100 a page."""

    name = V1
    page_size = 100  # the v1 pages' maximum ("limit" 1 to 100, default 20)
    newest_first = True
    plane_in_path = False
    update_flow_method = "PUT"

    def flows_path(self, plane_id: str) -> str:
        return "/delivery-flows"

    def targets_path(self, plane_id: str) -> str:
        return "/destinations"

    def attempts_path(self, plane_id: str) -> str:
        return "/deliveries"

    def flow_body(self, fields: dict[str, Any], plane_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "source":
                body["source_id"] = value
            elif key == "target":
                body["destination_id"] = value["id"]
            elif key == "retryPolicy":
                body["config"] = {"retry_policy": _snake_policy(value)}
            else:
                body[key] = value
        if plane_id is not None and "source_id" in body:  # on create only: a flow's plane is fixed
            body["cluster_id"] = plane_id
        return body

    def flow_filters(self, plane_id: str | None, status: Any, source: Any, target_type: Any) -> dict[str, Any]:
        return {"cluster_id": plane_id, "status": status, "source_id": source}

    def target_body(self, fields: dict[str, Any], plane_id: str | None) -> dict[str, Any]:
        return {**fields, "cluster_id": plane_id} if plane_id is not None and "type" in fields else fields

    def target_filters(self, plane_id: str | None, type: Any) -> dict[str, Any]:
        return {"cluster_id": plane_id, "type": type}

    def attempt_filters(self, plane_id: str | None, filters: dict[str, Any]) -> dict[str, Any]:
        status = filters["status"]
        return {
            "cluster_id": plane_id,
            "flow_id": filters["flow"],
            "event_id": filters["event"],
            "destination_id": filters["target"],
            "status": V1_STATUS_FILTER.get(status, status) if status is not None else None,
            "since": filters["since"],
            "until": filters["until"],
        }

    def read_flow(self, item: Mapping[str, Any]) -> dict[str, Any]:
        rest = {
            key: value for key, value in item.items() if key not in ("destination_id", "destination_type", "config")
        }
        flow = camel_fields(rest, _V1_RENAMES)
        if flow.get("description", "") is None:
            del flow["description"]  # the recipe form leaves out a description never set
        destination = item.get("destination_id", item.get("destinationId"))
        if destination is not None:
            kind = item.get("destination_type", item.get("destinationType"))
            flow["target"] = {"id": destination, "type": kind} if kind is not None else {"id": destination}
        config = item.get("config")
        if isinstance(config, Mapping):
            policy = config.get("retry_policy")
            if isinstance(policy, Mapping):  # shown only when set, as the recipe form does
                flow["retryPolicy"] = camel_fields(policy)
            rest = {key: value for key, value in config.items() if key != "retry_policy"}
            if rest:
                flow["config"] = rest
        elif config is not None:
            flow["config"] = config
        return flow

    def read_target(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return camel_fields(item, _V1_RENAMES)

    def read_attempt(self, item: Mapping[str, Any]) -> dict[str, Any]:
        attempt = camel_fields(item, _V1_RENAMES)
        word = attempt.get("status")
        attempt["deliveryStatus"] = word
        attempt["status"] = V1_ATTEMPT_STATUS.get(word, word) if isinstance(word, str) else word
        return attempt

    def keeps(self, plane_id: str | None, filters: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool] | None:
        """A real v1 service ignores filters it does not know (the pagination page says so): check here too."""
        wanted = {key: value for key, value in filters.items() if value is not None}
        if plane_id is not None:
            wanted["planeId"] = plane_id
        if not wanted:
            return None

        def keep(item: Mapping[str, Any]) -> bool:
            for key, value in wanted.items():
                found = item.get("target", {}).get("type") if key == "targetType" else item.get(key)
                if found is not None and found != value:
                    return False
            return True

        return keep


def for_name(name: str) -> Dialect:
    """The :class:`Dialect` of a name from :func:`choose`."""
    return V1Dialect() if name == V1 else Dialect()


#: Key shapes (an object's field names, in order) seen to hold no snake_case name. The items of a
#: list share a shape or a few, so the check of every key is made once per shape, not once per item
#: (for a 100,000-flow load it was most of the dialect's cost); a mixed page is still read item by
#: item, since an item of another shape is checked anew. Bounded: cleared when full.
_CAMEL_SHAPES: set[tuple[str, ...]] = set()
_MAX_SHAPES = 512


def _camel_if_needed(item: Mapping[str, Any]) -> dict[str, Any]:
    """The recipe form is camelCase already; a service that answers snake_case is read alike."""
    shape = tuple(item)
    if shape in _CAMEL_SHAPES:
        return dict(item)
    if any("_" in key for key in shape):
        return camel_fields(item)
    if len(_CAMEL_SHAPES) >= _MAX_SHAPES:
        _CAMEL_SHAPES.clear()
    _CAMEL_SHAPES.add(shape)
    return dict(item)


def _with_retry_policy(fields: dict[str, Any], key: str, names: tuple[str, str]) -> dict[str, Any]:
    if isinstance(fields.get(key), Mapping):
        policy = fields[key]
        fields = {**fields, key: {name: policy[name] for name in names if name in policy}}
    return fields


def _snake_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, snake in (("maxAttempts", "max_attempts"), ("backoffSeconds", "backoff_seconds")):
        if name in policy:
            out[snake] = policy[name]
    return out
