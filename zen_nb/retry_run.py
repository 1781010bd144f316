"""Running a bulk retry plan: bounded requests in flight, a journal line before each, and the result.

The plan's deliveries to retry go out in *requests*: a batch call of up to ``batch_size`` attempts
(the v1 form's ``/retry/batch``; the recipe form's ``.../delivery-attempts/retry``, which the
sandbox serves), or, where the service has no batch call, one retry call per attempt. At most
``workers`` requests are in flight (a thread each); the client's urllib3 retries honour a 429's
``Retry-After``, and a request whose tries were all spent on transient failures is sent again,
:data:`SEND_RESUMES` more times, with the same key.

Three things together make a delivery retried once, however the run is cut short:

1. each request's idempotency key is made from the plan's id and what it retries, so the same
   request sent again (a lost answer, a resume) is replayed by the service, not made again;
2. the journal notes each request before it is sent (:mod:`zen_nb.retry_journal`), so a run of
   the same plan, even in a new kernel, leaves out what an earlier run sent, and sends again,
   with its own key, a request whose answer was lost;
3. the service's batch call queues only a delivery's latest failed attempt, so a request sent
   again after its answer was lost, long after the key expired, still retries nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ConflictError, FormNotSupported, NotFoundError, ZenAPIError, ZenConnectionError, ZenError
from .progress import is_interactive
from .retry_journal import Delivery
from .retry_plan import DELIVERED, RETRIED, RETRY, raw_reader
from .transport import is_transient

if TYPE_CHECKING:
    from .retry_plan import RetryPlan

LOG = logging.getLogger("zen_nb.retry")

SEND_RESUMES = 2  # sends of a request again after its tries were all spent on transient failures
RESUME_WAIT = 1.0  # seconds before the first of them (then 2 s)
MAX_WORKERS = 16
MAX_BATCH = 100  # the batch calls' limit (zen-api.md §8)
POLL_FIRST, POLL_MOST = 0.2, 2.0  # seconds between two looks at the retries' outcomes
FEW_PENDING = 20  # retries still pending that are read one by one rather than through the list
#: the columns of :attr:`RetryResult.table`
RESULT_COLUMNS = (
    "flow_id",
    "event_id",
    "target_id",
    "attempt_id",
    "retry_attempt_id",
    "outcome",
    "reason",
    "status",
)
RETRIED_NOW, SKIPPED, NOT_FOUND, CANCELLED = "retried", "skipped", "not_found", "cancelled"
#: an outcome as the journal writes it: the batch calls' own words
_SERVICE_WORDS = {RETRIED_NOW: "queued", SKIPPED: "skipped", NOT_FOUND: "not_found", CANCELLED: "not_sent"}
NOT_SENT = "not sent: the run was cancelled or stopped"
LOST_NOT_RESENT = "its answer was lost and it was not sent again yet: run the plan again"
SKIPPED_BY_SERVICE = "skipped by the service: delivered, pending or superseded meanwhile"


@dataclass
class _Request:
    """One request of the run: its key, the attempts it retries and their deliveries."""

    key: str
    attempt_ids: list[str]
    deliveries: list[Delivery]
    single: bool = False  # one retry call per attempt (no batch call, or a delivered one to send again)
    resent: bool = False  # written in the journal by an earlier run, its answer lost


@dataclass
class _Outcome:
    """What the service did to one delivery of a request."""

    outcome: str
    retry_attempt_id: str | None = None
    reason: str | None = None


@dataclass
class _Progress:
    """The run's count of deliveries answered, for the bar and ``on_progress`` (thread-safe)."""

    total: int
    callback: Callable[[int, int], Any] | None
    bar: Any = None
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, count: int) -> None:
        with self.lock:
            self.done += count
            done = self.done
            if self.bar is not None:
                self.bar.update(count)
        if self.callback is not None:
            self.callback(done, self.total)


def run_plan(
    plan: RetryPlan,
    *,
    progress: bool | None,
    workers: int,
    batch_size: int,
    wait: bool,
    timeout: float,
    on_progress: Callable[[int, int], Any] | None,
    cancel: threading.Event,
) -> RetryResult:
    """Run ``plan`` (see :meth:`RetryPlan.run` and the module's docstring)."""
    _check(workers, "workers", 1, MAX_WORKERS, "workers=4")
    _check(batch_size, "batch_size", 1, MAX_BATCH, "batch_size=100")
    if not isinstance(timeout, int | float) or timeout < 0:
        raise ZenError(f"timeout must be a number of seconds of 0 or more, not {timeout!r}", fix="Pass timeout=60.")
    journal = plan.journal.read()
    earlier = journal.retried_deliveries()
    requests = [
        _Request(lost.key, lost.attempt_ids, list(lost.deliveries), lost.key.endswith("-single"), resent=True)
        for lost in journal.unanswered()
    ]
    requests += _new_requests(plan, earlier, batch_size)
    sender = _Sender(plan, cancel)
    outcomes: dict[Delivery, _Outcome] = {}
    total = sum(len(request.deliveries) for request in requests)
    counter = _Progress(total, on_progress)
    show = is_interactive() if progress is None else progress
    if show and total:
        from tqdm.auto import tqdm

        counter.bar = tqdm(total=total, desc=f"Retrying {total:,} deliveries", unit="delivery")
    try:
        _send_all(requests, sender, outcomes, counter, workers, cancel)
    finally:
        if counter.bar is not None:
            counter.bar.close()
    lost = {delivery for request in journal.unanswered() for delivery in request.deliveries}
    result = _result(plan, journal.retry_attempt_ids(), earlier, lost, outcomes, cancel.is_set())
    if wait and not cancel.is_set():
        result.wait(timeout, cancel)
    return result


def _check(value: Any, name: str, low: int, high: int, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ZenError(f"{name} must be a whole number from {low} to {high}, not {value!r}", fix=f"Pass {example}.")


def _key(plan_id: str, kind: str, parts: list[str]) -> str:
    """A request's idempotency key: the plan's id and a digest of what the request retries."""
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    return f"zen-nb-{plan_id}-{digest}-{kind}"


def delivery_key(plan_id: str, delivery: Delivery) -> str:
    """The key of one delivery's own retry call (where the service has no batch call)."""
    return _key(plan_id, "one", list(delivery))


def _new_requests(plan: RetryPlan, earlier: set[Delivery], batch_size: int) -> list[_Request]:
    """The plan's deliveries to retry that no earlier run sent, in requests of ``batch_size``.

    A delivered one (planned with ``only_undelivered=False``) goes by the single retry call on the
    recipe form, since a batch call retries only failed deliveries.
    """
    frame = plan.deliveries[plan.deliveries["action"] == RETRY]
    failed: list[tuple[str, Delivery]] = []
    delivered: list[tuple[str, Delivery]] = []
    for row in frame.itertuples(index=False):
        delivery = (row.flow_id, row.event_id, row.target_id)
        if delivery in earlier:
            continue
        single = row.status == "succeeded" and plan.client.dialect.plane_in_path
        (delivered if single else failed).append((row.attempt_id, delivery))
    requests = []
    for chosen, single in ((failed, False), (delivered, True)):
        for start in range(0, len(chosen), batch_size):
            part = chosen[start : start + batch_size]
            ids = [attempt_id for attempt_id, _ in part]
            kind = "single" if single else "batch"
            requests.append(_Request(_key(plan.id, kind, ids), ids, [d for _, d in part], single))
    return requests


def _send_all(
    requests: list[_Request],
    sender: _Sender,
    outcomes: dict[Delivery, _Outcome],
    counter: _Progress,
    workers: int,
    cancel: threading.Event,
) -> None:
    """Send the requests, at most ``workers`` at once, until done, cancelled or failed.

    Ctrl-C (or an error a request cannot get past) stops the sending of new requests; those in
    flight finish and are journaled, then the interrupt (or the error) is raised.
    """
    todo = list(reversed(requests))
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zen-retry") as pool:
        running: set[Future[None]] = set()
        try:
            while todo or running:
                while todo and len(running) < workers and not cancel.is_set() and failure is None:
                    running.add(pool.submit(sender.send, todo.pop(), outcomes, counter))
                if not running:
                    break
                finished, running = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    if error is not None and failure is None:
                        failure = error
                if cancel.is_set() or failure is not None:
                    todo.clear()
        except KeyboardInterrupt:
            cancel.set()
            todo.clear()
            wait(running)  # the requests in flight finish, and their answers are journaled
            raise
    if failure is not None:
        if isinstance(failure, ZenError):
            failure.add_note(
                "The bulk retry stopped here. What it sent is in the plan's journal: run the plan again "
                "(plan.run()) to go on; it sends what is left, and retries nothing twice."
            )
        raise failure


class _Sender:
    """Sends one request and journals it; knows whether the service has a batch call."""

    def __init__(self, plan: RetryPlan, cancel: threading.Event) -> None:
        self.plan = plan
        self.cancel = cancel
        self.client = plan.client
        self.no_batch = False  # the recipe-form service answered that it has no batch call
        self._lock = threading.Lock()

    def send(self, request: _Request, outcomes: dict[Delivery, _Outcome], counter: _Progress) -> None:
        if not request.resent:
            self.plan.journal.sent(request.key, request.attempt_ids, request.deliveries)
        answered = self._with_resumes(request)
        self.plan.journal.answered(
            request.key,
            [
                {"attemptId": attempt_id, "status": _SERVICE_WORDS[got.outcome], "retryAttemptId": got.retry_attempt_id}
                for attempt_id, got in zip(request.attempt_ids, answered, strict=True)
            ],
        )
        with self._lock:
            outcomes.update(zip(request.deliveries, answered, strict=True))
        counter.add(len(request.deliveries))

    def _with_resumes(self, request: _Request) -> list[_Outcome]:
        for resume in range(SEND_RESUMES + 1):
            try:
                return self._send_once(request)
            except (ZenAPIError, ZenConnectionError) as error:
                if resume == SEND_RESUMES or not _worth_sending_again(error):
                    raise
                pause = getattr(error, "retry_after", None) or RESUME_WAIT * (resume + 1)
                LOG.info(
                    "retry request %s failed after its tries (%s); sending it again in %.1f s",
                    request.key,
                    error,
                    pause,
                )
                if self.cancel.wait(min(pause, 60.0)):  # cancelled meanwhile: the error stands
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    def _send_once(self, request: _Request) -> list[_Outcome]:
        if request.single or self.no_batch:
            return self._singles(request)
        try:
            return self._batch(request)
        except FormNotSupported:
            with self._lock:
                self.no_batch = True
            LOG.info("%s has no batch retry call: retrying one attempt per call", self.client.config.api_base)
            return self._send_once(request)

    def _batch(self, request: _Request) -> list[_Outcome]:
        """The batch call; :class:`FormNotSupported` when the service has none (404 or 405)."""
        client = self.client
        if client.dialect.plane_in_path:
            try:
                items = client._retry_batch_recipe(request.attempt_ids, self.plan.query.plane, request.key)
            except ZenAPIError as error:
                if error.status == 405 or (isinstance(error, NotFoundError) and error.code in (None, "not_found")):
                    raise FormNotSupported(f"{client.config.api_base} has no batch retry call") from None
                raise
        else:
            items = client._retry_batch(request.attempt_ids, request.key)
        by_id = {item.get("attemptId"): item for item in items or [] if isinstance(item, Mapping)}
        return [_read_outcome(by_id.get(attempt_id)) for attempt_id in request.attempt_ids]

    def _singles(self, request: _Request) -> list[_Outcome]:
        """One retry call per attempt; after a cancel, the rest are not sent (``cancelled``: the
        journal frees them for the next run, whose calls carry the same per-delivery keys)."""
        outcomes = []
        for attempt_id, delivery in zip(request.attempt_ids, request.deliveries, strict=True):
            if self.cancel.is_set():
                outcomes.append(_Outcome(CANCELLED, reason=NOT_SENT))
            elif request.resent and (made := self._made_before(attempt_id, delivery)) is not None:
                outcomes.append(made)
            else:
                outcomes.append(self._one(attempt_id, delivery))
        return outcomes

    def _made_before(self, attempt_id: str, delivery: Delivery) -> _Outcome | None:
        """The retry an earlier run made of this delivery before its answer was lost, if any.

        The single retry call retries any attempt, and its key may be gone by now (a day later,
        or pushed out by a long run's newer keys): so before a lost request is sent again, the
        delivery's attempts say whether it landed, as a manual attempt after the planned one.
        """
        flow_id, event_id, target_id = delivery
        attempts = self.client.list_attempts(self.plan.query.plane, flow=flow_id, event=event_id, target=target_id)
        planned = next((a for a in attempts if a["id"] == attempt_id), None)
        if planned is None:
            return None
        later = [a for a in attempts if a.get("trigger") == "manual" and a["attemptNumber"] > planned["attemptNumber"]]
        if not later:
            return None
        return _Outcome(RETRIED_NOW, min(later, key=lambda a: a["attemptNumber"])["id"])

    def _one(self, attempt_id: str, delivery: Delivery) -> _Outcome:
        try:
            made = self.client.retry_attempt(
                attempt_id, self.plan.query.plane, idempotency_key=delivery_key(self.plan.id, delivery)
            )
        except NotFoundError:
            return _Outcome(NOT_FOUND, reason="the attempt or its flow is gone")
        except ConflictError as error:
            if error.code != "nothing_to_retry":
                raise
            return _Outcome(SKIPPED, reason=SKIPPED_BY_SERVICE)
        return _Outcome(RETRIED_NOW, made["id"])


def _worth_sending_again(error: ZenError) -> bool:
    """A transient failure (:func:`~zen_nb.transport.is_transient`), or the same key still at work on
    the server (another run of this plan, or a try that timed out here): sent again with its key,
    the request is replayed."""
    return is_transient(error) or (isinstance(error, ConflictError) and error.code == "idempotency_key_in_use")


def _read_outcome(item: Mapping[str, Any] | None) -> _Outcome:
    if item is None:
        raise ZenError(
            "the batch retry's answer leaves out an attempt it was sent",
            fix="Run the plan again: its journal keeps what was answered; report this answer to Zen Mesh.",
        )
    status = item.get("status")
    if status == "queued":
        return _Outcome(RETRIED_NOW, item.get("retryAttemptId"))
    if status == "not_found":
        return _Outcome(NOT_FOUND, reason="the attempt or its flow is gone")
    return _Outcome(SKIPPED, reason=SKIPPED_BY_SERVICE)


def _result(
    plan: RetryPlan,
    made_before: dict[Delivery, str],
    earlier: set[Delivery],
    lost: set[Delivery],
    outcomes: dict[Delivery, _Outcome],
    cancelled: bool,
) -> RetryResult:
    rows = []
    for row in plan.deliveries.itertuples(index=False):
        delivery = (row.flow_id, row.event_id, row.target_id)
        planned_reason = row.reason if isinstance(row.reason, str) else None
        got = outcomes.get(delivery)
        if got is not None:
            outcome, retry_id, reason = got.outcome, got.retry_attempt_id, got.reason
        elif delivery in lost:  # its request's answer was lost, and this run stopped before sending it again
            outcome, retry_id, reason = CANCELLED, None, LOST_NOT_RESENT
        elif delivery in earlier or planned_reason == RETRIED:
            outcome, retry_id, reason = SKIPPED, made_before.get(delivery), RETRIED
        elif row.action == RETRY:
            outcome, retry_id, reason = CANCELLED, None, NOT_SENT
        else:
            outcome, retry_id, reason = SKIPPED, None, planned_reason
        rows.append((*delivery, row.attempt_id, retry_id, outcome, reason, None))
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    for name in RESULT_COLUMNS:
        table[name] = table[name].astype("string[python]")
    return RetryResult(plan, table, cancelled)


class RetryResult:
    """What a run did: :attr:`table` (one row per planned delivery) and :attr:`summary`.

    ``outcome`` is ``retried`` (a new attempt was made, ``retry_attempt_id``), ``skipped`` (with
    its ``reason``: delivered, pending, retried by this plan before, or skipped by the service),
    ``not_found`` or ``cancelled`` (not sent: run again to send it). ``status`` is the new
    attempt's (``succeeded``, ``failed``, or ``pending`` when the wait ended first), also for one
    made by an earlier run of the plan.
    """

    def __init__(self, plan: RetryPlan, table: pd.DataFrame, cancelled: bool) -> None:
        self.plan = plan
        self.table = table
        self.cancelled = cancelled

    def wait(self, timeout: float = 60.0, cancel: threading.Event | None = None) -> RetryResult:
        """Wait up to ``timeout`` seconds until no retry is pending; read their statuses. Returns self.

        The retries are read from the plan's attempt list, from the earliest planned attempt that
        was retried (every retry is made after it), and once only a few are still pending, one by
        one. A retry whose id the service did not answer (a batch call that gives none) is found
        there as its delivery's first manual attempt after the planned one.
        """
        table = self.table
        retried = (table["outcome"] == RETRIED_NOW).to_numpy() | table["retry_attempt_id"].notna().to_numpy()
        if not retried.any():
            return self
        planned = self.plan.deliveries.loc[retried]
        unknown = {  # delivery → its planned attempt's number, for retries without an id
            (row.flow_id, row.event_id, row.target_id): row.attempt_number
            for row, retry_id in zip(
                planned.itertuples(index=False), table.loc[retried, "retry_attempt_id"], strict=True
            )
            if not isinstance(retry_id, str)
        }
        found: dict[Delivery, str] = {}
        statuses: dict[str, str] = {}
        ids = set(table["retry_attempt_id"].dropna())
        since = planned["created_at"].min()
        deadline = time.monotonic() + timeout
        pause = POLL_FIRST
        while True:
            pending = {attempt_id for attempt_id in ids if statuses.get(attempt_id, "pending") == "pending"}
            if len(pending) <= FEW_PENDING and len(found) == len(unknown):
                for attempt_id in pending:
                    statuses[attempt_id] = self.plan.client.get_attempt(attempt_id, self.plan.query.plane)["status"]
            else:
                self._read_list(since, ids, unknown, found, statuses, deadline)
                ids |= set(found.values())
            settled = len(found) == len(unknown) and all(statuses.get(i, "pending") != "pending" for i in ids)
            if settled or time.monotonic() + pause > deadline or (cancel is not None and cancel.is_set()):
                break
            time.sleep(pause)
            pause = min(pause * 2, POLL_MOST)
        for attempt_id in ids - set(statuses):  # not in the list (made before the bound): read it alone
            statuses[attempt_id] = self.plan.client.get_attempt(attempt_id, self.plan.query.plane)["status"]
        retry_ids = []
        for row, retry_id in zip(self.plan.deliveries.itertuples(index=False), table["retry_attempt_id"], strict=True):
            retry_ids.append(
                retry_id if isinstance(retry_id, str) else found.get((row.flow_id, row.event_id, row.target_id))
            )
        table["retry_attempt_id"] = pd.array(retry_ids, dtype="string[python]")
        table["status"] = pd.array(
            [statuses.get(retry_id, "pending") if isinstance(retry_id, str) else None for retry_id in retry_ids],
            dtype="string[python]",
        )
        return self

    def _read_list(
        self,
        since: Any,
        ids: set[str],
        unknown: dict[Delivery, int],
        found: dict[Delivery, str],
        statuses: dict[str, str],
        deadline: float,
    ) -> None:
        """One read of the plan's attempts since ``since``: the statuses of ``ids``, and the retries
        of the deliveries in ``unknown`` (their first manual attempt after the planned one)."""
        query = self.plan.query
        read = raw_reader(self.plan.client.dialect)
        for page in self.plan.client.attempt_pages(query.plane, flow=query.flow, target=query.target, since=since):
            for attempt in page:
                attempt = read(attempt)
                if attempt["id"] in ids:
                    statuses[attempt["id"]] = attempt["status"]
                key = (attempt.get("flowId"), attempt.get("eventId"), attempt.get("targetId"))
                number = unknown.get(key)  # type: ignore[arg-type]
                if number is not None and key not in found and attempt["attemptNumber"] > number:
                    if attempt.get("trigger", "manual") == "manual":
                        found[key] = attempt["id"]  # type: ignore[index]
                        statuses[attempt["id"]] = attempt["status"]
            if time.monotonic() > deadline:
                return

    @property
    def summary(self) -> dict[str, int]:
        """Counts: ``planned`` (to retry when planned), ``retried`` (now), ``succeeded``,
        ``still_failing`` and ``pending`` (of this run's retries), ``skipped`` (all reasons,
        ``delivered`` among them), ``not_found``, ``cancelled``."""
        table = self.table
        now = table[table["outcome"] == RETRIED_NOW]
        return {
            "planned": int(self.plan.to_retry),
            "retried": len(now),
            "succeeded": int((now["status"] == "succeeded").sum()),
            "still_failing": int((now["status"] == "failed").sum()),
            "pending": int(((now["status"] == "pending") | now["status"].isna()).sum()),
            "skipped": int((table["outcome"] == SKIPPED).sum()),
            "delivered": int((table["reason"] == DELIVERED).sum()),
            "not_found": int((table["outcome"] == NOT_FOUND).sum()),
            "cancelled": int((table["outcome"] == CANCELLED).sum()),
        }

    def __repr__(self) -> str:
        shown = ", ".join(f"{name} {count:,}" for name, count in self.summary.items() if count)
        return f"<RetryResult {self.plan.id}: {shown or 'nothing to retry'}>"

    def _repr_html_(self) -> str:
        summary = self.summary
        cells = "".join(f"<th>{escape(name.replace('_', ' '))}</th>" for name in summary)
        values = "".join(f"<td>{count:,}</td>" for count in summary.values())
        note = " It was cancelled: run the plan again to send the rest." if self.cancelled else ""
        return (
            f"<p><strong>Retry plan <code>{escape(self.plan.id)}</code></strong> ran.{note}</p>"
            f"<table><tr>{cells}</tr><tr>{values}</tr></table>"
        )
