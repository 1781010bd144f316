"""Simulated traffic: a seeded history of events and delivery attempts over days of simulated time.

A training room or a test asks for N events over D days with a seed and gets the same history
every time (ids aside): the events' times and ingesters, each target's character (most are
healthy, some flaky, some slow, see ``outcomes.simulated_profile``), every attempt's outcome and
latency, and the automatic retries on the sandbox's schedule. Attempts are written in time
order, and the history ends before ``start + days``.

Everything is checked before anything is written. The history is then generated and written
in chunks, one short transaction each (sized to take about :data:`CHUNK_SECONDS`), so that a
simulation of 200,000 events never holds the write lock for long: other requests write between
its chunks, and the chunks never change the history.
The price: a reader may see a simulation half written (its first events and attempts, not yet
the rest), and a failure mid-way (the sandbox stopping) leaves the chunks written so far.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from .data import NotFound, Store, stamp
from .data.attempts import AttemptRow, finished_attempt, insert_attempts
from .data.catalog import plane_exists
from .data.events import EventRow, insert_events
from .data.flows import active_flows_with_targets, flow_status
from .data.settings import list_outcomes, retry_schedule
from .errors import ApiError
from .ids import new_id
from .outcomes import Outcome, latency_bound, simulated_profile

CHUNK_ROWS = 2000  # events and attempts in the first write transaction, and at most in any
CHUNK_SECONDS = 0.03  # how long a chunk may hold the write lock: later chunks are sized to it
CHUNK_PAUSE = 0.002  # seconds between chunks, for the requests waiting for the write lock

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


def default_start(days: float, now: datetime | None = None) -> datetime:
    """Midnight UTC today minus ``days``: a history that ends today, the same all day long."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=days)


@dataclass
class _Prepared:
    """What a simulation reads before it writes: its (flow, target) rows, schedule and target models."""

    flows: list[Any]
    retry_schedule: list[float]
    outcomes: dict[tuple[str, str, str], Outcome]


def _only_named_flows(db: Any, plan: Simulation, flows: list[Any]) -> list[Any]:
    """The rows of the flows ``plan.flow_ids`` names; each must exist (on the plane, if given) and be active."""
    active = {row["id"] for row in flows}
    for flow_id in dict.fromkeys(plan.flow_ids or []):
        if flow_id in active:
            continue
        where = f" on plane '{plan.plane_id}'" if plan.plane_id else ""
        if flow_status(db, plan.tenant_id, flow_id, plan.plane_id) is None:
            raise ApiError(404, "flow_not_found", f"flow '{flow_id}' does not exist{where}", field="flowIds")
        raise ApiError(
            400, "invalid_field", f"flow '{flow_id}' is paused: resume it, or leave it out of flowIds", field="flowIds"
        )
    wanted = set(plan.flow_ids or [])
    return [row for row in flows if row["id"] in wanted]


def _prepare(store: Store, plan: Simulation) -> _Prepared:
    """Read and check everything the simulation needs, in one snapshot; nothing is written yet."""
    with store.snapshot() as db:
        if plan.plane_id is not None and not plane_exists(db, plan.tenant_id, plan.plane_id):
            raise NotFound("plane", plan.plane_id, field="planeId")
        flows = active_flows_with_targets(db, plan.tenant_id, plan.plane_id)
        if plan.flow_ids is not None:
            flows = _only_named_flows(db, plan, flows)
        schedule = retry_schedule(db)
        outcomes = {
            (stored.tenant_id, stored.plane_id, stored.target_id): Outcome.from_json(stored.model)
            for stored in list_outcomes(db, plan.tenant_id)
        }
    if not flows:
        raise ApiError(
            400,
            "no_active_flow",
            "there is no active flow to deliver simulated events to: create (or resume) flows first",
            field="flows",
        )
    return _Prepared(flows, schedule, outcomes)


def simulate(store: Store, plan: Simulation) -> dict[str, Any]:
    """Check ``plan``, then write the history it describes in chunks; return what was written."""
    prepared = _prepare(store, plan)
    flows, schedule = prepared.flows, prepared.retry_schedule
    by_source: dict[tuple[str, str], list[Any]] = {}
    for row in flows:
        by_source.setdefault((row["plane_id"], row["source"]), []).append(row)
    sources = list(by_source)
    rng = Random(plan.seed)
    profiles = {
        (row["plane_id"], row["target_id"]): prepared.outcomes.get((plan.tenant_id, row["plane_id"], row["target_id"]))
        or simulated_profile(plan.seed, row["target_id"], row["type"], plan.failure_rate)
        for row in flows
    }
    # Every retry ends inside the window: keep room for the schedule and for each attempt's
    # latency, which is capped at its profile's bound.
    bounds = {key: latency_bound(outcome) for key, outcome in profiles.items()}
    span = plan.days * 86_400 - sum(schedule) - (len(schedule) + 1) * max(bounds.values()) / 1000 - 1
    if span <= 0:
        raise ApiError(400, "invalid_field", "days is too short for the retry schedule to finish", field="days")
    offsets = sorted(rng.random() * span for _ in range(plan.events))

    def history() -> Iterator[tuple[list[EventRow], list[AttemptRow]]]:
        """The events in time order, each with the attempts that are due before it (all of them at the end)."""
        due: list[tuple[datetime, int, AttemptRow]] = []  # attempts not yet written: (time, order made, row)
        made = 0
        for number_of_event, offset in enumerate(offsets, start=1):
            plane_id, source = sources[rng.randrange(len(sources))]
            at = plan.start + timedelta(seconds=offset)
            # Every attempt of this event and the later ones comes after ``at``: those before are final.
            ready = []
            while due and due[0][0] < at:
                ready.append(heapq.heappop(due)[2])
            event_id = new_id("evt")
            kind = source.removeprefix("ingester_").split("_")[0]
            payload = {"type": rng.choice(EVENT_TYPES.get(kind, ["event"])), "sequence": number_of_event}
            event = (plan.tenant_id, plane_id, event_id, source, json.dumps(payload), stamp(at))
            for flow in by_source[(plane_id, source)]:
                outcome = profiles[(plane_id, flow["target_id"])]
                bound = bounds[(plane_id, flow["target_id"])]
                when = at + timedelta(milliseconds=rng.uniform(5, 400))
                for number in range(1, len(schedule) + 2):
                    succeeded, status, error_code, latency = outcome.draw(rng)
                    latency = min(latency, bound)
                    answer = (succeeded, status, error_code, latency)
                    row = finished_attempt(
                        plan.tenant_id, plane_id, flow["id"], event_id, flow["target_id"], number, answer, stamp(when)
                    )
                    heapq.heappush(due, (when, made, row))  # ``made`` keeps equal times in the order made
                    made += 1
                    if succeeded or number > len(schedule):
                        break
                    when += timedelta(milliseconds=latency, seconds=schedule[number - 1])
            yield [event], ready
        yield [], [heapq.heappop(due)[2] for _ in range(len(due))]

    written_events = written_attempts = 0
    events: list[EventRow] = []
    attempts: list[AttemptRow] = []
    chunk = CHUNK_ROWS
    for new_events, ready in history():
        events += new_events
        attempts += ready
        if len(events) + len(attempts) >= chunk:
            took = _write(store, events, attempts)
            # A slower machine (or a busier one) gets smaller chunks: the lock is held as briefly.
            chunk = max(100, min(CHUNK_ROWS, round(chunk * CHUNK_SECONDS / max(took, 1e-3))))
            written_events, written_attempts = written_events + len(events), written_attempts + len(attempts)
            events, attempts = [], []
    _write(store, events, attempts)
    return {
        "tenantId": plan.tenant_id,
        "events": written_events + len(events),
        "attempts": written_attempts + len(attempts),
        "flows": len({row["id"] for row in flows}),
        "start": stamp(plan.start),
        "end": stamp(plan.start + timedelta(days=plan.days)),
        "seed": plan.seed,
    }


def _write(store: Store, events: list[EventRow], attempts: list[AttemptRow]) -> float:
    """One chunk in one short transaction, then a pause in which other requests may write; the
    seconds the transaction took."""
    if not events and not attempts:
        return 0.0
    started = time.perf_counter()
    with store.transaction() as db:
        insert_events(db, events)
        insert_attempts(db, attempts)
    took = time.perf_counter() - started
    time.sleep(CHUNK_PAUSE)
    return took
