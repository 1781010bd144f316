"""Delivery flows: one source (an ingester) to one target, or to several on ``business_plus``."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response

from .delivery import release_held
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError, not_found
from .ids import new_id
from .pagination import CursorParam, LimitParam, decode_cursor, page
from .routes_targets import load_target
from .schemas import FlowCreate, FlowUpdate, TargetRef
from .store import utc_now

router = APIRouter(prefix="/tenants/{tenantId}/clusters/{planeId}/delivery-flows", tags=["delivery flows"])

FAN_OUT_PLAN = "business_plus"

_TARGETS_OF_FLOWS = (
    "SELECT ft.flow_id, ft.target_id, t.type FROM flow_targets ft JOIN targets t"
    " ON t.tenant_id = ft.tenant_id AND t.plane_id = ft.plane_id AND t.id = ft.target_id"
    " WHERE ft.flow_id IN ({marks}) ORDER BY ft.flow_id, ft.position"
)


def flow_json(row: Any, targets: list[dict[str, str]]) -> dict[str, Any]:
    """The flow as the contract shows it; ``targets`` only for a fan-out flow."""
    out: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "source": row["source"],
        "target": targets[0],
        "status": row["status"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
    if row["description"] is not None:
        out["description"] = row["description"]
    if len(targets) > 1:
        out["targets"] = targets
    return out


def targets_by_flow(db: sqlite3.Connection, flow_ids: list[str]) -> dict[str, list[dict[str, str]]]:
    """The targets of many flows in one query, in their order."""
    found: dict[str, list[dict[str, str]]] = {flow_id: [] for flow_id in flow_ids}
    if flow_ids:
        sql = _TARGETS_OF_FLOWS.format(marks=",".join("?" * len(flow_ids)))
        for row in db.execute(sql, flow_ids):
            found[row["flow_id"]].append({"id": row["target_id"], "type": row["type"]})
    return found


def load_flow(db: sqlite3.Connection, tenant_id: str, plane_id: str, flow_id: str) -> sqlite3.Row:
    row = db.execute(
        "SELECT * FROM flows WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant_id, plane_id, flow_id)
    ).fetchone()
    if row is None:
        raise not_found("flow", flow_id, f"GET .../clusters/{plane_id}/delivery-flows lists the plane's flows")
    return row


def render_flow(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    return flow_json(row, targets_by_flow(db, [row["id"]])[row["id"]])


def name_conflict(name: str, plane_id: str) -> ApiError:
    return ApiError(
        409,
        "flow_name_conflict",
        f"a flow named '{name}' already exists on plane '{plane_id}'; names are unique per plane: "
        "choose another name, or update the existing flow",
        field="name",
    )


def check_targets(db: sqlite3.Connection, tenant: dict, plane_id: str, targets: list[TargetRef], field: str) -> None:
    """One target unless the plan has fan-out; each target exists and has the type the request says."""
    if len(targets) > 1 and tenant["plan"] != FAN_OUT_PLAN:
        raise ApiError(
            403,
            "plan_upgrade_required",
            f"a flow connects one source to one target on plan '{tenant['plan']}'; fan-out to several "
            "targets needs the Business+ plan: create one flow per target, or upgrade",
            field=field,
        )
    ids = [target.id for target in targets]
    if len(set(ids)) != len(ids):
        raise ApiError(400, "invalid_field", "a flow lists the same target twice", field=field)
    for target in targets:
        row = load_target(db, tenant["id"], plane_id, target.id)
        if row["type"] != target.type:
            raise ApiError(
                400,
                "target_type_mismatch",
                f"target '{target.id}' is of type '{row['type']}', not '{target.type}'; "
                f'send "type": "{row["type"]}"',
                field="target.type" if field == "target" else f"{field}.type",
            )


def one_target_form(body: FlowCreate | FlowUpdate, required: bool) -> tuple[list[TargetRef] | None, str]:
    """The targets of a request body, written as ``target`` or ``targets`` but not both."""
    if body.target is not None and body.targets is not None:
        raise ApiError(400, "invalid_field", "send either 'target' or 'targets', not both", field="targets")
    if body.target is not None:
        return [body.target], "target"
    if body.targets is not None:
        return list(body.targets), "targets"
    if required:
        raise ApiError(
            400, "missing_field", '\'target\' is required: {"id": <target id>, "type": <its type>}', field="target"
        )
    return None, "target"


def replace_targets(
    db: sqlite3.Connection, tenant_id: str, plane_id: str, flow_id: str, targets: list[TargetRef]
) -> None:
    db.execute("DELETE FROM flow_targets WHERE flow_id = ?", (flow_id,))
    db.executemany(
        "INSERT INTO flow_targets (flow_id, position, tenant_id, plane_id, target_id) VALUES (?, ?, ?, ?, ?)",
        [(flow_id, position, tenant_id, plane_id, target.id) for position, target in enumerate(targets)],
    )


@router.post("", status_code=201, summary="Create a delivery flow")
def create_flow(body: FlowCreate, store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, response: Response) -> dict:
    targets, field = one_target_form(body, required=True)
    assert targets is not None
    now = utc_now()
    flow_id = new_id("flow")
    try:
        with store.transaction() as db:
            if (
                db.execute(
                    "SELECT 1 FROM ingesters WHERE tenant_id = ? AND plane_id = ? AND id = ?",
                    (tenant["id"], plane_id, body.source),
                ).fetchone()
                is None
            ):
                raise not_found(
                    "ingester",
                    body.source,
                    f"the source must be an ingester of plane '{plane_id}' "
                    f"(GET .../clusters/{plane_id}/ingesters lists them)",
                )
            check_targets(db, tenant, plane_id, targets, field)
            db.execute(
                "INSERT INTO flows (tenant_id, plane_id, id, name, source, description, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tenant["id"], plane_id, flow_id, body.name, body.source, body.description, body.status, now, now),
            )
            replace_targets(db, tenant["id"], plane_id, flow_id, targets)
            created = render_flow(db, load_flow(db, tenant["id"], plane_id, flow_id))
    except sqlite3.IntegrityError:
        raise name_conflict(body.name, plane_id) from None
    response.headers["Location"] = f"/tenants/{tenant['id']}/clusters/{plane_id}/delivery-flows/{flow_id}"
    return created


@router.get("", summary="List delivery flows")
def list_flows(
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    status: Literal["active", "paused"] | None = Query(None, description="only flows in this status"),
    source: str | None = Query(None, max_length=128, description="only flows from this ingester"),
    targetType: Literal["stripe", "http", "slack", "s3"] | None = Query(  # noqa: N803
        None, description="only flows delivering to a target of this type"
    ),
) -> dict:
    sql = "SELECT * FROM flows f WHERE f.tenant_id = ? AND f.plane_id = ? AND f.seq > ?"
    params: list[Any] = [tenant["id"], plane_id, decode_cursor(cursor)]
    if status is not None:
        sql += " AND f.status = ?"
        params.append(status)
    if source is not None:
        sql += " AND f.source = ?"
        params.append(source)
    if targetType is not None:
        sql += (
            " AND EXISTS (SELECT 1 FROM flow_targets ft JOIN targets t ON t.tenant_id = ft.tenant_id"
            " AND t.plane_id = ft.plane_id AND t.id = ft.target_id WHERE ft.flow_id = f.id AND t.type = ?)"
        )
        params.append(targetType)
    with store.transaction() as db:
        rows = db.execute(sql + " ORDER BY f.seq LIMIT ?", (*params, limit + 1)).fetchall()
        targets = targets_by_flow(db, [row["id"] for row in rows[:limit]])
    return page(rows, limit, lambda row: flow_json(row, targets[row["id"]]))


@router.get("/{flowId}", summary="Get a delivery flow")
def get_flow(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, flowId: str) -> dict:  # noqa: N803
    with store.transaction() as db:
        return render_flow(db, load_flow(db, tenant["id"], plane_id, flowId))


@router.patch("/{flowId}", summary="Update a delivery flow (name, description, status, target)")
def update_flow(
    request: Request,
    flowId: str,  # noqa: N803
    body: FlowUpdate,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
) -> dict:
    changes = body.model_dump(exclude_unset=True, include={"name", "description", "status"})
    targets, field = one_target_form(body, required=False)
    try:
        with store.transaction() as db:
            row = load_flow(db, tenant["id"], plane_id, flowId)
            if body.source is not None and body.source != row["source"]:
                raise ApiError(
                    400,
                    "source_immutable",
                    f"a flow's source cannot change (it is '{row['source']}'); create a new flow "
                    f"from '{body.source}' instead",
                    field="source",
                )
            for column in ("name", "status"):
                if column in changes and changes[column] is None:
                    raise ApiError(400, "invalid_field", f"{column} cannot be null", field=column)
            if targets is not None:
                check_targets(db, tenant, plane_id, targets, field)
                replace_targets(db, tenant["id"], plane_id, flowId, targets)
            if changes or targets is not None:
                columns = "".join(f"{column} = ?, " for column in changes)
                db.execute(
                    f"UPDATE flows SET {columns}updated_at = ? WHERE seq = ?",  # noqa: S608 - fixed columns
                    (*changes.values(), utc_now(), row["seq"]),
                )
            if changes.get("status") == "active":
                release_held(db, flowId)  # a PATCH to active resumes, as POST .../resume does
            flow = render_flow(db, load_flow(db, tenant["id"], plane_id, flowId))
        request.app.state.deliverer.wake()
        return flow
    except sqlite3.IntegrityError:
        raise name_conflict(str(changes.get("name")), plane_id) from None


def _set_status(store: StoreDep, tenant: dict, plane_id: str, flow_id: str, status: str) -> dict:
    with store.transaction() as db:
        row = load_flow(db, tenant["id"], plane_id, flow_id)
        if row["status"] != status:
            db.execute("UPDATE flows SET status = ?, updated_at = ? WHERE seq = ?", (status, utc_now(), row["seq"]))
        if status == "active":
            release_held(db, flow_id)  # held events are delivered now, with trigger 'resume'
        return render_flow(db, load_flow(db, tenant["id"], plane_id, flow_id))


@router.post("/{flowId}/pause", summary="Pause a flow (idempotent): its events are held")
def pause_flow(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, flowId: str) -> dict:  # noqa: N803
    return _set_status(store, tenant, plane_id, flowId, "paused")


@router.post("/{flowId}/resume", summary="Resume a flow (idempotent): held events are delivered")
def resume_flow(request: Request, store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, flowId: str) -> dict:  # noqa: N803
    flow = _set_status(store, tenant, plane_id, flowId, "active")
    request.app.state.deliverer.wake()
    return flow


@router.delete("/{flowId}", status_code=204, summary="Delete a delivery flow")
def delete_flow(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, flowId: str) -> Response:  # noqa: N803
    with store.transaction() as db:
        row = load_flow(db, tenant["id"], plane_id, flowId)
        # Its queued deliveries go with it; a manual attempt waiting in that queue ends as failed.
        db.execute(
            "UPDATE attempts SET status = 'failed', error_code = 'flow_deleted' WHERE id IN"
            " (SELECT attempt_id FROM deliveries WHERE flow_id = ? AND attempt_id IS NOT NULL)",
            (flowId,),
        )
        db.execute("DELETE FROM flows WHERE seq = ?", (row["seq"],))
    return Response(status_code=204)
