"""The sandbox's data layer: every SQL statement of the sandbox, and nothing else.

One module per family of tables, each a set of typed functions that take a connection from
:class:`Store` (``store.transaction()`` to write, ``store.snapshot()`` to read):

- ``schema``: the tables, and the migrations that bring an older database up to date;
- ``database_file``: the file on disk: created private (0600), and recognised as the
  sandbox's before anything is written;
- ``connection``: :class:`Store`, the one writer and the per-thread readers (one of which
  never waits, for reads on the event loop);
- ``updates``: the one way a PATCH changes a named row;
- ``constraints``: the layer's errors (:class:`NotFound`, :class:`NameTaken`), the only code
  that reads a constraint violation;
- ``tenants``, ``catalog`` (planes, adapters, ingesters), ``targets``, ``flows``;
- ``events``, ``deliveries`` (the queue of attempts still to make), ``attempts``, ``retries``
  (retries by hand, one or a batch by id, the same on both forms) and ``clock`` (advancing the
  queue's due times);
- ``settings`` (retry schedule, outcome models) and ``idempotency`` (stored answers);
- ``classroom`` (a training class: trainees and their tenants, join codes, a trainee's reset,
  what the exercise checks found), ``activity`` (what a tenant did that its objects cannot
  tell: a name conflict, a pause, a resume) and ``exercise_reads`` (the rows the checks read).
- ``v1_resources`` (the v1 form's reads across a tenant's planes, newest first) and
  ``v1_deliveries`` (the v1 status words and the DLQ rule, in SQL).

Routes parse a request, call these functions, and render what they return; no other module
of the sandbox writes SQL (``tests/test_architecture.py`` checks it).
"""

from __future__ import annotations

from .connection import Store, WouldWait, stamp, utc_now
from .constraints import DataError, NameTaken, NotFound

__all__ = ["DataError", "NameTaken", "NotFound", "Store", "WouldWait", "stamp", "utc_now"]
