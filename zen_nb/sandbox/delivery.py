"""Delivering events: the queue of deliveries, and the worker that makes the attempts.

An ingested event becomes one queued delivery per (flow, target) of the flows from its
ingester; a paused flow's deliveries are held until it is resumed. The worker runs on its own
thread, off the request path: it takes due deliveries, records each attempt as ``pending``,
makes it (a real POST to an ``http`` target on loopback, the outcome model for every other
target: the sandbox never leaves the machine), records the result, and queues the next attempt
of a failure after the retry schedule's delay until the schedule is used up.
"""

from __future__ import annotations

import ipaddress
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from random import Random
from typing import Any
from urllib.parse import urlsplit

from .ids import new_id
from .outcomes import Outcome, default_outcome
from .store import Store, utc_now

DEFAULT_RETRY_SCHEDULE = (5.0, 30.0, 120.0, 600.0, 1800.0)  # seconds after attempt 1, 2, ...
HTTP_TIMEOUT = 10.0
BATCH = 64
ATTEMPT_COLUMNS = (
    "id, flow_id, event_id, target_id, attempt_number, trigger, status, response_status, error_code, "
    "latency_ms, created_at, seq"
)


def attempt_json(row: Any) -> dict[str, Any]:
    """A delivery attempt as the contract shows it."""
    return {
        "id": row["id"],
        "flowId": row["flow_id"],
        "eventId": row["event_id"],
        "targetId": row["target_id"],
        "attemptNumber": row["attempt_number"],
        "trigger": row["trigger"],
        "status": row["status"],
        "responseStatus": row["response_status"],
        "errorCode": row["error_code"],
        "latencyMs": row["latency_ms"],
        "createdAt": row["created_at"],
    }


def queue_event(db: sqlite3.Connection, tenant_id: str, plane_id: str, ingester_id: str, event_id: str) -> list[dict]:
    """Queue the deliveries of a new event (held for paused flows); return what was queued."""
    rows = db.execute(
        "SELECT f.id AS flow_id, f.status, ft.target_id FROM flows f JOIN flow_targets ft ON ft.flow_id = f.id"
        " WHERE f.tenant_id = ? AND f.plane_id = ? AND f.source = ? ORDER BY f.seq, ft.position",
        (tenant_id, plane_id, ingester_id),
    ).fetchall()
    now = time.time()
    queued = []
    for row in rows:
        held = row["status"] == "paused"
        db.execute(
            "INSERT INTO deliveries (tenant_id, plane_id, flow_id, event_id, target_id, attempt_number, trigger,"
            " due_at, held) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (
                tenant_id,
                plane_id,
                row["flow_id"],
                event_id,
                row["target_id"],
                "resume" if held else "initial",
                now,
                held,
            ),
        )
        queued.append({"flowId": row["flow_id"], "targetId": row["target_id"], "state": "held" if held else "queued"})
    return queued


def release_held(db: sqlite3.Connection, flow_id: str) -> int:
    """A resumed flow's held deliveries become due now, each to be attempted with trigger ``resume``."""
    cursor = db.execute(
        "UPDATE deliveries SET held = 0, trigger = 'resume', due_at = ? WHERE flow_id = ? AND held = 1",
        (time.time(), flow_id),
    )
    return cursor.rowcount


def is_loopback_url(url: str | None) -> bool:
    """Whether a target URL points at this machine (only such targets get a real request)."""
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Deliverer:
    """The delivery worker of one sandbox, and its settings (retry schedule, outcome models)."""

    def __init__(self, store: Store, workers: int = 8) -> None:
        self.store = store
        self.retry_schedule: list[float] = list(DEFAULT_RETRY_SCHEDULE)
        self.outcomes: dict[tuple[str, str, str], Outcome] = {}
        self._rng = Random()
        self._rng_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zen-delivery")
        self._thread = threading.Thread(target=self._run, name="zen-deliverer", daemon=True)

    # -- settings ---------------------------------------------------------------------------------

    def reset_settings(self) -> None:
        """Back to the default retry schedule and default outcome models (part of a reset)."""
        self.retry_schedule = list(DEFAULT_RETRY_SCHEDULE)
        self.outcomes.clear()

    def outcome_for(self, tenant_id: str, plane_id: str, target_id: str, target_type: str) -> Outcome:
        """The model of a target: the one set through ``/_sandbox``, else its kind's default."""
        return self.outcomes.get((tenant_id, plane_id, target_id)) or default_outcome(target_type)

    # -- the worker -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop taking deliveries; attempts in flight finish on their own (they are daemon work)."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        """Look at the queue now: something was queued or released."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                jobs = self._take_due()
            except sqlite3.ProgrammingError:  # the store was closed under us: the sandbox is stopping
                return
            for job in jobs:
                self._pool.submit(self._attempt, job)
            if not jobs:
                self._wake.wait(timeout=self._next_due_in())

    def _next_due_in(self) -> float:
        row = self.store.read_one("SELECT MIN(due_at) AS due FROM deliveries WHERE held = 0")
        if row is None or row["due"] is None:
            return 1.0
        return min(1.0, max(0.0, row["due"] - time.time()))

    def _take_due(self) -> list[dict[str, Any]]:
        """Start the due deliveries: a ``pending`` attempt each (a paused flow's are held instead)."""
        jobs = []
        with self.store.transaction() as db:
            rows = db.execute(
                "SELECT d.*, f.status AS flow_status, t.type, t.url, e.payload FROM deliveries d"
                " JOIN flows f ON f.id = d.flow_id"
                " JOIN events e ON e.id = d.event_id"
                " LEFT JOIN targets t ON t.tenant_id = d.tenant_id AND t.plane_id = d.plane_id AND t.id = d.target_id"
                " WHERE d.held = 0 AND d.due_at <= ? ORDER BY d.due_at, d.seq LIMIT ?",
                (time.time(), BATCH),
            ).fetchall()
            for row in rows:
                if row["flow_status"] == "paused" and row["trigger"] != "manual":
                    db.execute("UPDATE deliveries SET held = 1 WHERE seq = ?", (row["seq"],))
                    continue
                db.execute("DELETE FROM deliveries WHERE seq = ?", (row["seq"],))
                attempt_id, number = row["attempt_id"], row["attempt_number"]
                if attempt_id is None:
                    # A manual retry may have taken this number since the delivery was queued.
                    taken = db.execute(
                        "SELECT MAX(attempt_number) FROM attempts WHERE flow_id = ? AND event_id = ? AND target_id = ?",
                        (row["flow_id"], row["event_id"], row["target_id"]),
                    ).fetchone()[0]
                    number = max(number, (taken or 0) + 1)
                    attempt_id = new_id("att")
                    db.execute(
                        "INSERT INTO attempts (tenant_id, plane_id, id, flow_id, event_id, target_id, attempt_number,"
                        " trigger, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                        (
                            row["tenant_id"],
                            row["plane_id"],
                            attempt_id,
                            row["flow_id"],
                            row["event_id"],
                            row["target_id"],
                            number,
                            row["trigger"],
                            utc_now(),
                        ),
                    )
                jobs.append({**dict(row), "attempt_id": attempt_id, "attempt_number": number})
        return jobs

    def _attempt(self, job: dict[str, Any]) -> None:
        """Make one attempt and record it; queue the next one after a failure."""
        if job["type"] is None:  # the flow points elsewhere now and the target is gone
            succeeded, status, error_code, latency = False, None, "target_not_found", 0
        elif job["type"] == "http" and is_loopback_url(job["url"]):
            succeeded, status, error_code, latency = self._post(job)
        else:
            outcome = self.outcome_for(job["tenant_id"], job["plane_id"], job["target_id"], job["type"])
            with self._rng_lock:
                succeeded, status, error_code, latency = outcome.draw(self._rng)
        number = job["attempt_number"]
        retry = not succeeded and job["trigger"] != "manual" and number <= len(self.retry_schedule)
        try:
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE attempts SET status = ?, response_status = ?, error_code = ?, latency_ms = ? WHERE id = ?",
                    ("succeeded" if succeeded else "failed", status, error_code, latency, job["attempt_id"]),
                )
                if retry and db.execute("SELECT 1 FROM flows WHERE id = ?", (job["flow_id"],)).fetchone():
                    db.execute(
                        "INSERT INTO deliveries (tenant_id, plane_id, flow_id, event_id, target_id, attempt_number,"
                        " trigger, due_at) VALUES (?, ?, ?, ?, ?, ?, 'automatic', ?)",
                        (
                            job["tenant_id"],
                            job["plane_id"],
                            job["flow_id"],
                            job["event_id"],
                            job["target_id"],
                            number + 1,
                            time.time() + self.retry_schedule[number - 1],
                        ),
                    )
        except sqlite3.ProgrammingError:  # the sandbox stopped while this attempt ran
            return
        self.wake()

    def _post(self, job: dict[str, Any]) -> tuple[bool, int | None, str | None, int]:
        """The real request to an ``http`` target on loopback: its status and how long it took."""
        import requests

        headers = {
            "Content-Type": "application/json",
            "User-Agent": "zen-nb-sandbox",
            "Zen-Event-Id": job["event_id"],
            "Zen-Flow-Id": job["flow_id"],
            "Zen-Attempt-Id": job["attempt_id"],
            "Zen-Attempt-Number": str(job["attempt_number"]),
        }
        started = time.perf_counter()
        try:
            response = requests.post(
                job["url"],
                data=job["payload"].encode(),
                headers=headers,
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            )
        except requests.Timeout:
            return False, None, "timeout", round((time.perf_counter() - started) * 1000)
        except requests.ConnectionError as error:
            code = "connection_refused" if "refused" in str(error).lower() else "connection_error"
            return False, None, code, round((time.perf_counter() - started) * 1000)
        latency = round((time.perf_counter() - started) * 1000)
        return 200 <= response.status_code < 300, response.status_code, None, latency
