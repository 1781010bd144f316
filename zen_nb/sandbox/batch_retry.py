"""A batch retry by id, as both forms serve it: choose, check the queue bound, queue, wake the engine.

The rules are the data layer's (``data/retries.py``); this adds the 429 of a batch that would take
the tenant's queue past its bound (``queue_bound.py``: nothing of it is stored) and wakes the
delivery engine when anything was queued. The routes only parse the body and render the items.
"""

from __future__ import annotations

from fastapi import Request

from .data import Store
from .data.retries import BatchItem, choose_batch, queue_batch, queued_count
from .queue_bound import require_room


def retry_batch(
    request: Request, store: Store, tenant_id: str, attempt_ids: list[str], plane_id: str | None = None
) -> tuple[int, list[BatchItem]]:
    """Retry ``attempt_ids`` (of one plane, with ``plane_id``): how many were queued, and each id's item."""
    with store.transaction() as db:
        items = choose_batch(db, tenant_id, attempt_ids, plane_id=plane_id)
        require_room(db, tenant_id, queued_count(items), "this retry")
        queued = queue_batch(db, items)
    if queued:
        request.app.state.deliverer.wake()
    return queued, items
