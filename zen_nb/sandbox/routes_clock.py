"""``/_sandbox/clock``: advance the delivery clock, so that retries due in the next N seconds happen now.

Like Stripe's test clocks, for a recipe or a class: fix a failing target, advance the clock, and
see the retry schedule play out in seconds instead of hours. The admin token acts on every
tenant (or the ``tenantId`` named); a tenant's own token on its own deliveries only
(``tenant_scope.py``). The rule itself is the data layer's (``data/clock.py``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from .data import stamp
from .data.clock import QueueTimes, advance, queue_times
from .deps import StoreDep
from .schemas import ClockAdvance
from .tenant_scope import acting_tenant

router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])
DOING = "advancing the delivery clock"

TenantParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=128,
        description="only this tenant's deliveries; left out: every tenant (admin token) or your own",
    ),
]


def _times_json(times: QueueTimes) -> dict[str, Any]:
    due = times.next_due_at
    return {
        "queued": times.queued,
        "dueNow": times.due_now,
        "nextDueAt": stamp(datetime.fromtimestamp(due, UTC)) if due is not None else None,
    }


@router.post("/clock", summary="Advance the delivery clock: retries due within N seconds are due now")
def advance_clock(request: Request, store: StoreDep, body: ClockAdvance) -> dict[str, Any]:
    tenant_id = acting_tenant(request, store, body.tenantId, DOING)
    with store.transaction() as db:
        now = time.time()
        moved = advance(db, now, body.advanceSeconds, tenant_id)
        times = queue_times(db, now, tenant_id)
    if moved:
        request.app.state.deliverer.wake()
    return {"advancedSeconds": body.advanceSeconds, "moved": moved, **_times_json(times)}


@router.get("/clock", summary="The delivery queue's times: how many wait, how many are due, the next due")
def read_clock(request: Request, store: StoreDep, tenantId: TenantParam = None) -> dict[str, Any]:  # noqa: N803
    tenant_id = acting_tenant(request, store, tenantId, DOING.replace("advancing", "reading"))
    with store.snapshot() as db:
        return _times_json(queue_times(db, time.time(), tenant_id))
