"""The exercises of a training session, in the order of the session: the one list both sides read.

The sandbox evaluates each exercise's check on a trainee's own tenant (``sandbox/exercises/``),
and the kit's ``zen_nb.exercises`` names them to a trainee; both read this module, which
imports only the standard library, so ``zen_nb.exercises.names()`` works with no sandbox and
no network, and the two sides cannot list different exercises.

The names of the objects an exercise asks for are constants here too: the notebooks' tasks,
the checks and the hints all spell them from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

TARGET_NAME = "training-webhook"
TARGET_URL = "http://127.0.0.1:9/hooks/training"
FLOW_NAME = "invoice-claims"
FLOW_SOURCE = "ingester_stripe"
FLOW_TARGET = "dest_stripe_prod_us_east_1"
SECOND_FLOW_NAME = "invoice-claims-2"
PLANE_ID = "plane_dev_us_east_1"


@dataclass(frozen=True)
class Exercise:
    """One exercise: its name (what ``check`` takes), a title, and the task as a trainee reads it."""

    name: str
    title: str
    task: str
    prepared: bool = False  # whether it needs material on the tenant first (``exercises.prepare``)


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "create-a-target",
        "Create a target",
        f"Create an http target named '{TARGET_NAME}' on {PLANE_ID} that delivers to {TARGET_URL}.",
    ),
    Exercise(
        "create-a-flow",
        "Create a flow",
        f"Create a flow named '{FLOW_NAME}' on {PLANE_ID} from {FLOW_SOURCE} to the stripe target {FLOW_TARGET}.",
    ),
    Exercise(
        "handle-a-name-conflict",
        "Handle a name conflict",
        f"Create '{FLOW_NAME}' a second time, catch the FlowNameConflict the client raises, and create the "
        f"flow as '{SECOND_FLOW_NAME}' instead (same source and target).",
    ),
    Exercise(
        "pause-and-resume",
        "Pause and resume a flow",
        f"Pause the flow '{FLOW_NAME}', then resume it.",
    ),
    Exercise(
        "retry-the-failing-flow",
        "Find the failing flow and retry",
        "A week of delivery attempts is on your tenant: find the flow whose deliveries fail, and retry its "
        "event that was never delivered (retry its last attempt).",
        prepared=True,
    ),
    Exercise(
        "flows-as-a-dataframe",
        "Flows as a DataFrame",
        "Several flows on both planes send to slack targets: find them all with load_flows(planes='all') "
        "and pause each of them (and no other flow).",
        prepared=True,
    ),
)

BY_NAME = {exercise.name: exercise for exercise in EXERCISES}


def names() -> list[str]:
    """The exercises' names in the order of the session."""
    return [exercise.name for exercise in EXERCISES]


def unknown_exercise_text(name: str) -> str:
    """What to say of a name that is no exercise: the names that are."""
    return f"there is no exercise {name!r}; the exercises are: {', '.join(names())}"
