"""``/_sandbox/faults``: the fault rules in force (``faults.py``), with the admin token.

The routes run on the event loop (``async def``), as the fault middleware does, so the engine
is only ever touched from one thread. A rule that cannot be applied is a 400 naming its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .admin_auth import require_admin
from .errors import ApiError
from .faults import MAX_RULES, FaultEngine, InvalidFaultRule, TooManyRules, parse_rule
from .schemas import FaultRuleCreate, FaultSeed

router = APIRouter(prefix="/_sandbox/faults", tags=["sandbox admin"], dependencies=[Depends(require_admin)])


def _engine(request: Request) -> FaultEngine:
    engine: FaultEngine = request.app.state.faults
    return engine


def _not_found(rule_id: str) -> ApiError:
    return ApiError(
        404,
        "fault_rule_not_found",
        f"there is no fault rule '{rule_id}' (removed, or never added); GET /_sandbox/faults lists those in force",
        field="ruleId",
    )


@router.get("", summary="The fault rules in force, with their hits")
async def list_faults(request: Request) -> dict[str, Any]:
    engine = _engine(request)
    return {"seed": engine.seed, "rules": [rule.as_json() for rule in engine.rules()]}


@router.post("", status_code=201, summary="Add a fault rule: fail, delay or drop the requests it matches")
async def add_fault(request: Request, body: FaultRuleCreate) -> dict[str, Any]:
    try:
        rule = parse_rule(body.model_dump(exclude_none=True))
        _engine(request).add(rule)
    except InvalidFaultRule as error:
        raise ApiError(400, "invalid_field", str(error), field=error.field) from None
    except TooManyRules:
        raise ApiError(
            409, "too_many_fault_rules", f"at most {MAX_RULES} fault rules at once; DELETE some first"
        ) from None
    return rule.as_json()


@router.put("", summary="Seed the random sequence of the rules that have no seed of their own")
async def set_fault_seed(request: Request, body: FaultSeed) -> dict[str, Any]:
    _engine(request).set_seed(body.seed)
    return {"seed": body.seed}


@router.delete("", status_code=204, summary="Remove every fault rule")
async def clear_faults(request: Request) -> Response:
    _engine(request).clear()
    return Response(status_code=204)


@router.get("/{ruleId:id}", summary="One fault rule, with its hits")
async def get_fault(request: Request, ruleId: str) -> dict[str, Any]:  # noqa: N803
    rule = _engine(request).get(ruleId)
    if rule is None:
        raise _not_found(ruleId)
    return rule.as_json()


@router.delete("/{ruleId:id}", status_code=204, summary="Remove one fault rule")
async def remove_fault(request: Request, ruleId: str) -> Response:  # noqa: N803
    if _engine(request).remove(ruleId) is None:
        raise _not_found(ruleId)
    return Response(status_code=204)
