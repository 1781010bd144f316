"""A bulk retry's journal: what a plan sent and what the service answered, one JSON line each, on disk.

A plan is made again after a kernel restart from the same arguments (the same ``plan.id``), but
by then its first run's retries may have failed again, and a delivery whose latest attempt is that
failed retry looks like any other undelivered one: without a memory of what the plan already
sent, the second run would retry it a second time (the complaint of Convoy #1092 and #1667). The
journal is that memory, kept outside the kernel:

- a ``sent`` line is written (and flushed to disk) *before* a request goes out, with its
  idempotency key and the attempts it retries;
- an ``answered`` line after the service answered, with what it did to each.

A plan made again reads it: every delivery in a ``sent`` line was retried by this plan, and is
skipped. A ``sent`` line with no ``answered`` line is a request whose answer was lost (Ctrl-C,
a crash, a dropped connection): the next run sends it again, with the same key and the same
attempts, so the service replays its answer if it had made the retries, and makes them if not.

A line cut short by a crash is ignored (it was being written, so its request was not sent yet),
and the next line written starts on a line of its own.
The journals live in ``$ZEN_NB_STATE_DIR``, else ``$XDG_STATE_HOME/zen_nb``, else
``~/.local/state/zen_nb``, under ``retry-plans/<plan id>.jsonl``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the environment variable that names the directory of the kit's state (journals)
STATE_DIR_VARIABLE = "ZEN_NB_STATE_DIR"

Delivery = tuple[str, str, str]
"""A delivery as a plan tells them apart: (flow id, event id, target id)."""


def state_dir() -> Path:
    """Where the kit keeps state between kernels (see the module's docstring)."""
    chosen = os.environ.get(STATE_DIR_VARIABLE)
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "zen_nb"


@dataclass
class SentRequest:
    """One request of a plan's run, as the journal has it: its key, the attempts it retries (with
    their deliveries), and what the service answered (None while unanswered)."""

    key: str
    attempt_ids: list[str]
    deliveries: list[Delivery]
    outcomes: list[dict[str, Any]] | None = None


@dataclass
class JournalState:
    """What a journal says: every request sent, in order, by key."""

    requests: dict[str, SentRequest] = field(default_factory=dict)

    def retried_deliveries(self) -> set[Delivery]:
        """The deliveries this plan retried: those of a request the service queued, or whose answer
        was lost (it may have landed). One the service skipped or did not find is not among them."""
        retried: set[Delivery] = set()
        for request in self.requests.values():
            queued = None if request.outcomes is None else _queued_ids(request.outcomes)
            for attempt_id, delivery in zip(request.attempt_ids, request.deliveries, strict=False):
                if queued is None or attempt_id in queued:
                    retried.add(delivery)
        return retried

    def retry_attempt_ids(self) -> dict[Delivery, str]:
        """The new attempt each queued delivery got, as the service answered."""
        made: dict[Delivery, str] = {}
        for request in self.requests.values():
            queued = _queued_ids(request.outcomes or [])
            for attempt_id, delivery in zip(request.attempt_ids, request.deliveries, strict=False):
                if queued.get(attempt_id):
                    made[delivery] = queued[attempt_id]
        return made

    def unanswered(self) -> list[SentRequest]:
        """The requests sent whose answer never came back (to send again, with their keys)."""
        return [request for request in self.requests.values() if request.outcomes is None]


def _after_torn_line(line: str) -> dict[str, Any] | None:
    """The whole entry written after a torn one on the same line (by a version that did not start a
    new line after a crash), or None."""
    start = line.rfind('{"kind":')
    if start <= 0:
        return None
    try:
        entry = json.loads(line[start:])
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _queued_ids(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """``{attempt id: its retry's id}`` of the outcomes the service queued."""
    return {
        outcome["attemptId"]: outcome.get("retryAttemptId")
        for outcome in outcomes
        if outcome.get("status") == "queued" and isinstance(outcome.get("attemptId"), str)
    }


class RetryJournal:
    """The journal of one plan (``plan_id``), in ``directory`` (default :func:`state_dir`).

    Safe to write from the run's worker threads: each line is written whole, under a lock, and
    flushed to disk before :meth:`sent` returns, so a request is never out without its line.
    """

    def __init__(self, plan_id: str, directory: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(directory if directory is not None else state_dir()) / "retry-plans" / f"{plan_id}.jsonl"
        self._lock = threading.Lock()

    def read(self) -> JournalState:
        """The journal as it stands (empty when the plan never ran)."""
        state = JournalState()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return state
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut short by a crash, perhaps with a whole one written after it
                entry = _after_torn_line(line)
                if entry is None:
                    continue
            if not isinstance(entry, dict):
                continue
            key = entry.get("key")
            if entry.get("kind") == "sent" and isinstance(key, str):
                deliveries = [tuple(delivery) for delivery in entry.get("deliveries", [])]
                state.requests[key] = SentRequest(key, list(entry.get("attemptIds", [])), deliveries)  # type: ignore[arg-type]
            elif entry.get("kind") == "answered" and key in state.requests:
                state.requests[key].outcomes = list(entry.get("outcomes", []))
        return state

    def sent(self, key: str, attempt_ids: Iterable[str], deliveries: Iterable[Delivery]) -> None:
        """Note a request about to be sent (call it before sending)."""
        self._write({"kind": "sent", "key": key, "attemptIds": list(attempt_ids), "deliveries": list(deliveries)})

    def answered(self, key: str, outcomes: Iterable[Mapping[str, Any]]) -> None:
        """Note what the service answered to the request of ``key``."""
        self._write({"kind": "answered", "key": key, "outcomes": [dict(outcome) for outcome in outcomes]})

    def forget(self) -> None:
        """Delete the journal: the plan made again will retry what it retried before."""
        self.path.unlink(missing_ok=True)

    def _write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as journal:
                if journal.tell() > 0:  # a crash may have cut the last line short: start on a line of our own
                    journal.seek(-1, os.SEEK_END)
                    if journal.read(1) != b"\n":
                        line = "\n" + line
                journal.write(line.encode())
                journal.flush()
                os.fsync(journal.fileno())
