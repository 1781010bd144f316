"""Delivery flows and their targets (``flow_targets``: one row per target, in order).

A flow reads as one row plus its targets; :func:`targets_of` fetches the targets of a whole
page of flows in one query. A flow may carry its own retry policy (:class:`RetryPolicy`, the
nullable columns ``retry_max_attempts`` and ``retry_backoff_seconds``): the delivery engine
follows it instead of the sandbox's retry schedule (``deliveries.retry_due_at``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .connection import utc_now
from .constraints import NotFound, unique_name
from .updates import update_named_row

# The columns a PATCH (or a v1 PUT) may change (the route checks the rules; the source never changes).
UPDATABLE = ("name", "description", "status", "retry_max_attempts", "retry_backoff_seconds")


MAX_ATTEMPTS = 20  # the most attempts a flow's retry policy may ask for (the sandbox's schedule allows 11)
MAX_BACKOFF_SECONDS = 86_400.0  # a day, as the sandbox's schedule allows between two attempts


@dataclass(frozen=True)
class RetryPolicy:
    """A flow's own retry policy; a None part falls back to the sandbox's retry schedule.

    ``max_attempts`` counts every automatic attempt of a delivery, the first included (a manual
    retry may always add one more); ``backoff_seconds`` is the wait after each failed one.
    """

    max_attempts: int | None = None
    backoff_seconds: float | None = None

    @classmethod
    def of(cls, row: sqlite3.Row) -> RetryPolicy:
        """The policy stored on a flow's row."""
        return cls(row["retry_max_attempts"], row["retry_backoff_seconds"])

    @classmethod
    def of_columns(cls, columns: dict[str, Any]) -> RetryPolicy:
        """The policy of :func:`policy_columns`' answer (a part not in it: the schedule's)."""
        return cls(columns.get("retry_max_attempts"), columns.get("retry_backoff_seconds"))

    @property
    def is_set(self) -> bool:
        return self.max_attempts is not None or self.backoff_seconds is not None


def policy_columns(holder: Any, field: str, parts: tuple[str, str]) -> dict[str, Any]:
    """The columns a request's retry policy sets: ``holder.<field>`` is the policy model (``parts``
    names its max-attempts and backoff fields, in the request's spelling). A part left out keeps
    its value, null clears it, and a null policy clears both; no policy given changes nothing."""
    if holder is None or field not in holder.model_fields_set:
        return {}
    policy = getattr(holder, field)
    if policy is None:
        return {"retry_max_attempts": None, "retry_backoff_seconds": None}
    changes: dict[str, Any] = {}
    for part, column in zip(parts, ("retry_max_attempts", "retry_backoff_seconds"), strict=True):
        if part in policy.model_fields_set:
            changes[column] = getattr(policy, part)
    return changes


_TARGETS_OF_FLOWS = (
    "SELECT ft.flow_id, ft.target_id, t.type FROM flow_targets ft JOIN targets t"
    " ON t.tenant_id = ft.tenant_id AND t.plane_id = ft.plane_id AND t.id = ft.target_id"
    " WHERE ft.flow_id IN ({marks}) ORDER BY ft.flow_id, ft.position"
)


def insert_flow(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    flow_id: str,
    *,
    name: str,
    source: str,
    description: str | None,
    status: str,
    target_ids: Sequence[str],
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one shared default is safe
) -> sqlite3.Row:
    """Add a flow with its targets and return its row; :class:`NameTaken` if the name is taken."""
    now = utc_now()
    with unique_name("flows", "flow", name, plane_id):
        db.execute(
            "INSERT INTO flows (tenant_id, plane_id, id, name, source, description, status, created_at, updated_at,"
            " retry_max_attempts, retry_backoff_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id, plane_id, flow_id, name, source, description, status, now, now,
                retry.max_attempts, retry.backoff_seconds,
            ),
        )  # fmt: skip
    set_targets(db, tenant_id, plane_id, flow_id, target_ids)
    return require_flow(db, tenant_id, plane_id, flow_id)


def set_targets(db: sqlite3.Connection, tenant_id: str, plane_id: str, flow_id: str, target_ids: Sequence[str]) -> None:
    """Make ``target_ids`` the flow's targets, in this order."""
    db.execute("DELETE FROM flow_targets WHERE flow_id = ?", (flow_id,))
    db.executemany(
        "INSERT INTO flow_targets (flow_id, position, tenant_id, plane_id, target_id) VALUES (?, ?, ?, ?, ?)",
        [(flow_id, position, tenant_id, plane_id, target_id) for position, target_id in enumerate(target_ids)],
    )


def get_flow(db: sqlite3.Connection, tenant_id: str, plane_id: str, flow_id: str) -> sqlite3.Row | None:
    return db.execute(
        "SELECT * FROM flows WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant_id, plane_id, flow_id)
    ).fetchone()


def require_flow(db: sqlite3.Connection, tenant_id: str, plane_id: str, flow_id: str) -> sqlite3.Row:
    """The flow's row, or :class:`NotFound`."""
    row = get_flow(db, tenant_id, plane_id, flow_id)
    if row is None:
        raise NotFound("flow", flow_id, plane_id)
    return row


def flow_exists(db: sqlite3.Connection, flow_id: str) -> bool:
    """Whether a flow with this id exists (ids are unique across tenants)."""
    return db.execute("SELECT 1 FROM flows WHERE id = ?", (flow_id,)).fetchone() is not None


def targets_of(db: sqlite3.Connection, flow_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """The targets (``{"id", "type"}``) of many flows, in their order, in one query."""
    found: dict[str, list[dict[str, str]]] = {flow_id: [] for flow_id in flow_ids}
    if flow_ids:
        sql = _TARGETS_OF_FLOWS.format(marks=",".join("?" * len(flow_ids)))
        for row in db.execute(sql, list(flow_ids)):
            found[row["flow_id"]].append({"id": row["target_id"], "type": row["type"]})
    return found


def list_flows(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    after: int,
    limit: int,
    *,
    status: str | None = None,
    source: str | None = None,
    target_type: str | None = None,
) -> list[sqlite3.Row]:
    """A page of the plane's flows (``limit + 1`` rows after position ``after``), filtered."""
    where, params = _flow_filters(tenant_id, plane_id, status, source, target_type)
    sql = f"SELECT * FROM flows f WHERE {where} AND f.seq > ? ORDER BY f.seq LIMIT ?"  # noqa: S608
    return db.execute(sql, (*params, after, limit + 1)).fetchall()


def count_flows(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    *,
    status: str | None = None,
    source: str | None = None,
    target_type: str | None = None,
) -> int:
    """How many of the plane's flows match the filters, across all pages (a list's ``total``)."""
    where, params = _flow_filters(tenant_id, plane_id, status, source, target_type)
    return db.execute(f"SELECT COUNT(*) FROM flows f WHERE {where}", params).fetchone()[0]  # noqa: S608


def _flow_filters(
    tenant_id: str, plane_id: str, status: str | None, source: str | None, target_type: str | None
) -> tuple[str, list[Any]]:
    """The WHERE conditions of a flow list (on alias ``f``) and their parameters: one place for page and count."""
    sql = "f.tenant_id = ? AND f.plane_id = ?"
    params: list[Any] = [tenant_id, plane_id]
    if status is not None:
        sql += " AND f.status = ?"
        params.append(status)
    if source is not None:
        sql += " AND f.source = ?"
        params.append(source)
    if target_type is not None:
        sql += (
            " AND EXISTS (SELECT 1 FROM flow_targets ft JOIN targets t ON t.tenant_id = ft.tenant_id"
            " AND t.plane_id = ft.plane_id AND t.id = ft.target_id WHERE ft.flow_id = f.id AND t.type = ?)"
        )
        params.append(target_type)
    return sql, params


def update_flow(db: sqlite3.Connection, row: sqlite3.Row, changes: dict[str, Any]) -> sqlite3.Row:
    """Apply ``changes`` (a subset of :data:`UPDATABLE`) and stamp ``updated_at`` (also when only the
    targets changed); return the new row."""
    update_named_row(db, "flows", "flow", row, changes, UPDATABLE)
    return require_flow(db, row["tenant_id"], row["plane_id"], row["id"])


def delete_flow(db: sqlite3.Connection, row: sqlite3.Row) -> None:
    """Delete the flow; its targets' links and its queued deliveries go with it (foreign keys)."""
    db.execute("DELETE FROM flows WHERE seq = ?", (row["seq"],))


def active_flows_with_targets(
    db: sqlite3.Connection, tenant_id: str, plane_id: str | None, source: str | None = None
) -> list[sqlite3.Row]:
    """Every (flow, target) pair of the tenant's flows, in order: ``plane_id, id, source, status,
    target_id, type``; only active flows unless ``source`` is given (then every flow from it)."""
    sql = (
        "SELECT f.plane_id, f.id, f.source, f.status, ft.target_id, t.type FROM flows f"
        " JOIN flow_targets ft ON ft.flow_id = f.id"
        " JOIN targets t ON t.tenant_id = ft.tenant_id AND t.plane_id = ft.plane_id AND t.id = ft.target_id"
        " WHERE f.tenant_id = ? AND (? IS NULL OR f.plane_id = ?)"
    )
    params: list[Any] = [tenant_id, plane_id, plane_id]
    if source is None:
        sql += " AND f.status = 'active'"
    else:
        sql += " AND f.source = ?"
        params.append(source)
    return db.execute(sql + " ORDER BY f.seq, ft.position", params).fetchall()


def retry_policy(db: sqlite3.Connection, flow_id: str) -> RetryPolicy:
    """The retry policy of a flow (an empty one if the flow is gone)."""
    row = db.execute("SELECT retry_max_attempts, retry_backoff_seconds FROM flows WHERE id = ?", (flow_id,)).fetchone()
    return RetryPolicy.of(row) if row is not None else RetryPolicy()


def flow_status(db: sqlite3.Connection, tenant_id: str, flow_id: str, plane_id: str | None) -> str | None:
    """The status of the tenant's flow (on the plane, if given), or None if there is no such flow."""
    row = db.execute(
        "SELECT status FROM flows WHERE tenant_id = ? AND id = ? AND (? IS NULL OR plane_id = ?)",
        (tenant_id, flow_id, plane_id, plane_id),
    ).fetchone()
    return row["status"] if row is not None else None
