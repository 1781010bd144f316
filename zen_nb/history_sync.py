"""``sync_attempts``: an incremental, crash-safe Parquet history of a plane's delivery attempts.

A month of a busy tenant's attempts is millions of rows that a kernel restart throws away; a
history on disk keeps them, and the next sync fetches only what is new. Each sync re-reads from
``min(complete_through - lookback, oldest_pending)``: ``lookback`` covers attempts committed late
around the previous end, and every attempt stored as ``pending`` is read again until it is final.
Each page becomes Arrow columns at once (Python holds one page of JSON at a time); rows go to the
file of their own UTC day (:mod:`zen_nb.history_files`) in batches, so memory is bounded by a batch
of Arrow rows plus one day's file, never by the history. The state is saved after
each batch, so a sync killed (SIGKILL, Ctrl-C, a fault) loses at most that batch, and the next
call completes it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .analysis_imports import analysis_module
from .arguments import iso_timestamp, utc_moment
from .client import Moment, ZenClient
from .errors import FormNotSupported, ZenError
from .history_files import attempt_table, merge_day, remove_leftovers, split_by_day
from .history_state import check_source, read_state, sync_lock, write_state
from .progress import PageProgress

#: rows buffered (as Arrow columns, per day) before they are written to their day files
BATCH_ROWS = 20_000


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: ``fetched`` rows read, ``added`` new ids, ``updated`` ids whose row changed."""

    fetched: int
    added: int
    updated: int
    days_written: int
    seconds: float
    path: Path

    def __repr__(self) -> str:
        return (
            f"Synced {self.fetched:,} attempts ({self.added:,} new, {self.updated:,} updated) "
            f"into {self.days_written:,} day file{'s' if self.days_written != 1 else ''} in {self.seconds:.1f} s"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(repr(self))}</p>"


def sync_attempts(
    path: str | Path,
    since: Moment | None = None,
    *,
    client: ZenClient | None = None,
    plane: str | None = None,
    lookback: timedelta = timedelta(minutes=10),
    full_refresh: bool = False,
    progress: bool | None = None,
) -> SyncResult:
    """Bring the Parquet history in ``path`` up to date with the plane's attempts created since ``since``.

    ``path``: a folder (created) holding ``day=YYYY-MM-DD/attempts.parquet`` and ``_zen_sync.json``.
    ``since`` is needed on the first sync; later, ``None`` continues, and an earlier one backfills.
    A later sync reads again from the previous end less ``lookback`` (attempts committed late) and
    from the oldest attempt stored ``pending``; an attempt created before that is not looked for
    again. ``full_refresh=True`` reads everything from ``since`` (or the start covered) again, as
    dbt's ``--full-refresh`` does: for a history written behind the sync, such as the sandbox's
    simulated past. Read the history with :func:`zen_nb.attempts_dataset`. The recipe form only: a
    v1 service lists newest first, so a sync would hold its whole list in memory before writing.
    """
    if not isinstance(lookback, timedelta):
        raise TypeError(f"lookback must be a timedelta, not {type(lookback).__name__}; e.g. timedelta(minutes=10)")
    if lookback < timedelta(0):
        raise ValueError(f"lookback must be 0 or more, not {lookback}; e.g. timedelta(minutes=10)")
    analysis_module("pyarrow", "sync_attempts")  # without the analysis extra: refused before a folder is made
    started = time.perf_counter()
    client = client if client is not None else ZenClient()
    if client.dialect.newest_first:
        raise FormNotSupported(
            f"sync_attempts reads the attempt list oldest first, a page at a time; {client.config.api_base} speaks"
            " the v1 form, which lists newest first, so a sync would hold the whole list in memory",
            fix="Sync through the recipe form: point ZEN_API_BASE at the host without /v1, or pass"
            " ZenClient(dialect='recipe'); or load the attempts with zen_nb.load_attempts(since=..., until=...).",
        )
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    source = {"api_base": client.config.api_base, "tenant_id": client.config.tenant_id}
    source["plane_id"] = str(plane["id"]) if isinstance(plane, dict) else (plane or client.config.plane_id)
    with sync_lock(root):
        remove_leftovers(root)
        state = read_state(root)
        if state is not None:
            check_source(root, state, source)
        start, state, covered = _start_of(root, state, source, since, lookback, full_refresh)
        counts = _sync_from(root, client, source["plane_id"], start, state, covered, progress)
    return SyncResult(**counts, seconds=time.perf_counter() - started, path=root)


def _start_of(
    root: Path,
    state: dict[str, Any] | None,
    source: dict[str, str],
    since: Moment | None,
    lookback: timedelta,
    full_refresh: bool = False,
) -> tuple[datetime, dict[str, Any], str]:
    """Where this sync re-reads from, the state it starts with, and the ``since`` covered once it is done.

    A backfill's earlier ``since`` is saved only when the sync ends: a backfill cut short is
    completed by the same call again.
    """
    wanted = utc_moment(iso_timestamp(since)) if since is not None else None
    if state is None:
        if wanted is None:
            raise ZenError(
                f"{root} holds no history yet, so the first sync needs a start",
                fix="Pass since=, e.g. zen_nb.sync_attempts(path, since='2026-11-01').",
            )
        fresh = {**source, "since": _text(wanted), "complete_through": _text(wanted), "oldest_pending": None}
        return wanted, fresh, fresh["since"]
    covered = utc_moment(state["since"])
    if wanted is not None and wanted < covered:
        return wanted, state, _text(wanted)  # backfill: read again from the earlier start
    if full_refresh:
        return covered, state, state["since"]
    start = utc_moment(state["complete_through"]) - lookback
    if state.get("oldest_pending"):
        start = min(start, utc_moment(state["oldest_pending"]))
    return max(start, covered), state, state["since"]


def _sync_from(
    root: Path,
    client: ZenClient,
    plane_id: str,
    start: datetime,
    state: dict[str, Any],
    covered: str,
    progress: bool | None,
) -> dict[str, int]:
    """Read every attempt created from ``start`` on, write it to its day, save the state per batch."""
    buffer: dict[str, list[Any]] = defaultdict(list)  # day -> Arrow tables of that day
    totals = {"fetched": 0, "added": 0, "updated": 0}
    days: set[str] = set()
    stored_pending = utc_moment(state["oldest_pending"]) if state.get("oldest_pending") else None
    seen_pending: datetime | None = None
    latest = utc_moment(state["complete_through"])
    buffered = 0

    def flush(final: bool = False) -> None:
        nonlocal buffered
        for day in sorted(buffer):
            added, updated = merge_day(root, day, buffer[day])
            totals["added"] += added
            totals["updated"] += updated
            if added or updated:
                days.add(day)
        buffer.clear()
        buffered = 0
        # Arrow's allocator keeps freed pages for reuse; a batch's are handed back, or the
        # resident memory of a long sync creeps up by tens of MiB that nothing uses again.
        pa.default_memory_pool().release_unused()
        # Everything read so far is on disk: a crash from here re-reads from this point on.
        pending = min(filter(None, (stored_pending, seen_pending)), default=None)
        since = covered if final else state["since"]
        saved = {"since": since, "complete_through": _text(latest), "oldest_pending": _text(pending)}
        write_state(root, {**state, **saved, "last_sync": totals})

    pa = analysis_module("pyarrow", "sync_attempts")
    pc = analysis_module("pyarrow.compute", "sync_attempts")
    with PageProgress("attempts", progress) as bar:
        for number, page in enumerate(client.attempt_pages(plane_id, since=start)):
            if number == 0:
                bar.begin_list(getattr(page, "total", None))
            if not page:
                continue
            table = attempt_table(page)
            for day, rows in split_by_day(table).items():
                buffer[day].append(rows)
            latest = max(latest, pc.max(table["created_at"]).as_py())
            pending = pc.min(table.filter(pc.equal(table["status"], "pending"))["created_at"]).as_py()
            if pending is not None:
                seen_pending = pending if seen_pending is None else min(seen_pending, pending)
            buffered += len(page)
            totals["fetched"] += len(page)
            bar.update(len(page))
            if buffered >= BATCH_ROWS:
                flush()
        stored_pending = None  # the whole window from the oldest stored pending on was read again
        flush(final=True)
    return {**totals, "days_written": len(days)}


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
