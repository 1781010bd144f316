"""The checks of the flow exercises: ``create-a-flow``, ``handle-a-name-conflict``, ``pause-and-resume``.

Each reads the trainee's flows by name on every plane, so that a flow made on the other plane or
spelt another way is told as such; and the activity (``data/activity.py``) for what the flow's
row cannot show: a refused second create, a pause then a resume.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ...exercise_catalog import FLOW_NAME, FLOW_SOURCE, FLOW_TARGET, PLANE_ID, SECOND_FLOW_NAME
from ..data.activity import FLOW_NAME_CONFLICT, FLOW_PAUSED, FLOW_RESUMED, activity
from ..data.exercise_reads import flows_named, flows_with_targets
from ..data.flows import targets_of
from .verdict import Verdict, shown

CREATE_RECIPE = "recipe 02-create-a-flow"
ERRORS_RECIPE = "recipe 05-common-errors"
PAUSE_RECIPE = "recipe 04-update-pause-resume-delete"


@dataclass(frozen=True)
class FoundFlow:
    """A flow looked up by name: the one on the task's plane, else one of that name on another plane,
    else a flow of the task's plane with the task's source and target under another name."""

    here: sqlite3.Row | None
    elsewhere: sqlite3.Row | None
    renamed: str | None


def find_flow(db: sqlite3.Connection, tenant_id: str, name: str) -> FoundFlow:
    named = flows_named(db, tenant_id, name)
    here = next((row for row in named if row["plane_id"] == PLANE_ID), None)
    if here is not None:
        return FoundFlow(here, None, None)
    if named:
        return FoundFlow(None, named[0], None)
    renamed = next(
        (
            row["name"]
            for row in flows_with_targets(db, tenant_id)
            if row["plane_id"] == PLANE_ID
            and row["source"] == FLOW_SOURCE
            and row["target_id"] == FLOW_TARGET
            and row["name"] not in (FLOW_NAME, SECOND_FLOW_NAME)
        ),
        None,
    )
    return FoundFlow(None, None, renamed)


def absent_text(found: FoundFlow, name: str, hint: str) -> tuple[str, str]:
    """What to say of a flow that is not on the task's plane under its name, and the hint."""
    if found.elsewhere is not None:
        return (
            f"flow '{name}' exists on {found.elsewhere['plane_id']}, not on {PLANE_ID}",
            f"a flow belongs to one plane: create it on {PLANE_ID} (ZEN_PLANE_ID, or the plane argument of "
            "client.create_flow)",
        )
    missing = f"there is no flow named '{name}' on {PLANE_ID}"
    if found.renamed is not None:
        return (
            f"{missing}; flow '{shown(found.renamed)}' goes from {FLOW_SOURCE} to {FLOW_TARGET}",
            f"the task's flow is called '{name}': rename yours (client.update_flow) or create it again",
        )
    return missing, hint


def absent(found: FoundFlow, name: str, hint: str) -> Verdict:
    return Verdict.not_yet(*absent_text(found, name, hint))


def wiring_problems(db: sqlite3.Connection, row: sqlite3.Row) -> list[str]:
    """What is wrong with a flow's source and targets for the task (nothing: an empty list)."""
    problems = []
    if row["source"] != FLOW_SOURCE:
        problems.append(f"its source is {shown(row['source'])}, not {FLOW_SOURCE}")
    targets = [target["id"] for target in targets_of(db, [row["id"]])[row["id"]]]
    if FLOW_TARGET not in targets:
        problems.append(f"it targets {', '.join(shown(t) for t in targets) or 'nothing'}, not {FLOW_TARGET}")
    return problems


def wiring_hint(problems: list[str]) -> str:
    if any(problem.startswith("its source") for problem in problems):
        return "a flow's source cannot change: delete the flow (client.delete_flow) and create it again"
    return "a flow's target can change: look at client.update_flow (or delete the flow and create it again)"


def check_create_a_flow(db: sqlite3.Connection, tenant_id: str) -> Verdict:
    """Pass when the plane has FLOW_NAME from FLOW_SOURCE, with FLOW_TARGET among its targets."""
    found = find_flow(db, tenant_id, FLOW_NAME)
    if found.here is None:
        return absent(found, FLOW_NAME, f"create it with client.create_flow ({CREATE_RECIPE})")
    problems = wiring_problems(db, found.here)
    if problems:
        return Verdict.not_yet(f"flow '{FLOW_NAME}' exists but {' and '.join(problems)}", wiring_hint(problems))
    return Verdict.ok(f"flow '{FLOW_NAME}' exists and targets {FLOW_TARGET}")


def check_name_conflict(db: sqlite3.Connection, tenant_id: str) -> Verdict:
    """Pass when a create of FLOW_NAME was refused (409) and SECOND_FLOW_NAME has the task's source and target."""
    conflict_seen = bool(activity(db, tenant_id, FLOW_NAME_CONFLICT, FLOW_NAME))
    second = find_flow(db, tenant_id, SECOND_FLOW_NAME)
    if not conflict_seen:
        if find_flow(db, tenant_id, FLOW_NAME).here is None:
            return Verdict.not_yet(
                f"there is no flow '{FLOW_NAME}' on {PLANE_ID} to conflict with, and no create of it was refused",
                "do the exercise create-a-flow first, then create the same flow a second time",
            )
        done = f"flow '{SECOND_FLOW_NAME}' exists, but" if second.here is not None else ""
        return Verdict.not_yet(
            f"{done} no second create of '{FLOW_NAME}' was refused yet (no 409 flow_name_conflict seen)".strip(),
            f"create '{FLOW_NAME}' once more, as if it did not exist, and catch the FlowNameConflict the client "
            f"raises ({ERRORS_RECIPE})",
        )
    if second.here is None:
        what, hint = absent_text(
            second,
            SECOND_FLOW_NAME,
            f"in the handler of FlowNameConflict, create the flow under the task's other name ({ERRORS_RECIPE})",
        )
        return Verdict.not_yet(f"the second create of '{FLOW_NAME}' was refused (409), but {what}", hint)
    problems = wiring_problems(db, second.here)
    if problems:
        return Verdict.not_yet(
            f"flow '{SECOND_FLOW_NAME}' exists but {' and '.join(problems)}",
            f"the flow under the other name has the same source and target as '{FLOW_NAME}'; " + wiring_hint(problems),
        )
    return Verdict.ok(
        f"creating '{FLOW_NAME}' again was refused (409 flow_name_conflict), and flow '{SECOND_FLOW_NAME}' "
        "exists with the same source and target"
    )


def check_pause_and_resume(db: sqlite3.Connection, tenant_id: str) -> Verdict:
    """Pass when FLOW_NAME was paused, then resumed (no earlier than its last pause), and is active."""
    found = find_flow(db, tenant_id, FLOW_NAME)
    if found.here is None:
        return absent(found, FLOW_NAME, "do the exercise create-a-flow first: this one pauses and resumes that flow")
    flow = found.here
    paused = activity(db, tenant_id, FLOW_PAUSED, flow["id"])
    resumed = activity(db, tenant_id, FLOW_RESUMED, flow["id"])
    if not paused:
        others = [entry for entry in activity(db, tenant_id, FLOW_PAUSED) if entry.subject != flow["id"]]
        if resumed:
            what = f"flow '{FLOW_NAME}' was resumed but never paused (it was created paused)"
        else:
            what = f"flow '{FLOW_NAME}' was never paused"
            if others:
                what += f" (another flow was: the task is about '{FLOW_NAME}')"
        return Verdict.not_yet(what, f"pause it with client.pause_flow, then resume it ({PAUSE_RECIPE})")
    if flow["status"] != "active" or not resumed or resumed[0].last_at < paused[0].last_at:
        return Verdict.not_yet(
            f"flow '{FLOW_NAME}' was paused but not resumed since: it is {flow['status']}",
            f"resume it with client.resume_flow ({PAUSE_RECIPE})",
        )
    return Verdict.ok(f"flow '{FLOW_NAME}' was paused, then resumed, and is active")
