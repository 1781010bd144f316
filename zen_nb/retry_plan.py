"""A bulk retry, planned first: what would be retried, read from the attempts, with nothing changed.

``client.plan_retry(flow=..., since=..., until=...)`` reads the attempts and groups them into
*deliveries* (one event to one target of one flow). A delivery is in the plan when one of its
attempts was made in ``[since, until)``; it is judged on every attempt from ``since`` on, so a
delivery that failed in the window and succeeded after it counts as delivered. The plan retries
each undelivered delivery's latest attempt once, as Hookdeck's bulk retry and Svix's *recover* do,
and says why it skips the others:

==========================  =======================================================================
reason                      the delivery
==========================  =======================================================================
``delivered``               has a succeeded attempt (with ``only_undelivered=True``, the default)
``pending``                 has an attempt being made now
``retry scheduled``         has an automatic retry to come (``source="dlq"`` only)
``retried by this plan``    was retried by an earlier run of this plan (its journal says so)
==========================  =======================================================================

``source="dlq"`` plans only the dead letters: deliveries with no retry left (the v1 form's
``status=failed`` view; on the recipe form, a latest attempt ``failed`` whose ``nextAttemptAt``
is null). A plan made again from the same arguments has the same :attr:`RetryPlan.id`, so that it
finds its journal (:mod:`zen_nb.retry_journal`) and never retries a delivery twice: pass another
``name`` for a new plan over the same window.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from .arguments import Moment, iso_timestamp, optional_id
from .errors import ZenError
from .retry_journal import Delivery, JournalState, RetryJournal

if TYPE_CHECKING:
    from .client import ZenClient
    from .dialects import Dialect
    from .retry_run import RetryResult

SOURCES = ("attempts", "dlq")
RETRY, SKIP = "retry", "skip"
DELIVERED, PENDING, SCHEDULED, RETRIED = "delivered", "pending", "retry scheduled", "retried by this plan"
LOST = "answer lost: sent again with its key"
#: the columns of :attr:`RetryPlan.deliveries`
PLAN_COLUMNS = (
    "flow_id",
    "event_id",
    "target_id",
    "attempt_id",
    "attempt_number",
    "status",
    "created_at",
    "attempts",
    "action",
    "reason",
)


@dataclass(frozen=True)
class PlanQuery:
    """What a plan was asked for, as given (``until=None`` stays None: "up to now", each time)."""

    plane: str
    flow: str | None
    target: str | None
    since: str | None
    until: str | None
    only_undelivered: bool
    source: str
    name: str | None

    def plan_id(self, api_base: str, tenant_id: str, dialect: str) -> str:
        """``rp_`` and 16 hex digits of a digest of the service, the tenant and the query."""
        text = json.dumps([api_base.rstrip("/"), tenant_id, dialect, *self.__dict__.values()], sort_keys=True)
        return "rp_" + hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_retry(
    client: ZenClient,
    plane: str | None = None,
    *,
    flow: str | Mapping[str, Any] | None = None,
    target: str | Mapping[str, Any] | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    only_undelivered: bool = True,
    source: str = "attempts",
    name: str | None = None,
    journal_dir: str | None = None,
) -> RetryPlan:
    """The plan of a bulk retry (:meth:`ZenClient.plan_retry` documents it); reads, changes nothing."""
    if source not in SOURCES:
        raise ZenError(
            f"source must be 'attempts' or 'dlq', not {source!r}",
            fix="Pass source='dlq' to retry only deliveries with no retry left, or leave it out for every failed one.",
        )
    if name is not None and not isinstance(name, str):
        raise ZenError(f"name must be a string, not {type(name).__name__}", fix="Pass name='recover-after-outage'.")
    since_text, until_text = _timestamp(since, "since"), _timestamp(until, "until")
    if since_text is not None and until_text is not None and _moment(until_text) <= _moment(since_text):
        raise ZenError(
            f"until ({until_text}) must be later than since ({since_text})",
            fix="Give the window's start as since and its end as until, e.g. since='2026-12-01', until='2026-12-02'.",
        )
    plane_id = client._plane_id(plane)
    query = PlanQuery(
        plane_id, optional_id(flow), optional_id(target), since_text, until_text, bool(only_undelivered), source, name
    )
    plan_id = query.plan_id(client.config.api_base, client.config.tenant_id, client.dialect.name)
    journal = RetryJournal(plan_id, journal_dir)
    pages = client.attempt_pages(plane_id, flow=query.flow, target=query.target, since=since_text)
    deliveries = _deliveries(pages, query, client.dialect, journal.read())
    return RetryPlan(client, query, plan_id, deliveries, journal)


class RetryPlan:
    """What a bulk retry would do (:attr:`deliveries`, :attr:`summary`), and :meth:`run` to do it."""

    def __init__(
        self, client: ZenClient, query: PlanQuery, plan_id: str, deliveries: pd.DataFrame, journal: RetryJournal
    ) -> None:
        self.client = client
        self.query = query
        self.id = plan_id
        self.deliveries = deliveries
        self.journal = journal
        self.planned_at = pd.Timestamp.now(tz="UTC")
        self._cancel = threading.Event()

    @property
    def to_retry(self) -> int:
        """How many deliveries a run would retry."""
        return int((self.deliveries["action"] == RETRY).sum())

    def __len__(self) -> int:
        return len(self.deliveries)

    @property
    def summary(self) -> pd.DataFrame:
        """Per flow and target: ``events`` (deliveries), ``attempts`` read, ``to_retry``, ``skipped``."""
        frame = self.deliveries
        grouped = frame.assign(to_retry=frame["action"] == RETRY, skipped=frame["action"] == SKIP).groupby(
            ["flow_id", "target_id"], sort=True, observed=True
        )
        summary = grouped.agg(
            events=("event_id", "size"),
            attempts=("attempts", "sum"),
            to_retry=("to_retry", "sum"),
            skipped=("skipped", "sum"),
        )
        return summary.astype("int64")

    def skipped(self) -> pd.Series:
        """How many deliveries are skipped, by reason."""
        reasons = self.deliveries.loc[self.deliveries["action"] == SKIP, "reason"]
        return reasons.value_counts().rename("deliveries")

    def sample(self, n: int = 5) -> pd.DataFrame:
        """The first ``n`` deliveries a run would retry (oldest first)."""
        return self.deliveries[self.deliveries["action"] == RETRY].head(n).reset_index(drop=True)

    def run(
        self,
        *,
        progress: bool | None = None,
        workers: int = 4,
        batch_size: int = 100,
        wait: bool = True,
        timeout: float = 60.0,
        on_progress: Any = None,
    ) -> RetryResult:
        """Retry each planned delivery's latest attempt once; the :class:`~zen_nb.retry_run.RetryResult`.

        At most ``workers`` requests are in flight, each retrying up to ``batch_size`` deliveries
        (the service's batch call: 100 at most; one call each where the service has none); the
        client's retries honour a 429's ``Retry-After``. Each request is noted in the plan's
        journal before it is sent, with an idempotency key made from the plan and what it
        retries: run again (after Ctrl-C, a crash, a fault), a plan retries what is left and
        nothing twice. With ``wait``, waits up to ``timeout`` seconds for the retries' outcomes.
        ``on_progress(done, total)`` is called as requests are answered (the form's bar);
        ``progress`` shows a tqdm bar (default: in a notebook or terminal).
        """
        from .retry_run import run_plan

        try:
            return run_plan(
                self,
                progress=progress,
                workers=workers,
                batch_size=batch_size,
                wait=wait,
                timeout=timeout,
                on_progress=on_progress,
                cancel=self._cancel,
            )
        finally:  # a cancel counts for the run it stopped (or the one about to start), not the next
            self._cancel.clear()

    def cancel(self) -> None:
        """Stop a run from another thread (or the one about to start: the form's Cancel, clicked
        as Run starts): no request is sent after this; the run returns soon, with what was not
        sent marked ``cancelled`` (run again to send it)."""
        self._cancel.set()

    def forget(self) -> None:
        """Delete this plan's journal, so that a plan made again retries what this one retried."""
        self.journal.forget()

    def __repr__(self) -> str:
        return f"<RetryPlan {self.id}: {self.to_retry:,} to retry of {len(self):,} deliveries>"

    def _repr_html_(self) -> str:
        skipped = ", ".join(f"{count:,} {reason}" for reason, count in self.skipped().items())
        head = (
            f"<p><strong>Retry plan <code>{escape(self.id)}</code></strong>: {self.to_retry:,} of "
            f"{len(self):,} deliveries to retry" + (f" (skipped: {escape(skipped)})" if skipped else "") + ". "
            "Nothing has changed yet: <code>plan.run()</code> retries them.</p>"
        )
        if self.deliveries.empty:
            return head
        sample = self.sample()[["event_id", "target_id", "attempt_id", "attempt_number", "status", "created_at"]]
        return head + self.summary.to_html() + "<p>The first to retry:</p>" + sample.to_html(index=False)


def _timestamp(value: Moment | None, name: str) -> str | None:
    """``value`` as the API writes timestamps; a refusal names the argument."""
    try:
        return iso_timestamp(value)
    except ZenError as error:
        raise ZenError(f"{name}: {error.message}", fix=error.fix) from None


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class _Seen:
    """One delivery as the attempts read so far show it."""

    latest: Mapping[str, Any]
    attempts: int = 1
    delivered: bool = False
    in_window: bool = False


def _deliveries(
    pages: Iterable[list[dict[str, Any]]], query: PlanQuery, dialect: Dialect, journal: JournalState
) -> pd.DataFrame:
    """The plan's deliveries from the attempts since ``since``: latest attempt, counts, action and reason.

    Each attempt is read as the client reads any (a service may answer snake_case). One without
    a flow (a v1 service that lists deliveries by destination only) is a delivery of no flow,
    unless the plan is of one flow: then it could not be told whether it belongs, and is refused.
    """
    until = _moment(query.until) if query.until is not None else None
    read = raw_reader(dialect)
    seen: dict[Delivery, _Seen] = {}
    for page in pages:
        for attempt in map(read, page):
            flow_id = attempt.get("flowId")
            if flow_id is None and query.flow is not None:
                raise ZenError(
                    "the service's deliveries do not say which flow made them, so a plan of one flow "
                    "cannot tell its own from the others'",
                    fix="Plan by target instead (plan_retry(target=...)), or leave flow= out.",
                )
            key = (flow_id, attempt["eventId"], attempt["targetId"])
            in_window = until is None or _moment(attempt["createdAt"]) < until
            found = seen.get(key)
            if found is None:
                found = seen[key] = _Seen(attempt)
            else:
                found.attempts += 1
                if attempt["attemptNumber"] >= found.latest["attemptNumber"]:
                    found.latest = attempt
            found.delivered = found.delivered or attempt["status"] == "succeeded"
            found.in_window = found.in_window or in_window
    retried = journal.retried_deliveries()
    lost = {delivery for request in journal.unanswered() for delivery in request.deliveries}
    rows = []
    for key, found in seen.items():
        if not found.in_window:
            continue
        dead = query.source == "dlq" and _dead_letter(found.latest, dialect.name)
        if query.source == "dlq" and not dead and key not in retried:
            continue  # not a dead letter: not in this plan's source
        reason = _skip_reason(key, found, dead, query, retried, lost)
        latest = found.latest
        rows.append(
            (
                *key,
                latest["id"],
                latest["attemptNumber"],
                latest["status"],
                latest["createdAt"],
                found.attempts,
                SKIP if reason is not None and reason != LOST else RETRY,
                reason,
            )
        )
    return _plan_frame(rows)


def raw_reader(dialect: Dialect) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """How to read an item of :meth:`ZenClient.attempt_pages`: the recipe form gives the service's
    own JSON (read it, as any attempt is read); the v1 form's items are read already."""
    return (lambda item: item) if dialect.newest_first else dialect.read_attempt


def _skip_reason(
    key: Delivery, found: _Seen, dead: bool, query: PlanQuery, retried: set[Delivery], lost: set[Delivery]
) -> str | None:
    if key in lost:
        return LOST
    if key in retried:
        return RETRIED
    if found.latest["status"] == "pending":
        return PENDING
    if found.delivered and query.only_undelivered:
        return DELIVERED
    if query.source == "dlq" and not dead:
        return SCHEDULED
    return None


def _dead_letter(latest: Mapping[str, Any], dialect: str) -> bool:
    """Whether the delivery's latest attempt failed with no retry left (a dead letter)."""
    if latest["status"] != "failed":
        return False
    if dialect == "v1":
        return latest.get("deliveryStatus") == "failed"
    if "nextAttemptAt" not in latest:
        raise ZenError(
            "the service's delivery attempts do not say whether a retry is still to come (no nextAttemptAt), "
            "so the dead letters cannot be told from the rest",
            fix="Plan with source='attempts' (every undelivered delivery), or speak the v1 form, whose "
            "status=failed view is the dead letters.",
        )
    return latest["nextAttemptAt"] is None


def _plan_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in PLAN_COLUMNS]
    data = dict(zip(PLAN_COLUMNS, columns, strict=True))
    frame = pd.DataFrame(
        {
            **{name: pd.array(list(data[name]), dtype="string[python]") for name in PLAN_COLUMNS},
            "attempt_number": pd.array(list(data["attempt_number"]), dtype="Int64"),
            "attempts": pd.array(list(data["attempts"]), dtype="Int64"),
            "created_at": pd.to_datetime(pd.Series(list(data["created_at"]), dtype=object), utc=True, format="ISO8601"),
        },
        columns=list(PLAN_COLUMNS),
    )
    return frame.sort_values(["created_at", "event_id"], kind="stable", ignore_index=True)
