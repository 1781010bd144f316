"""Targets, the destinations of flows: full CRUD on a plane."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError, not_found
from .ids import new_id
from .pagination import CursorParam, LimitParam, decode_cursor, page
from .schemas import TargetCreate, TargetUpdate
from .store import utc_now

router = APIRouter(prefix="/tenants/{tenantId}/clusters/{planeId}/targets", tags=["targets"])


def target_json(row: Any) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "url": row["url"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
    if row["description"] is not None:
        out["description"] = row["description"]
    return out


def name_conflict(name: str, plane_id: str) -> ApiError:
    return ApiError(
        409,
        "target_name_conflict",
        f"a target named '{name}' already exists on plane '{plane_id}'; choose another name",
        field="name",
    )


def load_target(db: sqlite3.Connection, tenant_id: str, plane_id: str, target_id: str) -> sqlite3.Row:
    row = db.execute(
        "SELECT * FROM targets WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant_id, plane_id, target_id)
    ).fetchone()
    if row is None:
        raise not_found("target", target_id, f"GET .../clusters/{plane_id}/targets lists the plane's targets")
    return row


@router.post("", status_code=201, summary="Create a target")
def create_target(
    body: TargetCreate, store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, response: Response
) -> dict:
    if body.type == "http" and body.url is None:
        raise ApiError(400, "invalid_field", "a target of type 'http' needs a 'url' to deliver to", field="url")
    now = utc_now()
    target_id = new_id("dest")
    try:
        with store.transaction() as db:
            db.execute(
                "INSERT INTO targets (tenant_id, plane_id, id, name, type, url, description, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tenant["id"], plane_id, target_id, body.name, body.type, body.url, body.description, now, now),
            )
            row = load_target(db, tenant["id"], plane_id, target_id)
    except sqlite3.IntegrityError:
        raise name_conflict(body.name, plane_id) from None
    response.headers["Location"] = f"/tenants/{tenant['id']}/clusters/{plane_id}/targets/{target_id}"
    return target_json(row)


@router.get("", summary="List targets")
def list_targets(
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    type: Literal["stripe", "http", "slack", "s3"] | None = Query(None, description="only targets of this type"),  # noqa: A002
) -> dict:
    sql = "SELECT * FROM targets WHERE tenant_id = ? AND plane_id = ? AND seq > ?"
    params: list[Any] = [tenant["id"], plane_id, decode_cursor(cursor)]
    if type is not None:
        sql += " AND type = ?"
        params.append(type)
    rows = store.read(sql + " ORDER BY seq LIMIT ?", (*params, limit + 1))
    return page(rows, limit, target_json)


@router.get("/{targetId}", summary="Get a target")
def get_target(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, targetId: str) -> dict:  # noqa: N803
    with store.transaction() as db:
        return target_json(load_target(db, tenant["id"], plane_id, targetId))


@router.patch("/{targetId}", summary="Update a target")
def update_target(
    targetId: str,
    body: TargetUpdate,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,  # noqa: N803
) -> dict:
    changes = body.model_dump(exclude_unset=True)
    try:
        with store.transaction() as db:
            row = load_target(db, tenant["id"], plane_id, targetId)
            if changes.get("type", row["type"]) != row["type"]:
                raise ApiError(
                    400,
                    "type_immutable",
                    f"a target's type cannot change (it is '{row['type']}'); create a new target of type "
                    f"'{changes['type']}' and point the flows at it",
                    field="type",
                )
            changes.pop("type", None)
            if "name" in changes and changes["name"] is None:
                raise ApiError(400, "invalid_field", "name cannot be null", field="name")
            if row["type"] == "http" and "url" in changes and changes["url"] is None:
                raise ApiError(400, "invalid_field", "a target of type 'http' needs a 'url'", field="url")
            if changes:
                columns = ", ".join(f"{column} = ?" for column in changes)
                db.execute(
                    f"UPDATE targets SET {columns}, updated_at = ? WHERE seq = ?",  # noqa: S608 - fixed columns
                    (*changes.values(), utc_now(), row["seq"]),
                )
            return target_json(load_target(db, tenant["id"], plane_id, targetId))
    except sqlite3.IntegrityError:
        raise name_conflict(changes["name"], plane_id) from None


@router.delete("/{targetId}", status_code=204, summary="Delete a target that no flow uses")
def delete_target(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, targetId: str) -> Response:  # noqa: N803
    with store.transaction() as db:
        row = load_target(db, tenant["id"], plane_id, targetId)
        users = db.execute(
            "SELECT DISTINCT f.name FROM flow_targets ft JOIN flows f ON f.id = ft.flow_id"
            " WHERE ft.tenant_id = ? AND ft.plane_id = ? AND ft.target_id = ? ORDER BY f.seq LIMIT 6",
            (tenant["id"], plane_id, targetId),
        ).fetchall()
        if users:
            names = ", ".join(f"'{user['name']}'" for user in users[:5]) + (", ..." if len(users) > 5 else "")
            raise ApiError(
                409,
                "target_in_use",
                f"target '{targetId}' is used by flow(s) {names}; delete those flows or point them "
                "at another target first",
            )
        db.execute("DELETE FROM targets WHERE seq = ?", (row["seq"],))
    return Response(status_code=204)
