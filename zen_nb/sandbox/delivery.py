"""The delivery engine: a dispatcher thread and a few workers that make the queued attempts.

The dispatcher takes due deliveries from the database queue (``data/deliveries.py``), never
more than there are free workers, so the deliveries in flight are bounded and the rest wait in
the database, not in memory. A worker makes one attempt: a real POST to an ``http`` target on
loopback, the target's outcome model for every other target (the sandbox never leaves the
machine). It records the result and, after a failure, queues the next attempt on the retry
schedule until the schedule is used up.

Settings (retry schedule, outcome models) are read from the database at each attempt, so a
restart or a reset changes them for the engine at once. Whatever goes wrong while an attempt
is made (a URL that ``requests`` refuses, a broken outcome model, a bug) ends that attempt
``failed`` with an error code, logged once; no attempt is left ``pending`` by an exception. A
process that dies mid-attempt leaves it pending: :func:`data.deliveries.recover_interrupted`
ends it when the database is opened again.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from random import Random
from urllib.parse import urlsplit

import requests

from .data import Store
from .data.attempts import finish_attempt
from .data.deliveries import Delivery, next_due_at, retry_due_at, schedule_retry, take_due
from .data.settings import retry_schedule
from .outcomes import Outcome, default_outcome

log = logging.getLogger("zen_nb.sandbox")

WORKERS = 8  # attempts in flight at most, per sandbox
HTTP_TIMEOUT = 10.0
IDLE_WAIT = 1.0  # the longest the dispatcher sleeps without looking at the queue
# What requests refuses before it connects: an attempt to such a URL fails 'invalid_url'.
_REFUSED_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    UnicodeError,
)


@dataclass(frozen=True)
class Result:
    """How one attempt ended."""

    succeeded: bool
    response_status: int | None
    error_code: str | None
    latency_ms: int


def is_loopback_url(url: str | None) -> bool:
    """Whether a target URL points at this machine (only such targets get a real request)."""
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        self._busy = 0  # attempts handed to the pool and not yet recorded
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
                free = self.workers - self._busy
            if free <= 0:
                self._wake.wait(IDLE_WAIT)  # a worker that finishes wakes us
                continue
            try:
                with self.store.transaction() as db:
                    jobs = take_due(db, time.time(), free)
                for job in jobs:
                    self._hand_over(job)
                if len(jobs) < free:
                    self._wake.wait(self._next_due_in())
            except sqlite3.ProgrammingError:  # the store was closed under us: the sandbox is stopping
                return
            except Exception:  # never let the dispatcher die: every later delivery would be stranded
                log.exception("the delivery dispatcher failed to read the queue; trying again in %s s", IDLE_WAIT)
                self._wake.wait(IDLE_WAIT)

    def _next_due_in(self) -> float:
        with self.store.snapshot() as db:
            due = next_due_at(db)
        return IDLE_WAIT if due is None else min(IDLE_WAIT, max(0.0, due - time.time()))

    def _hand_over(self, job: Delivery) -> None:
        with self._busy_lock:
            self._busy += 1
        try:
            self._pool.submit(self._attempt, job)
        except RuntimeError:  # the pool is shut down: stopping; the attempt is recovered at the next start
            self._done()

    def _done(self) -> None:
        with self._busy_lock:
            self._busy -= 1
        self._wake.set()

    # -- one attempt ------------------------------------------------------------------------------

    def _attempt(self, job: Delivery) -> None:
        """Make one attempt and record it; queue the next one after a failure."""
        try:
            try:
                result = self._make(job)
            except Exception as error:  # whatever it is, the attempt ends failed, and is retried
                result = self._fault(job, error)
            self._record(job, result)
        except sqlite3.ProgrammingError:  # the sandbox stopped while this attempt ran
            pass
        except Exception:
            log.exception("attempt %s: its result could not be recorded; it stays pending", job.attempt_id)
        finally:
            self._done()

    def _make(self, job: Delivery) -> Result:
        if job.target_type is None:  # the flow points elsewhere now and the target is gone
            return Result(False, None, "target_not_found", 0)
        if job.payload is None:
            return Result(False, None, "event_not_found", 0)
        if job.target_type == "http" and is_loopback_url(job.url):
            return self._post(job)
        if job.outcome_model is not None:
            outcome = Outcome.from_json(json.loads(job.outcome_model))
        else:
            outcome = default_outcome(job.target_type)
        with self._rng_lock:
            return Result(*outcome.draw(self._rng))

    def _fault(self, job: Delivery, error: Exception) -> Result:
        """The result of an attempt that raised: ``invalid_url`` for a URL requests refuses,
        ``delivery_error`` for anything else. Logged without the URL (it may carry a secret)."""
        if isinstance(error, _REFUSED_URL):
            log.warning(
                "attempt %s to target %s failed: the target's URL cannot be requested (%s)",
                job.attempt_id,
                job.target_id,
                type(error).__name__,
            )
            return Result(False, None, "invalid_url", 0)
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
            if attempt is None or result.succeeded:
                return
            due_at = retry_due_at(retry_schedule(db), attempt, time.time())
            if due_at is not None:
                schedule_retry(db, attempt, due_at)

    def _post(self, job: Delivery) -> Result:
        """The real request to an ``http`` target on loopback: its status and how long it took."""
        assert job.url is not None and job.payload is not None
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "zen-nb-sandbox",
            "Zen-Event-Id": job.event_id,
            "Zen-Flow-Id": job.flow_id,
            "Zen-Attempt-Id": job.attempt_id,
            "Zen-Attempt-Number": str(job.attempt_number),
        }
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            response = requests.post(
                job.url,
                data=job.payload.encode(),
                headers=headers,
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            )
        except requests.Timeout:
            return Result(False, None, "timeout", elapsed())
        except requests.ConnectionError as error:
            code = "connection_refused" if "refused" in str(error).lower() else "connection_error"
            return Result(False, None, code, elapsed())
        return Result(200 <= response.status_code < 300, response.status_code, None, elapsed())
