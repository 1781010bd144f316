"""The delivery engine: a dispatcher thread and a few workers that make the queued attempts.

The dispatcher takes due deliveries from the database queue (``data/deliveries.py``), never
more than there are free workers, so the deliveries in flight are bounded and the rest wait in
the database, not in memory. It takes them fairly (``data/fairness.py``): each free worker goes
to the tenant with the fewest attempts in flight, then to its target with the fewest, so one
tenant flooding a slow target cannot hold every worker while another tenant's event waits. A
queued job costs no memory: a payload is read from the database only as a free worker is about
to start its attempt, and dropped when the attempt ends, so the payloads in memory are at most
one per worker. A worker makes one attempt: a real POST to an ``http`` target on loopback, the
target's outcome model for every other target (the sandbox never leaves the machine). It
records the result and, after a failure, queues the next attempt on the retry schedule until the
schedule is used up (or on its flow's own retry policy, when the flow has one); after a success,
drops the delivery's automatic retries still queued (a manual retry may have overtaken one).

Settings (retry schedule, outcome models) are read from the database at each attempt, so a
restart or a reset changes them for the engine at once. Whatever goes wrong while an attempt
is made (a URL that ``destinations.py`` refuses, a broken outcome model, a bug) ends that attempt
``failed`` with an error code, logged once; no attempt is left ``pending`` by an exception. A
process that dies mid-attempt leaves it pending: :func:`data.deliveries.recover_interrupted`
ends it when the database is opened again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from random import Random

from .data import Store
from .data.attempts import finish_attempt
from .data.deliveries import (
    EXPIRE_BATCH,
    Delivery,
    drop_retries_after_success,
    expire_held,
    next_due_at,
    next_retry_at,
    schedule_retry,
    take_due,
)
from .data.events import event_payload
from .data.fairness import InFlight
from .destinations import Destination, RefusedDestination, destination_of
from .loopback_post import post
from .outcomes import Outcome, default_outcome

log = logging.getLogger("zen_nb.sandbox")

WORKERS = 8  # attempts in flight at most, per sandbox
HTTP_TIMEOUT = 10.0
IDLE_WAIT = 1.0  # the longest the dispatcher sleeps without looking at the queue
EXPIRE_EVERY = 60.0  # seconds between two looks for held deliveries that have expired


@dataclass(frozen=True)
class Result:
    """How one attempt ended."""

    succeeded: bool
    response_status: int | None
    error_code: str | None
    latency_ms: int


class Deliverer:
    """The delivery engine of one sandbox: :meth:`start` it with the server, :meth:`wake` it when
    something was queued or released, :meth:`stop` it last."""

    def __init__(self, store: Store, workers: int = WORKERS) -> None:
        self.store = store
        self.workers = workers
        self._rng = Random()
        self._rng_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._in_flight = InFlight()  # attempts handed to the pool and not yet recorded, per tenant and target
        self._expired_at = -EXPIRE_EVERY  # monotonic time of the last look for expired deliveries
        self._busy_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zen-delivery")
        self._thread = threading.Thread(target=self._run, name="zen-deliverer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop taking deliveries. Attempts in flight finish on their own; one that cannot record its
        result because the database is closed stays pending, for the next start's recovery."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        """Look at the queue now: something was queued or released, or a worker is free."""
        self._wake.set()

    # -- the dispatcher ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            with self._busy_lock:
                in_flight = self._in_flight.copy()
            free = self.workers - in_flight.total()
            if free <= 0:
                self._wake.wait(IDLE_WAIT)  # a worker that finishes wakes us
                continue
            try:
                self._expire()
                with self.store.transaction() as db:
                    jobs = take_due(db, time.time(), free, in_flight)
                for job in jobs:
                    self._hand_over(job)
                if len(jobs) < free:
                    self._wake.wait(self._next_due_in())
            except sqlite3.ProgrammingError:  # the store was closed under us: the sandbox is stopping
                return
            except Exception:  # never let the dispatcher die: every later delivery would be stranded
                log.exception("the delivery dispatcher failed to read the queue; trying again in %s s", IDLE_WAIT)
                self._wake.wait(IDLE_WAIT)

    def _expire(self) -> None:
        """Now and then, end what paused flows have held too long (``data.deliveries.expire_held``)."""
        if time.monotonic() - self._expired_at < EXPIRE_EVERY:
            return
        with self.store.transaction() as db:
            expired = expire_held(db, time.time())
        if expired < EXPIRE_BATCH:  # more are left: look again at the next turn
            self._expired_at = time.monotonic()

    def _next_due_in(self) -> float:
        with self.store.snapshot() as db:
            due = next_due_at(db)
        return IDLE_WAIT if due is None else min(IDLE_WAIT, max(0.0, due - time.time()))

    def _hand_over(self, job: Delivery) -> None:
        with self._busy_lock:
            self._in_flight.add(job.tenant_id, job.target)
        try:
            self._pool.submit(self._attempt, self._with_payload(job))
        except RuntimeError:  # the pool is shut down: stopping; the attempt is recovered at the next start
            self._done(job)

    def _with_payload(self, job: Delivery) -> Delivery:
        """The job with its event's payload, read now, as a free worker is about to start it.

        Read here, on the dispatcher's thread, every payload goes through one database connection
        (and its page cache of at most 2 MiB): read on each worker's thread, each would keep a
        connection and cache of its own (8 more caches: 16 MiB). A read that fails here is left to
        the worker (:meth:`_make_with_payload`), where a failure ends the attempt like any other.
        """
        try:
            with self.store.snapshot() as db:
                return replace(job, payload=event_payload(db, job.event_id))
        except Exception:
            return job

    def _done(self, job: Delivery) -> None:
        with self._busy_lock:
            self._in_flight.remove(job.tenant_id, job.target)
        self._wake.set()

    # -- one attempt ------------------------------------------------------------------------------

    def _attempt(self, job: Delivery) -> None:
        """Make one attempt and record it; queue the next one after a failure."""
        try:
            try:
                result = self._make_with_payload(job)
            except sqlite3.ProgrammingError:  # the store is closed: stopping, not a fault of this attempt
                raise
            except Exception as error:  # whatever it is, the attempt ends failed, and is retried
                result = self._fault(job, error)
            self._record(job, result)
        except sqlite3.ProgrammingError:  # the sandbox stopped while this attempt ran
            pass
        except Exception:
            log.exception("attempt %s: its result could not be recorded; it stays pending", job.attempt_id)
        finally:
            self._done(job)

    def _make_with_payload(self, job: Delivery) -> Result:
        """Make the attempt, reading the payload first if the dispatcher could not: the copy lives as
        long as the attempt, so the payloads in memory are those of the attempts in flight."""
        if job.payload is None:
            with self.store.snapshot() as db:
                job = replace(job, payload=event_payload(db, job.event_id))
        return self._make(job)

    def _make(self, job: Delivery) -> Result:
        if job.target_type is None:  # the flow points elsewhere now and the target is gone
            return Result(False, None, "target_not_found", 0)
        if job.target_disabled:  # disabled by its owner: not attempted, and retried as a down target is
            return Result(False, None, "target_disabled", 0)
        if job.payload is None:
            return Result(False, None, "event_not_found", 0)
        if job.target_type == "http" and job.url is not None:
            try:
                destination = destination_of(job.url)  # the one reading of the URL: checked, then connected to
            except RefusedDestination as refused:
                log.warning("attempt %s to target %s was not made: %s", job.attempt_id, job.target_id, refused)
                return Result(False, None, refused.code, 0)
            if destination is not None:
                return self._post(job, destination)
        if job.outcome_model is not None:
            outcome = Outcome.from_json(json.loads(job.outcome_model))
        else:
            outcome = default_outcome(job.target_type)
        with self._rng_lock:
            return Result(*outcome.draw(self._rng))

    def _fault(self, job: Delivery, error: Exception) -> Result:
        """The result of an attempt that raised unexpectedly: ``delivery_error``, logged with its
        traceback but without the URL (it may carry a secret). A URL that may not be requested
        never gets here: ``destinations.py`` refuses it first (``invalid_url``)."""
        log.error(
            "attempt %s to target %s failed on an unexpected %s",
            job.attempt_id,
            job.target_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        return Result(False, None, "delivery_error", 0)

    def _record(self, job: Delivery, result: Result) -> None:
        with self.store.transaction() as db:
            attempt = finish_attempt(
                db,
                job.attempt_id,
                "succeeded" if result.succeeded else "failed",
                result.response_status,
                result.error_code,
                result.latency_ms,
            )
            if attempt is None:
                return
            if result.succeeded:
                drop_retries_after_success(db, attempt)
                return
            due_at = next_retry_at(db, attempt, time.time())
            if due_at is not None:
                schedule_retry(db, attempt, due_at)

    def _post(self, job: Delivery, destination: Destination) -> Result:
        """The real request to an ``http`` target on loopback, to the checked ``destination`` only: its
        status and how long it took."""
        assert job.payload is not None
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "zen-nb-sandbox",
            "Zen-Event-Id": job.event_id,
            "Zen-Flow-Id": job.flow_id,
            "Zen-Attempt-Id": job.attempt_id,
            "Zen-Attempt-Number": str(job.attempt_number),
        }
        answer = post(destination, job.payload.encode(), headers, HTTP_TIMEOUT)
        succeeded = answer.status is not None and 200 <= answer.status < 300
        return Result(succeeded, answer.status, answer.error_code, answer.latency_ms)
