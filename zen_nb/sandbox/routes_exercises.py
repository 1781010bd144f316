"""The training class's exercises: list them, check one, prepare one, each on the caller's tenant.

``check`` and ``prepare`` take a tenant's API token (a trainee's, the demo tenant's: any) and act
on that token's own tenant only, as ``/_sandbox/simulate`` does for a tenant token; the sandbox's
admin token is refused here, since it is no tenant's. The rules are in ``exercises/``; a check is
recorded (``data/classroom.record_check``) in the transaction that evaluates it, so the trainee's
cell and the trainer's board cannot disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ..exercise_catalog import BY_NAME, EXERCISES, Exercise, unknown_exercise_text
from ..vocabulary import ENV_API_TOKEN
from . import (
    exercises,
    paths,  # noqa: F401 - registers the "id" path convertor of the routes below
)
from .admin_auth import is_admin_token, presented_bearer
from .auth import credentials, presented_digest
from .data import utc_now
from .data.classroom import record_check
from .data.tenants import Tenant
from .deps import StoreDep
from .errors import ApiError

router = APIRouter(prefix="/_sandbox/class/exercises", tags=["training class"])
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zen-mesh"'}


async def exercise_tenant(request: Request, store: StoreDep) -> Tenant:
    """The tenant of the request's token: 401 without a valid tenant token, 403 for the admin token."""
    _, missing = presented_digest(request.scope)
    if missing is not None:
        missing.headers.update(_CHALLENGE)
        raise missing
    if is_admin_token(request, presented_bearer(request)):
        raise ApiError(
            403,
            "forbidden",
            "the admin token is the trainer's, not a tenant's: an exercise is checked on one tenant, with "
            f"that tenant's API token ({ENV_API_TOKEN}, which zen_nb.join sets for a trainee)",
        )
    tenant = (await credentials(request.scope, store)).tenant
    if tenant is None:
        raise ApiError(
            401,
            "unauthenticated",
            f"the API token is not valid; check {ENV_API_TOKEN} (no token is echoed here)",
            headers=dict(_CHALLENGE),
        )
    return tenant


ExerciseTenant = Annotated[Tenant, Depends(exercise_tenant)]


def exercise_named(name: str) -> Exercise:
    """The catalog's exercise of this name, or a 404 listing the names."""
    exercise = BY_NAME.get(name)
    if exercise is None:
        raise ApiError(404, "exercise_not_found", unknown_exercise_text(name if len(name) <= 64 else name[:63] + "…"))
    return exercise


@router.get("", summary="The exercises of a training session, in its order (no token needed)")
def list_exercises() -> dict[str, Any]:
    return {
        "exercises": [
            {"name": exercise.name, "title": exercise.title, "task": exercise.task, "prepared": exercise.prepared}
            for exercise in EXERCISES
        ]
    }


@router.post("/{name:id}/check", summary="Check an exercise on your tenant, and record the result")
def check_exercise(name: str, store: StoreDep, tenant: ExerciseTenant) -> dict[str, Any]:
    exercise = exercise_named(name)
    with store.transaction() as db:
        verdict = exercises.check(db, tenant.id, exercise.name)
        status = record_check(db, tenant.id, exercise.name, verdict.passed, verdict.message, utc_now())
    return {
        "exercise": exercise.name,
        "passed": verdict.passed,
        "message": verdict.message,
        "hint": verdict.hint,
        "passedAt": status.passed_at,
        "checks": status.checks,
    }


@router.post("/{name:id}/prepare", summary="Put an exercise's starting material on your tenant (idempotent)")
def prepare_exercise(name: str, store: StoreDep, tenant: ExerciseTenant) -> dict[str, Any]:
    exercise = exercise_named(name)
    try:
        with store.transaction() as db:
            done = exercises.prepare(db, tenant.id, exercise.name, datetime.now(UTC))
    except exercises.MaterialUnavailable as error:
        raise ApiError(409, "exercise_material_unavailable", str(error)) from None
    return {"exercise": exercise.name, "prepared": done.prepared, "message": done.message}
