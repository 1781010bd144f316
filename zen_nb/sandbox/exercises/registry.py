"""Each exercise of the catalog with its rule and, for two of them, its material: check and prepare by name.

The rules run in the sandbox on the caller's own rows, in the transaction that records the check
(``routes_exercises.py``), so the trainee's cell and the trainer's board read one verdict.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ...exercise_catalog import EXERCISES
from ..data.targets import get_target
from . import failing_flow, slack_flows
from .flow_rules import check_create_a_flow, check_name_conflict, check_pause_and_resume
from .material import MaterialFlow, material_state, note_prepared
from .target_rule import check_create_a_target
from .verdict import Preparation, Verdict

Rule = Callable[[sqlite3.Connection, str], Verdict]
# Writes the missing flows of the material (and what goes with them); says what it wrote.
Preparer = Callable[[sqlite3.Connection, str, list[MaterialFlow], datetime], str]


class MaterialUnavailable(Exception):
    """The material cannot be put on this tenant: an object it needs was deleted."""


@dataclass(frozen=True)
class Material:
    flows: Sequence[MaterialFlow]
    write: Preparer


RULES: dict[str, Rule] = {
    "create-a-target": check_create_a_target,
    "create-a-flow": check_create_a_flow,
    "handle-a-name-conflict": check_name_conflict,
    "pause-and-resume": check_pause_and_resume,
    failing_flow.NAME: failing_flow.check_retry,
    slack_flows.NAME: slack_flows.check_slack_flows,
}
MATERIAL: dict[str, Material] = {
    failing_flow.NAME: Material(failing_flow.FLOWS, failing_flow.prepare_failing_flows),
    slack_flows.NAME: Material(slack_flows.FLOWS, slack_flows.prepare_slack_flows),
}
# The catalog and the rules name the same exercises, and only those with material are "prepared".
assert list(RULES) == [exercise.name for exercise in EXERCISES]
assert set(MATERIAL) == {exercise.name for exercise in EXERCISES if exercise.prepared}


def check(db: sqlite3.Connection, tenant_id: str, name: str) -> Verdict:
    """The verdict of exercise ``name`` (a catalog name) on the tenant's rows."""
    return RULES[name](db, tenant_id)


def prepare(db: sqlite3.Connection, tenant_id: str, name: str, now: datetime) -> Preparation:
    """Put the missing part of the exercise's material on the tenant; nothing when it is all there."""
    material = MATERIAL.get(name)
    if material is None:
        return Preparation(False, f"exercise '{name}' needs no material: it starts from your tenant as it is")
    state = material_state(db, tenant_id, name, material.flows)
    if state.complete:
        return Preparation(False, f"the material of '{name}' is on your tenant already: nothing was added")
    gone = sorted(
        {flow.target_id for flow in state.missing if get_target(db, tenant_id, flow.plane_id, flow.target_id) is None}
    )
    if gone:
        raise MaterialUnavailable(
            f"the material of '{name}' delivers to {', '.join(gone)}, which your tenant no longer has: "
            "ask your trainer to reset your tenant (zen-nb class reset), which brings back its seed"
        )
    written = material.write(db, tenant_id, list(state.missing), now)
    note_prepared(db, tenant_id, name)
    verb = "put back" if state.present or state.ever_prepared else "prepared"
    return Preparation(True, f"{verb} the material of '{name}': {written}")
