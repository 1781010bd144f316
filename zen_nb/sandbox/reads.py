"""Point reads answered on the event loop: a token's tenant, a plane, a resource by its id.

Under load the server's interpreter lock is the queue: every hop of a request to a worker
thread waits its turn behind the creates and the simulate that hold it, so a flow GET with
four hops (the token, the plane, the route, back) answered in 100 ms where ``/health``, on the
loop, took 15. A point read is a few index lookups, shorter than one such hop, and in WAL mode
it never waits for the writer; so it runs here, on the loop, through
:meth:`~.data.Store.snapshot_nowait`. The rare read that would wait for a lock goes to a
worker thread instead, so the loop (and with it every other request) never waits for one.

Only reads of a bounded, small size belong here; lists, and anything that writes, stay on the
worker threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from .data import Store, WouldWait

Result = TypeVar("Result")


async def read_now(store: Store, read: Callable[[sqlite3.Connection], Result]) -> Result:
    """``read(db)`` in one snapshot: on the event loop if the database answers at once, else on a
    worker thread (where it may wait, as every other read does)."""
    try:
        with store.snapshot_nowait() as db:
            return read(db)
    except WouldWait:
        return await anyio.to_thread.run_sync(_read_waiting, store, read)


def _read_waiting(store: Store, read: Callable[[sqlite3.Connection], Result]) -> Result:
    with store.snapshot() as db:
        return read(db)
