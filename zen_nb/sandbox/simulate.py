"""Simulated traffic: a seeded history of events and delivery attempts over days of simulated time.

A training room or a test asks for N events over D days with a seed and gets the same history
every time (ids aside): the events' times and ingesters, each target's character (most are
healthy, some flaky, some slow, see ``outcomes.simulated_profile``), every attempt's outcome and
latency, and the automatic retries on the sandbox's schedule. The history is written in one
transaction, attempts in time order, and ends before ``start + days``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from .errors import ApiError
from .ids import new_id
from .outcomes import Outcome, latency_bound, simulated_profile
from .store import Store

EVENT_TYPES = {
    "stripe": ["invoice.paid", "invoice.payment_failed", "charge.succeeded", "customer.created"],
    "github": ["push", "pull_request", "issues"],
    "shopify": ["orders/create", "orders/paid", "refunds/create"],
    "twilio": ["message.received", "call.completed"],
}


@dataclass
class Simulation:
    """What to simulate, as ``POST /_sandbox/simulate`` asks for it."""

    tenant_id: str
    plane_id: str | None
    events: int
    days: float
    seed: int
    failure_rate: float
    start: datetime
    flow_ids: list[str] | None = None  # only these flows; None: every active flow


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def default_start(days: float, now: datetime | None = None) -> datetime:
    """Midnight UTC today minus ``days``: a history that ends today, the same all day long."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=days)


def _only_named_flows(store: Store, plan: Simulation, flows: list[Any]) -> list[Any]:
    """The rows of the flows ``plan.flow_ids`` names; each must exist (on the plane, if given) and be active."""
    active = {row["id"] for row in flows}
    for flow_id in dict.fromkeys(plan.flow_ids or []):
        if flow_id in active:
            continue
        row = store.read_one(
            "SELECT status FROM flows WHERE tenant_id = ? AND id = ? AND (? IS NULL OR plane_id = ?)",
            (plan.tenant_id, flow_id, plan.plane_id, plan.plane_id),
        )
        where = f" on plane '{plan.plane_id}'" if plan.plane_id else ""
        if row is None:
            raise ApiError(404, "flow_not_found", f"flow '{flow_id}' does not exist{where}", field="flowIds")
        raise ApiError(
            400, "invalid_field", f"flow '{flow_id}' is paused: resume it, or leave it out of flowIds", field="flowIds"
        )
    wanted = set(plan.flow_ids or [])
    return [row for row in flows if row["id"] in wanted]


def simulate(
    store: Store, plan: Simulation, retry_schedule: list[float], outcomes: dict[tuple[str, str, str], Outcome]
) -> dict[str, Any]:
    """Write the history ``plan`` describes; return what was written."""
    flows = store.read(
        "SELECT f.plane_id, f.id, f.source, ft.target_id, t.type FROM flows f"
        " JOIN flow_targets ft ON ft.flow_id = f.id"
        " JOIN targets t ON t.tenant_id = ft.tenant_id AND t.plane_id = ft.plane_id AND t.id = ft.target_id"
        " WHERE f.tenant_id = ? AND f.status = 'active' AND (? IS NULL OR f.plane_id = ?)"
        " ORDER BY f.seq, ft.position",
        (plan.tenant_id, plan.plane_id, plan.plane_id),
    )
    if plan.plane_id is not None and not store.read_one(
        "SELECT 1 FROM planes WHERE tenant_id = ? AND id = ?", (plan.tenant_id, plan.plane_id)
    ):
        raise ApiError(404, "plane_not_found", f"plane '{plan.plane_id}' does not exist", field="planeId")
    if plan.flow_ids is not None:
        flows = _only_named_flows(store, plan, flows)
    if not flows:
        raise ApiError(
            400,
            "invalid_field",
            "there is no active flow to deliver simulated events to: create (or resume) flows first",
            field="flows",
        )
    by_source: dict[tuple[str, str], list[Any]] = {}
    for row in flows:
        by_source.setdefault((row["plane_id"], row["source"]), []).append(row)
    sources = list(by_source)
    rng = Random(plan.seed)
    profiles = {
        (row["plane_id"], row["target_id"]): outcomes.get((plan.tenant_id, row["plane_id"], row["target_id"]))
        or simulated_profile(plan.seed, row["target_id"], row["type"], plan.failure_rate)
        for row in flows
    }
    # Every retry ends inside the window: keep room for the schedule and for each attempt's
    # latency, which is capped at its profile's bound.
    bounds = {key: latency_bound(outcome) for key, outcome in profiles.items()}
    span = plan.days * 86_400 - sum(retry_schedule) - (len(retry_schedule) + 1) * max(bounds.values()) / 1000 - 1
    if span <= 0:
        raise ApiError(400, "invalid_field", "days is too short for the retry schedule to finish", field="days")
    offsets = sorted(rng.random() * span for _ in range(plan.events))
    events, attempts = [], []
    for offset in offsets:
        plane_id, source = sources[rng.randrange(len(sources))]
        at = plan.start + timedelta(seconds=offset)
        event_id = new_id("evt")
        kind = source.removeprefix("ingester_").split("_")[0]
        payload = {"type": rng.choice(EVENT_TYPES.get(kind, ["event"])), "sequence": len(events) + 1}
        events.append((plan.tenant_id, plane_id, event_id, source, json.dumps(payload), _stamp(at)))
        for flow in by_source[(plane_id, source)]:
            outcome = profiles[(plane_id, flow["target_id"])]
            bound = bounds[(plane_id, flow["target_id"])]
            when = at + timedelta(milliseconds=rng.uniform(5, 400))
            for number in range(1, len(retry_schedule) + 2):
                succeeded, status, error_code, latency = outcome.draw(rng)
                latency = min(latency, bound)
                attempts.append(
                    (
                        when,
                        (
                            plan.tenant_id,
                            plane_id,
                            new_id("att"),
                            flow["id"],
                            event_id,
                            flow["target_id"],
                            number,
                            "initial" if number == 1 else "automatic",
                            "succeeded" if succeeded else "failed",
                            status,
                            error_code,
                            latency,
                            _stamp(when),
                        ),
                    )
                )
                if succeeded or number > len(retry_schedule):
                    break
                when += timedelta(milliseconds=latency, seconds=retry_schedule[number - 1])
    attempts.sort(key=lambda item: item[0])
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO events (tenant_id, plane_id, id, ingester_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )
        db.executemany(
            "INSERT INTO attempts (tenant_id, plane_id, id, flow_id, event_id, target_id, attempt_number, trigger,"
            " status, response_status, error_code, latency_ms, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row for _, row in attempts],
        )
    return {
        "tenantId": plan.tenant_id,
        "events": len(events),
        "attempts": len(attempts),
        "flows": len({row["id"] for row in flows}),
        "start": _stamp(plan.start),
        "end": _stamp(plan.start + timedelta(days=plan.days)),
        "seed": plan.seed,
    }
