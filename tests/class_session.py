"""One trainee's whole session: every exercise solved as the answer key does, then checked, with every call timed.

Shared by the class-of-thirty test (``test_class_of_thirty.py``: are the answers right for everyone?) and
the class load benchmark (``benchmarks/class_load.py``: how fast is the room when a hundred do it at once?).
So the benchmark measures exactly the calls the test proves correct, not a look-alike.

Each call is recorded with its kind (method and path template, ``POST /tenants/{t}/clusters/{plane}/delivery-flows``,
or ``check create-a-target``), its seconds and its error, if any, so a benchmark can give percentiles per kind.
An error is what a trainee should never meet in a healthy room: a 429, a 5xx, a retry that urllib3 made
out of sight (its history is read, so a 429 that the client retried still counts), or an exception.
The answers a session asks for on purpose (the 409 of the name-conflict exercise) are not errors.

A session runs its cells back to back unless it is given a ``think``: a pause between two cells, as a
trainee reads an output before running the next (the benchmark's "trainee's pace").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

import zen_nb
from zen_nb import FlowNameConflict, ZenClient, ZenConfig, exercises
from zen_nb.exercise_catalog import (
    FLOW_NAME,
    FLOW_SOURCE,
    FLOW_TARGET,
    SECOND_FLOW_NAME,
    TARGET_NAME,
    TARGET_URL,
)

# A path segment after one of these is a name of its own kind; any other with "_" inside is an id (flow_3k9x...).
_NAMED_AFTER = {"tenants": "{t}", "clusters": "{plane}", "exercises": "{exercise}", "trainees": "{trainee}"}


@dataclass(frozen=True)
class Call:
    """One timed call: its kind, its seconds, and what went wrong (None when nothing did)."""

    kind: str
    seconds: float
    error: str | None = None


def call_kind(method: str, url: str) -> str:
    """``METHOD /path/template``: ids and names replaced by placeholders, so calls of one endpoint group together."""
    segments = urlsplit(url).path.strip("/").split("/")
    shown = []
    for before, segment in zip(["", *segments], segments, strict=False):
        if before in _NAMED_AFTER:
            shown.append(_NAMED_AFTER[before])
        elif "_" in segment and not segment.startswith("_"):  # /_sandbox/... is a name
            shown.append("{id}")
        else:
            shown.append(segment)
    return f"{method} /{'/'.join(shown)}"


def _error_of(response: requests.Response) -> str | None:
    """``429 rate_limited`` for an answer a healthy room never gives (429, 5xx); None for any other."""
    if response.status_code != 429 and response.status_code < 500:
        return None
    try:
        detail = response.json().get("error")
    except ValueError:
        detail = None
    code = detail.get("code") if isinstance(detail, dict) else detail
    return f"{response.status_code} {code or ''}".strip()


def _hidden_retries(response: requests.Response) -> list[str]:
    """The tries urllib3 retried before this answer (a 429 or 503 the caller never saw), one text each."""
    retries = getattr(response.raw, "retries", None)
    return [
        f"{entry.status} (retried)" if entry.status else f"{type(entry.error).__name__} (retried)"
        for entry in getattr(retries, "history", ())
    ]


class Timings:
    """Every timed call of the trainees, from every thread: :attr:`calls` in order of arrival."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []

    @property
    def seconds(self) -> list[float]:
        """The seconds of every call, errors included."""
        with self._lock:
            return [call.seconds for call in self.calls]

    def record(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        """A ``requests`` response hook: the call's time to its answer's headers (retries included), kind, errors."""
        kind = call_kind(response.request.method or "", response.request.url or "")
        problems = [*_hidden_retries(response), *filter(None, [_error_of(response)])]
        with self._lock:
            self.calls.append(Call(kind, response.elapsed.total_seconds(), "; ".join(problems) or None))

    def add(self, kind: str, seconds: float, error: str | None = None) -> None:
        """A call timed by its caller (an exercise's check or prepare, end to end)."""
        with self._lock:
            self.calls.append(Call(kind, seconds, error))

    def watch(self, session: requests.Session) -> None:
        """Record every answer ``session`` gets."""
        session.hooks["response"].append(self.record)


def solve_every_exercise(
    env: dict[str, str], api_timings: Timings, check_timings: Timings, think: Callable[[], None] | None = None
) -> dict[str, Any]:
    """One trainee's session: each exercise solved as the answer key does, then checked.

    The client's HTTP calls go to ``api_timings``; each check and prepare, timed end to end (its own
    connection included, as a trainee's cell makes it), to ``check_timings`` as ``check NAME`` / ``prepare NAME``.

    ``think``, if given, is called between two cells: each step a trainee runs as one cell of the
    answer key (the create, then its check, are two; the 409 and the second create are one), so a
    benchmark can give the room a trainee's pace. It is not called before the first cell, nor before
    the closing read of every flow, which is this session's own record, not a cell. None (the
    default): no pause, every call straight after the last.
    """
    pause = think or _no_pause
    config = ZenConfig(environ=env)
    results: dict[str, Any] = {}

    def timed(action: str, name: str, call: Any) -> Any:
        started = time.perf_counter()
        try:
            answer = call(name, config=config)
        except Exception as error:
            check_timings.add(f"{action} {name}", time.perf_counter() - started, type(error).__name__)
            raise
        check_timings.add(f"{action} {name}", time.perf_counter() - started)
        return answer

    def check(name: str) -> None:
        results[name] = timed("check", name, exercises.check)

    def prepare(name: str) -> None:
        timed("prepare", name, exercises.prepare)

    with ZenClient(config) as client:
        api_timings.watch(client._http.session)
        client.create_target(name=TARGET_NAME, type="http", url=TARGET_URL)
        pause()
        check("create-a-target")
        pause()

        flow = client.create_flow(name=FLOW_NAME, source=FLOW_SOURCE, target=FLOW_TARGET)
        pause()
        check("create-a-flow")
        pause()

        try:
            client.create_flow(name=FLOW_NAME, source=FLOW_SOURCE, target=FLOW_TARGET)
        except FlowNameConflict:
            client.create_flow(name=SECOND_FLOW_NAME, source=FLOW_SOURCE, target=FLOW_TARGET)
        pause()
        check("handle-a-name-conflict")
        pause()

        client.pause_flow(flow)
        client.resume_flow(flow)
        pause()
        check("pause-and-resume")
        pause()

        prepare("retry-the-failing-flow")
        pause()
        attempts = zen_nb.load_attempts(client, since=datetime.now(UTC) - timedelta(days=8), progress=False)
        succeeded = attempts.assign(ok=attempts.status == "succeeded")
        delivered = succeeded.groupby(["flow_id", "event_id"], observed=True)["ok"].any()
        undelivered = delivered[~delivered].index
        assert len(undelivered) == 1, f"the material should have one undelivered event, not {len(undelivered)}"
        flow_id, event_id = undelivered[0]
        last = attempts[(attempts.flow_id == flow_id) & (attempts.event_id == event_id)]
        client.retry_attempt(last.sort_values("attempt_number").iloc[-1]["id"])
        pause()
        check("retry-the-failing-flow")
        pause()

        prepare("flows-as-a-dataframe")
        pause()
        flows = zen_nb.load_flows(client, planes="all", progress=False)
        for row in flows[flows.target_type == "slack"].itertuples():
            client.pause_flow(row.id, plane=row.plane_id)
        pause()
        check("flows-as-a-dataframe")

        results["flows"] = sorted((plane, row["name"], row["status"]) for plane, row in every_flow(client))
    return results


def _no_pause() -> None:
    """The think of a session without one: the next cell at once."""


def every_flow(client: ZenClient) -> Iterator[tuple[str, dict[str, Any]]]:
    """(plane id, flow) for every flow of the tenant."""
    for plane in client.list_planes():
        for flow in client.iter_flows(plane["id"]):
            yield plane["id"], flow
