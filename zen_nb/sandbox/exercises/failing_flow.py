"""``retry-the-failing-flow``: its material (three flows and a week of their attempts) and its check.

The material is three flows on the task's plane, from three sources to targets that are not http
(so no attempt, the trainee's retry included, leaves the sandbox), with a week of delivery
history ending at the moment of ``prepare``: two healthy flows, and one whose deliveries fail
often, most of them delivered by a later automatic retry, and exactly one event whose every
attempt failed until the retries ran out. The history is drawn from a fixed seed per flow, so
every trainee gets the same week (only the ids and the week's end differ), and a flow put back
by a second ``prepare`` gets the same history again.

The check passes when a manual attempt (``client.retry_attempt``) exists for that flow and that
event. The retry is delivered by the sandbox's engine like any other, to a target whose default
outcome always answers, so it succeeds.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random

from ...exercise_catalog import PLANE_ID
from ..data import stamp
from ..data.attempts import AttemptRow, finished_attempt, insert_attempts
from ..data.events import EventRow, insert_events
from ..data.exercise_reads import deleted_flow_with_history, manual_attempts, undelivered_events
from ..data.settings import retry_schedule
from ..data.targets import get_target
from ..ids import new_id
from ..outcomes import TYPICAL_FAILURES, TYPICAL_LATENCY_MS, Outcome
from ..simulate import EVENT_TYPES
from .material import (
    MaterialFlow,
    deleted_hint,
    deleted_text,
    insert_material_flows,
    material_state,
    not_prepared_hint,
)
from .verdict import Verdict

NAME = "retry-the-failing-flow"
FAILING = "connect-payouts"
FLOWS = (
    MaterialFlow(PLANE_ID, "orders-archive", "ingester_shopify", "dest_s3_events_archive"),
    MaterialFlow(PLANE_ID, FAILING, "ingester_stripe_connect", "dest_stripe_staging_us_east_1"),
    MaterialFlow(PLANE_ID, "repo-audit", "ingester_github", "dest_s3_audit_log"),
)
SEED = 14
DAYS = 7
EVENTS_PER_FLOW = 40
SUCCESS_RATE = {FAILING: 0.45}  # each attempt's chance; the healthy flows' is HEALTHY
HEALTHY = 0.97
UNDELIVERED_EVENT = 27  # which of the failing flow's events is never delivered (0-based, in time order)
RECIPE = "recipe 07-inspect-delivery-attempts"


@dataclass
class History:
    """Rows to write: events and attempts, in any order (:func:`write_history` sorts them by time)."""

    events: list[EventRow] = field(default_factory=list)
    attempts: list[AttemptRow] = field(default_factory=list)


def flow_history(
    tenant_id: str, flow: MaterialFlow, flow_id: str, target_type: str, schedule: list[float], end: datetime
) -> History:
    """The week of ``flow`` that ends at ``end``: the same for every tenant, ids aside."""
    rng = Random(f"{SEED}:{flow.name}")
    failures = list(TYPICAL_FAILURES.get(target_type, [503]))
    latency = TYPICAL_LATENCY_MS.get(target_type, 120.0)
    usual = Outcome(SUCCESS_RATE.get(flow.name, HEALTHY), latency, 0.35, failures)
    always, never = Outcome(1.0, latency, 0.35, failures), Outcome(0.0, latency, 0.35, failures)
    last = len(schedule) + 1
    # Every event's retries end before ``end``: the schedule, each attempt's longest wait, an hour more.
    span = max(86_400.0, DAYS * 86_400 - sum(schedule) - last * 10 - 3600)
    start = end - timedelta(days=DAYS)
    kind = flow.source.removeprefix("ingester_").split("_")[0]
    history = History()
    for index, offset in enumerate(sorted(rng.random() * span for _ in range(EVENTS_PER_FLOW))):
        at = start + timedelta(seconds=offset)
        event_id = new_id("evt")
        payload = {"type": rng.choice(EVENT_TYPES.get(kind, ["event"])), "sequence": index + 1}
        history.events.append((tenant_id, flow.plane_id, event_id, flow.source, json.dumps(payload), stamp(at)))
        lost = flow.name == FAILING and index == UNDELIVERED_EVENT
        when = at + timedelta(milliseconds=rng.uniform(5, 400))
        for number in range(1, last + 1):
            outcome = never if lost else always if number == last else usual
            succeeded, status, error_code, took = outcome.draw(rng)
            answer = (succeeded, status, error_code, took)
            made_at = stamp(when)
            history.attempts.append(
                finished_attempt(tenant_id, flow.plane_id, flow_id, event_id, flow.target_id, number, answer, made_at)
            )
            if succeeded:
                break
            if number < last:
                when += timedelta(milliseconds=took, seconds=schedule[number - 1])
    return history


def write_history(db: sqlite3.Connection, history: History) -> None:
    """Write the rows in time order (the API lists attempts in the order they were written)."""
    insert_events(db, sorted(history.events, key=lambda row: row[5]))
    insert_attempts(db, sorted(history.attempts, key=lambda row: row[12]))


def prepare_failing_flows(db: sqlite3.Connection, tenant_id: str, wanted: list[MaterialFlow], end: datetime) -> str:
    """Create the ``wanted`` flows of the material with their week of history; say what was written.

    A flow the trainee deleted left its attempts behind: it comes back under its old id, to that
    history, rather than as a second flow with a second history (which would leave the week with
    two failing flows, one of them gone).
    """
    kept = {
        flow.name: old_id
        for flow in wanted
        if (old_id := deleted_flow_with_history(db, tenant_id, flow.plane_id, flow.source, flow.target_id))
    }
    created = insert_material_flows(db, tenant_id, NAME, wanted, kept)
    schedule = retry_schedule(db)
    history = History()
    for flow in wanted:
        if flow.name in kept:
            continue
        target = get_target(db, tenant_id, flow.plane_id, flow.target_id)
        part = flow_history(tenant_id, flow, created[flow.name], target["type"], schedule, end)
        history.events += part.events
        history.attempts += part.attempts
    write_history(db, history)
    flows = "1 flow" if len(wanted) == 1 else f"{len(wanted)} flows"
    if not history.events:
        return f"{flows} on {PLANE_ID}, back to {'its' if len(wanted) == 1 else 'their'} week of delivery history"
    return (
        f"{flows} on {PLANE_ID} with a week of delivery history ending now "
        f"({len(history.events)} events, {len(history.attempts)} attempts)"
    )


def check_retry(db: sqlite3.Connection, tenant_id: str) -> Verdict:
    """Pass when a manual attempt exists for the failing flow and its one undelivered event."""
    state = material_state(db, tenant_id, NAME, FLOWS)
    failing = state.present.get(FAILING)
    if failing is None:
        if not state.ever_prepared and not state.present:
            return Verdict.not_yet("the material of this exercise is not on your tenant", not_prepared_hint(NAME))
        return Verdict.not_yet(
            deleted_text(len(state.missing), len(FLOWS))
            + (": the one whose deliveries fail" if len(state.missing) == 1 else ", the one whose deliveries fail too"),
            deleted_hint(NAME, "the task retries an attempt, it deletes nothing"),
        )
    manual = manual_attempts(db, tenant_id)
    if not manual:
        return Verdict.not_yet(
            "no attempt was retried by hand yet (no attempt with trigger 'manual')",
            "load the week's attempts as a DataFrame (load_attempts), find the flow with the most failed "
            "attempts, then its event that no attempt delivered, and retry that event's last attempt "
            f"with client.retry_attempt ({RECIPE})",
        )
    undelivered = set(undelivered_events(db, tenant_id, failing["id"]))
    on_failing = [row for row in manual if row["flow_id"] == failing["id"]]
    if any(row["event_id"] in undelivered for row in on_failing):
        return Verdict.ok(f"flow '{FAILING}' is the failing one, and its undelivered event was retried by hand")
    if on_failing:
        return Verdict.not_yet(
            "an attempt of the failing flow was retried by hand, but its event had been delivered "
            "already by a later automatic retry",
            "among the failing flow's events, find the one with no succeeded attempt at all (group its "
            "attempts by event), and retry that event's last attempt",
        )
    material = {row["id"] for row in state.present.values()}
    where = (
        "of a flow whose deliveries succeed"
        if any(row["flow_id"] in material for row in manual)
        else "of flows other than the ones this exercise prepared"
    )
    return Verdict.not_yet(
        f"attempts were retried by hand, but only {where}",
        "compare the flows' failed attempts (load_attempts, grouped by flow): the task's flow is the one "
        "whose deliveries fail",
    )
