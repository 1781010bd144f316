"""An exercise's starting material: flows of fixed names put on a trainee's tenant by ``prepare``.

A material flow is known by its plane and name, so ``prepare`` can tell what is already there and
add only what is missing: a second call adds nothing, and a call after the trainee deleted a flow
puts that flow back. Each prepare is noted as activity ``exercise_prepared``, so that a check can
tell "never prepared" from "prepared, then deleted"; a trainee reset deletes both the flows and
the activity, and the next prepare starts again from nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..data import flows
from ..data.activity import EXERCISE_PREPARED, activity, note_activity
from ..data.exercise_reads import flows_named
from ..ids import new_id


@dataclass(frozen=True)
class MaterialFlow:
    """One flow of an exercise's material: where it is, what it is called, where it delivers."""

    plane_id: str
    name: str
    source: str
    target_id: str


@dataclass(frozen=True)
class MaterialState:
    """Which of an exercise's flows are on the tenant (their rows, by name) and which are not."""

    ever_prepared: bool
    present: dict[str, sqlite3.Row]  # material flow name -> its row
    missing: list[MaterialFlow]

    @property
    def complete(self) -> bool:
        return not self.missing


def material_state(
    db: sqlite3.Connection, tenant_id: str, exercise: str, wanted: Sequence[MaterialFlow]
) -> MaterialState:
    """What of ``wanted`` the tenant has now, and whether ``exercise`` was ever prepared on it."""
    present: dict[str, sqlite3.Row] = {}
    missing = []
    for flow in wanted:
        row = next((r for r in flows_named(db, tenant_id, flow.name) if r["plane_id"] == flow.plane_id), None)
        if row is None:
            missing.append(flow)
        else:
            present[flow.name] = row
    return MaterialState(bool(activity(db, tenant_id, EXERCISE_PREPARED, exercise)), present, missing)


def insert_material_flows(
    db: sqlite3.Connection,
    tenant_id: str,
    exercise: str,
    wanted: Sequence[MaterialFlow],
    ids: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create the flows of ``wanted`` (active, described as this exercise's material), each with the
    id ``ids`` gives its name or a new one; their ids by name."""
    created = {}
    for flow in wanted:
        flow_id = (ids or {}).get(flow.name) or new_id("flow")
        flows.insert_flow(
            db,
            tenant_id,
            flow.plane_id,
            flow_id,
            name=flow.name,
            source=flow.source,
            description=f"prepared for the exercise {exercise}",
            status="active",
            target_ids=[flow.target_id],
        )
        created[flow.name] = flow_id
    return created


def note_prepared(db: sqlite3.Connection, tenant_id: str, exercise: str) -> None:
    """Remember that the exercise's material was put on the tenant."""
    note_activity(db, tenant_id, EXERCISE_PREPARED, exercise)


def not_prepared_hint(exercise: str) -> str:
    """What to run when an exercise's material is not on the tenant."""
    return f"run zen_nb.exercises.prepare({exercise!r}) first: it puts the exercise's flows on your tenant"


def deleted_text(count: int, total: int) -> str:
    """What to say of material flows the trainee deleted (or renamed)."""
    if count == 1:
        return "a flow this exercise prepared was deleted (or renamed)"
    return f"{count} of the {total} flows this exercise prepared were deleted (or renamed)"


def deleted_hint(exercise: str, task: str) -> str:
    """How to get deleted material back."""
    return (
        f"{task}; zen_nb.exercises.prepare({exercise!r}) puts the missing flows back "
        "(or ask your trainer to reset your tenant)"
    )
