"""Targets, the destinations of flows: full CRUD on a plane, at ``.../destinations``.

The vendor's "Create a Target" recipe posts to ``.../clusters/{planeId}/destinations``, the
canonical path; ``.../targets``, this kit's first spelling, stays an alias of every operation
(marked deprecated in the OpenAPI document), so that code written against either works.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .data import targets
from .deps import PlaneDep, StoreDep, TenantDep
from .destinations import url_problem
from .errors import ApiError
from .ids import new_id
from .pagination import CursorParam, LimitParam, decode_cursor, first_page_total, list_key, page
from .reads import read_now
from .schemas import TargetCreate, TargetUpdate

PLANE_PATH = "/tenants/{tenantId:id}/clusters/{planeId:id}"
CANONICAL = "destinations"
ALIAS = "targets"
router = APIRouter(prefix=f"{PLANE_PATH}/{CANONICAL}", tags=["targets"])
alias_router = APIRouter(prefix=f"{PLANE_PATH}/{ALIAS}", tags=["targets"], deprecated=True)

USERS_SHOWN = 5  # a 409 target_in_use names this many of the flows that use the target


def target_json(row: Any) -> dict[str, Any]:
    """A target as the recipe form answers it: its status as of now, its config echoed (secrets included)."""
    out = {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "status": targets.target_status(row),
        "url": row["url"],
        "config": targets.target_config(row),
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
    if row["description"] is not None:
        out["description"] = row["description"]
    return out


def _delivery_url(body: TargetCreate) -> str | None:
    """Where the target delivers: ``url``, or for an http target without one its ``config.url``.

    The vendor's recipe keeps everything of a target in ``config``, its URL too.
    """
    if body.url is not None or body.type != "http" or not isinstance(body.config, dict):
        return body.url
    url = body.config.get("url")
    if url is None:
        return None
    problem = _url_problem(url)
    if problem is not None:
        raise ApiError(400, "invalid_field", f"config.url: {problem}", field="config.url")
    return url


def _url_problem(url: Any) -> str | None:
    """Why ``url`` cannot be an http target's URL (the rule ``url`` is held to), or None."""
    if not isinstance(url, str):
        return "must be a string"
    if len(url) > 2048:
        return f"must be at most 2048 characters; got {len(url)}"
    return url_problem(url)


def create_target(
    body: TargetCreate, store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, response: Response
) -> dict:
    url = _delivery_url(body)
    if body.type == "http" and url is None:
        raise ApiError(
            400, "invalid_field", "a target of type 'http' needs a 'url' (or 'config.url') to deliver to", field="url"
        )
    target_id = new_id("dest")
    with store.transaction() as db:
        row = targets.insert_target(
            db,
            tenant.id,
            plane_id,
            target_id,
            name=body.name,
            type=body.type,
            url=url,
            description=body.description,
            config=body.config,
        )
    response.headers["Location"] = f"/tenants/{tenant.id}/clusters/{plane_id}/{CANONICAL}/{target_id}"
    return target_json(row)


def list_targets(
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    type: Literal["stripe", "http", "slack", "s3"] | None = Query(None, description="only targets of this type"),  # noqa: A002
) -> dict:
    # One list under both spellings of the path: a cursor of one pages the other.
    key = list_key("targets", tenant.id, plane_id, type=type)
    after = decode_cursor(cursor, key)
    with store.snapshot() as db:
        rows = targets.list_targets(db, tenant.id, plane_id, after, limit, type=type)
        total = first_page_total(cursor, rows, limit, lambda: targets.count_targets(db, tenant.id, plane_id, type=type))
    return page(rows, limit, target_json, key, items="destinations", total=total)


async def get_target(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, targetId: str) -> dict:  # noqa: N803
    return target_json(await read_now(store, lambda db: targets.require_target(db, tenant.id, plane_id, targetId)))


def update_target(
    targetId: str,  # noqa: N803
    body: TargetUpdate,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
) -> dict:
    changes = body.model_dump(exclude_unset=True)
    with store.transaction() as db:
        row = targets.require_target(db, tenant.id, plane_id, targetId)
        if changes.get("type", row["type"]) != row["type"]:
            raise ApiError(
                400,
                "type_immutable",
                f"a target's type cannot change (it is '{row['type']}'); create a new target of type "
                f"'{changes['type']}' and point the flows at it",
                field="type",
            )
        changes.pop("type", None)
        if row["type"] == "http" and "url" in changes and changes["url"] is None:
            raise ApiError(400, "invalid_field", "a target of type 'http' needs a 'url'", field="url")
        return target_json(targets.update_target(db, row, changes))


def delete_target(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, targetId: str) -> Response:  # noqa: N803
    with store.transaction() as db:
        row = targets.require_target(db, tenant.id, plane_id, targetId)
        users = targets.flows_using_target(db, tenant.id, plane_id, targetId, limit=USERS_SHOWN + 1)
        if users:
            names = ", ".join(f"'{name}'" for name in users[:USERS_SHOWN])
            raise ApiError(
                409,
                "target_in_use",
                f"target '{targetId}' is used by flow(s) {names}{', ...' if len(users) > USERS_SHOWN else ''}; "
                "delete those flows or point them at another target first",
            )
        targets.delete_target(db, row)
    return Response(status_code=204)


ONE = "/{targetId:id}"
for _router, _alias in ((router, ""), (alias_router, " (alias of .../destinations)")):
    _router.add_api_route("", create_target, methods=["POST"], status_code=201, summary="Create a target" + _alias)
    _router.add_api_route("", list_targets, methods=["GET"], summary="List targets" + _alias)
    _router.add_api_route(ONE, get_target, methods=["GET"], summary="Get a target" + _alias)
    _router.add_api_route(ONE, update_target, methods=["PATCH"], summary="Update a target" + _alias)
    _router.add_api_route(
        ONE,
        delete_target,
        methods=["DELETE"],
        status_code=204,
        summary="Delete a target that no flow uses" + _alias,
    )
