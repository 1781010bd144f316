"""A training class over HTTP: joining (no token), the trainer's roster and resets (admin), the board.

Each route parses the request, calls :mod:`.classroom` (the operations ``zen-nb class`` runs too)
and renders the answer. Answers that hold a token (a join, new trainees) and the board are sent
with ``Cache-Control: no-store``: no browser or proxy keeps them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from . import (
    classroom,
    paths,  # noqa: F401 - registers the "id" path convertor of the routes below
)
from .admin_auth import require_admin, require_admin_or_basic
from .board import HEADERS as BOARD_HEADERS
from .board import render_board
from .data import NotFound
from .deps import StoreDep
from .errors import ApiError
from .join_codes import format_code
from .join_limit import JoinLimiter
from .rate_limit import client_network
from .schemas import JoinRequest, TraineeReset, TraineesCreate

NO_STORE = {"Cache-Control": "no-store"}
TAG = "training class"
ROSTER_HINT = "GET /_sandbox/class/trainees lists the class (`zen-nb class roster` too)"

router = APIRouter(prefix="/_sandbox/class", tags=[TAG], dependencies=[Depends(require_admin)])
join_router = APIRouter(prefix="/_sandbox/class", tags=[TAG])  # no token: a trainee has none yet
board_router = APIRouter(prefix="/_sandbox", tags=[TAG], dependencies=[Depends(require_admin_or_basic)])

TraineeParam = Annotated[str, Path(description="the trainee's name, as in the roster (case does not matter)")]


def _trainee_not_found(name: str) -> ApiError:
    shown = name if len(name) <= 70 else name[:67] + "..."
    return ApiError(
        404, "trainee_not_found", f"no trainee of this class is named {shown!r}; {ROSTER_HINT}", field="trainee"
    )


def _refused(limiter: JoinLimiter, retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"too many failed joins from this address: the limit is {limiter.limit} per {limiter.window_seconds:g} s; "
        f"check the code with your trainer, then join again after {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


@join_router.post("/join", summary="Join the class with a join code: get your tenant and token")
def join(request: Request, store: StoreDep, body: JoinRequest) -> Response:
    limiter: JoinLimiter = request.app.state.join_limiter
    address = client_network(request.scope)
    retry_after = limiter.refusal(address)
    if retry_after is not None:
        raise _refused(limiter, retry_after)
    try:
        trainee = classroom.join(store, body.code)
    except classroom.JoinRefused as refusal:
        retry_after = limiter.failed(address)
        if retry_after is not None:  # past the limit in a race of guesses: the 429, not what the code is
            raise _refused(limiter, retry_after) from None
        raise ApiError(refusal.status, refusal.code, refusal.message, field="code") from None
    return _json(classroom.joined_json(trainee), headers=NO_STORE)


def _json(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(content, status_code=status_code, headers=headers)


def _roster_changed(request: Request) -> None:
    """Tell ``zen-nb class start`` (when it serves this app) to rewrite its roster CSV: trainees or codes changed."""
    changed = getattr(request.app.state, "roster_changed", None)
    if changed is not None:
        changed()


def _shown_code(stored: str | None) -> str | None:
    return format_code(stored) if stored is not None else None


@router.get("/trainees", summary="The class's trainees, their tenants and join codes (no tokens)")
def list_trainees(store: StoreDep) -> Response:
    trainees = classroom.roster(store)
    data = [
        {
            "trainee": trainee.name,
            "tenantId": trainee.tenant_id,
            "joinCode": _shown_code(trainee.join_code),
            "joined": trainee.joined,
            "joinedAt": trainee.joined_at,
        }
        for trainee in trainees
    ]
    return _json({"trainees": data}, headers=NO_STORE)


@router.post("/trainees", status_code=201, summary="Add trainees: each a tenant seeded like the demo, with a token")
def add_trainees(request: Request, store: StoreDep, body: TraineesCreate) -> Response:
    if (body.names is None) == (body.count is None):
        raise ApiError(
            400,
            "invalid_field",
            'send either "names" (a list of names) or "count" (how many numbered trainees), not both or neither',
            field="names",
        )
    if body.names is not None:
        names = list(body.names)
    else:
        names = classroom.numbered_names(body.count or 0, [trainee.name for trainee in classroom.roster(store)])
    try:
        added = classroom.enroll(store, names)
    except classroom.ClassFull as error:
        raise ApiError(
            409, "class_full", f"{error}; a larger room needs a second class (another --db)", field="names"
        ) from None
    if added:
        _roster_changed(request)
    data = [
        {"trainee": t.name, "tenantId": t.tenant_id, "token": t.token, "joinCode": _shown_code(t.join_code)}
        for t in added
    ]
    return _json({"trainees": data}, status_code=201, headers=NO_STORE)


def _reset(request: Request, store: StoreDep, name: str | None, body: TraineeReset | None) -> dict[str, Any]:
    keep = body.keepProgress if body is not None else False
    try:
        names = classroom.reset(store, name, keep_progress=keep)
    except NotFound:
        raise _trainee_not_found(name or "") from None
    request.app.state.deliverer.wake()  # deliveries in flight find their rows gone and stop
    return {"reset": names}


@router.post("/trainees/{trainee:id}/reset", summary="Bring one trainee's tenant back to the seed")
def reset_trainee(
    request: Request, store: StoreDep, trainee: TraineeParam, body: TraineeReset | None = None
) -> dict[str, Any]:
    return _reset(request, store, trainee, body)


@router.post("/reset", summary="Bring every trainee's tenant back to the seed")
def reset_class(request: Request, store: StoreDep, body: TraineeReset | None = None) -> dict[str, Any]:
    return _reset(request, store, None, body)


@router.post("/trainees/{trainee:id}/revoke-code", summary="Revoke a trainee's join code (a join with it is a 410)")
def revoke_code(request: Request, store: StoreDep, trainee: TraineeParam) -> dict[str, Any]:
    try:
        classroom.revoke(store, trainee)
        name = classroom.find(store, trainee).name
    except NotFound:
        raise _trainee_not_found(trainee) from None
    _roster_changed(request)
    return {"trainee": name, "joinCode": None}


@router.post("/trainees/{trainee:id}/new-code", summary="Give a trainee a new join code (the old one is revoked)")
def new_code(request: Request, store: StoreDep, trainee: TraineeParam) -> Response:
    try:
        code = classroom.new_code(store, trainee)
        name = classroom.find(store, trainee).name
    except NotFound:
        raise _trainee_not_found(trainee) from None
    _roster_changed(request)
    return _json({"trainee": name, "joinCode": code}, headers=NO_STORE)


@router.get("/progress", summary="Every trainee's progress on every exercise (what the board shows)")
def progress(store: StoreDep) -> Response:
    return _json(classroom.progress(store), headers=NO_STORE)


@board_router.get(
    "/class",
    response_class=HTMLResponse,
    summary="The class board: a page to project (admin token as Bearer, or as the password of HTTP Basic)",
)
def board(store: StoreDep) -> HTMLResponse:
    return HTMLResponse(render_board(classroom.progress(store)), headers=BOARD_HEADERS)
