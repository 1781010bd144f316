"""``flows-as-a-dataframe``: its material (six flows on both planes, three to slack) and its check.

The task is to find, with ``load_flows(planes="all")``, every flow that sends to a slack target and
pause it, leaving the others running. The check counts, on every plane: the flows to slack targets
still active (the trainee's own ones too: "every flow to a slack target"), and the material's
other flows that were paused as well. Its hints give counts, never names: finding them is the task.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ...exercise_catalog import PLANE_ID
from ..data.exercise_reads import flows_with_targets
from .material import (
    MaterialFlow,
    deleted_hint,
    deleted_text,
    insert_material_flows,
    material_state,
    not_prepared_hint,
)
from .verdict import Verdict

NAME = "flows-as-a-dataframe"
EU_PLANE_ID = "plane_prod_eu_west_1"
SLACK = "slack"
FLOWS = (
    MaterialFlow(PLANE_ID, "payment-notices", "ingester_stripe_connect", "dest_slack_payments_alerts"),
    MaterialFlow(PLANE_ID, "sms-charges", "ingester_twilio", "dest_stripe_prod_us_east_1"),
    MaterialFlow(PLANE_ID, "deploy-notices", "ingester_github", "dest_slack_ops_alerts"),
    MaterialFlow(EU_PLANE_ID, "eu-charges", "ingester_stripe_connect", "dest_stripe_prod_eu_west_1"),
    MaterialFlow(EU_PLANE_ID, "eu-payment-notices", "ingester_stripe", "dest_slack_eu_alerts"),
    MaterialFlow(EU_PLANE_ID, "eu-repo-archive", "ingester_github", "dest_s3_eu_archive"),
)
SLACK_TARGETS = {"dest_slack_payments_alerts", "dest_slack_ops_alerts", "dest_slack_eu_alerts"}
OTHER_FLOWS = tuple(flow for flow in FLOWS if flow.target_id not in SLACK_TARGETS)


def prepare_slack_flows(db: sqlite3.Connection, tenant_id: str, wanted: list[MaterialFlow], _now: datetime) -> str:
    """Create the ``wanted`` flows of the material (no history: the task reads flows only); say what was written."""
    insert_material_flows(db, tenant_id, NAME, wanted)
    planes = sorted({flow.plane_id for flow in wanted})
    flows = "1 flow" if len(wanted) == 1 else f"{len(wanted)} flows"
    return f"{flows} on {' and '.join(planes)}"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def check_slack_flows(db: sqlite3.Connection, tenant_id: str) -> Verdict:
    """Pass when every flow of the tenant to a slack target is paused and the material's others are active."""
    state = material_state(db, tenant_id, NAME, FLOWS)
    if not state.complete:
        if not state.ever_prepared and not state.present:
            return Verdict.not_yet("the material of this exercise is not on your tenant", not_prepared_hint(NAME))
        return Verdict.not_yet(
            deleted_text(len(state.missing), len(FLOWS)),
            deleted_hint(NAME, "the task pauses flows, it deletes none"),
        )
    status: dict[str, str] = {}
    to_slack: set[str] = set()
    planes: set[str] = set()
    for row in flows_with_targets(db, tenant_id):
        status[row["id"]] = row["status"]
        if row["type"] == SLACK:
            to_slack.add(row["id"])
            planes.add(row["plane_id"])
    active_slack = sum(status[flow_id] == "active" for flow_id in to_slack)
    others = [state.present[flow.name]["id"] for flow in OTHER_FLOWS]
    paused_others = sum(status.get(flow_id) == "paused" for flow_id in others)
    problems, hints = [], []
    if active_slack:
        problems.append(
            f"{active_slack} of {_count(len(to_slack), 'flow', 'flows')} to slack targets "
            f"{'is' if active_slack == 1 else 'are'} still active"
        )
        hints.append("look on every plane: load_flows(planes='all') has a target_type column")
    if paused_others:
        problems.append(
            f"{_count(paused_others, 'flow', 'flows')} that {'does' if paused_others == 1 else 'do'} not send "
            "to slack {was} paused too".format(was="was" if paused_others == 1 else "were")
        )
        hints.append("pause only the flows whose target is a slack target, and resume the others (client.resume_flow)")
    if problems:
        return Verdict.not_yet("; ".join(problems), "; ".join(hints))
    return Verdict.ok(
        f"all {_count(len(to_slack), 'flow', 'flows')} to slack targets are paused, on "
        f"{_count(len(planes), 'plane', 'planes')}, and the {len(others)} other flows prepared are active"
    )
