"""Benchmark: the sandbox's latency under load, and how fast it creates flows.

A sandbox is started as its own process on a file database in a temporary folder (a user's
case), then, each client in its own process so that none of them slows the one measuring:

1. **alone**: two probes, one for ``GET /health`` and one for ``GET .../delivery-flows/{flowId}``
   (each a process with one keep-alive ``requests.Session``, one request at a time, 3 ms apart);
2. **under load**: the same probes, while 16 clients (4 processes of 4 threads, a session each)
   create flows as fast as they are answered and this process posts one ``POST
   /_sandbox/simulate`` of 200,000 events; probe and creators stop when the simulate answers;
3. **create throughput**: 1, 4 and 16 clients create flows for a fixed time; flows per second.

Goal (issue 12): p99 of both GETs ≤ 50 ms under load.

This script imports nothing from ``zen_nb`` (it meets the sandbox only over HTTP, as a user
does), so ``--source`` can time another checkout even while this one is mid-edit; that is why
it starts the sandbox with ``sandbox_process.py`` (beside it) rather than through the tests' harness.

    python benchmarks/sandbox_load.py [--source DIR] [--events 200000] [--quick]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

import requests

from sandbox_process import DEMO_TOKEN, SandboxProcess

FLOWS_PATH = "/tenants/tenant_demo/clusters/plane_dev_us_east_1/delivery-flows"
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}
GOAL_MS = 50.0
CREATOR_PROCESSES = 4  # 16 clients as 4 processes of 4 threads: fewer processes than clients on 2 cores
TIMEOUT_S = 2400.0  # a stalled request (or a slow simulate under load) is a figure to report, not an error
START_TIMEOUT_S = 120.0  # a client process that never reaches the start line breaks the barrier
PHASES = ("alone", "load", "create")


@dataclass
class Settings:
    """How long and how much each phase runs."""

    events: int
    probes: int  # per endpoint, alone
    gap_s: float  # between two probe requests
    create_s: float  # per throughput round
    clients: tuple[int, ...] = (1, 4, 16)


@dataclass
class Timings:
    """Latencies (seconds) of one kind of request, and the failures seen."""

    seconds: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, other: Timings) -> None:
        self.seconds += other.seconds
        for key, count in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + count

    def fail(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1


def flow_body(name: str) -> dict[str, Any]:
    """The create request's body: the demo plane's Stripe ingester to its Stripe destination."""
    return {"name": name, "source": "ingester_stripe", "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}}


def timed(session: requests.Session, method: str, url: str, expect: int, timings: Timings, **kwargs: Any) -> None:
    """One request timed end to end (body read); a wrong status or an exception counts as an error."""
    started = time.perf_counter()
    try:
        response = session.request(method, url, timeout=TIMEOUT_S, **kwargs)
    except requests.RequestException as error:
        timings.fail(type(error).__name__)
        return
    elapsed = time.perf_counter() - started
    if response.status_code == expect:
        timings.seconds.append(elapsed)
    else:
        timings.fail(str(response.status_code))


def probe(base_url: str, endpoint: str, count: int, gap_s: float, start: Barrier, stop: Event, queue: Any) -> None:
    """In its own process: GET one endpoint (``health`` or ``flow/{flowId}``) ``count`` times, one
    request at a time, or until ``stop``.

    Each endpoint has its own probe so that a stall of one does not hide how the other answers.
    """
    session = requests.Session()
    key, _, flow_id = endpoint.partition("/")
    url, headers = (f"{base_url}{FLOWS_PATH}/{flow_id}", AUTH) if flow_id else (f"{base_url}/health", {})
    timings = Timings()
    session.get(url, headers=headers, timeout=TIMEOUT_S)  # open the connection before timing
    start.wait(timeout=START_TIMEOUT_S)
    deadline = time.perf_counter() + TIMEOUT_S
    for _ in range(count):
        if stop.is_set() or time.perf_counter() > deadline:
            break
        timed(session, "GET", url, 200, timings, headers=headers)
        time.sleep(gap_s)
    session.close()
    queue.put({key: timings})


def create_until(base_url: str, prefix: str, until: float, stop: Event, timings: Timings) -> None:
    """One client: create flows until ``until`` (perf_counter) or ``stop``; count those answered in time."""
    session = requests.Session()
    session.headers.update(AUTH)
    url = f"{base_url}{FLOWS_PATH}"
    number = 0
    while not stop.is_set() and time.perf_counter() < until:
        mine = Timings()
        timed(session, "POST", url, 201, mine, json=flow_body(f"{prefix}-{number}"))
        number += 1
        if time.perf_counter() <= until:  # a create answered after the round does not count in it
            timings.add(mine)
    session.close()


def creators(base_url: str, prefix: str, threads: int, seconds: float, start: Barrier, stop: Event, queue: Any) -> None:
    """In its own process: ``threads`` clients, each with its own session, for ``seconds`` or until ``stop``."""
    results = [Timings() for _ in range(threads)]
    start.wait(timeout=START_TIMEOUT_S)
    until = time.perf_counter() + seconds
    workers = [
        threading.Thread(target=create_until, args=(base_url, f"{prefix}-{n}", until, stop, results[n]))
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Timings()
    for result in results:
        total.add(result)
    queue.put({"create": total})


def _in_child(func: Callable[..., None], args: tuple) -> None:
    """A client process: SIGTERM ends it at once (the parent's handler, inherited by fork, would
    only unwind its main thread and leave its client threads running)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    func(*args)


def run_clients(targets: list[tuple[Any, tuple]], during: Callable[[], None] | None = None) -> list[dict[str, Timings]]:
    """Start each ``(function, args)`` in its own process and release them together; if ``during``
    is given, run it here and then tell them to stop; collect what each puts on the queue."""
    queue: Any = multiprocessing.Queue()
    start, stop = multiprocessing.Barrier(len(targets) + 1), multiprocessing.Event()
    processes = [
        multiprocessing.Process(target=_in_child, args=(func, (*args, start, stop, queue))) for func, args in targets
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=START_TIMEOUT_S)
        if during is not None:
            during()
            stop.set()
        results = [queue.get(timeout=TIMEOUT_S + 60) for _ in processes]
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    return results


def merged(results: list[dict[str, Timings]], key: str) -> Timings:
    """One kind of request's timings, gathered from every process that made it."""
    total = Timings()
    for result in results:
        if key in result:
            total.add(result[key])
    return total


def probes(base_url: str, flow_id: str, count: int, gap_s: float) -> list[tuple[Any, tuple]]:
    """One probe process for ``/health``, one for the flow GET."""
    return [(probe, (base_url, endpoint, count, gap_s)) for endpoint in ("health", f"flow/{flow_id}")]


def creator_targets(base_url: str, tag: str, clients: int, seconds: float) -> list[tuple[Any, tuple]]:
    """``clients`` creating clients spread over at most :data:`CREATOR_PROCESSES` processes."""
    processes = min(clients, CREATOR_PROCESSES)
    return [(creators, (base_url, f"{tag}-p{n}", clients // processes, seconds)) for n in range(processes)]


def percentile(seconds: list[float], share: float) -> float:
    """Nearest-rank percentile in ms: at p99 of 2,000 requests, the 20th slowest is still counted."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)] * 1000


def latency_row(phase: str, endpoint: str, timings: Timings) -> str:
    """A row of the latency table: p50, p99, max and count of the answered requests, failures apart."""
    errors = ", ".join(f"{key}: {count}" for key, count in sorted(timings.errors.items())) or "0"
    if not timings.seconds:
        return f"| {phase} | {endpoint} | 0 | – | – | – | {errors} |"
    values = timings.seconds
    p50, p99, worst = percentile(values, 50), percentile(values, 99), max(values) * 1000
    return f"| {phase} | {endpoint} | {len(values):,} | {p50:.1f} | {p99:.1f} | {worst:.1f} | {errors} |"


def setup_flows(base_url: str, tag: str, count: int = 4) -> list[str]:
    """A few active flows, so the simulate has some to deliver to and the probe one to GET."""
    with requests.Session() as session:
        session.headers.update(AUTH)
        ids = []
        for number in range(count):
            response = session.post(f"{base_url}{FLOWS_PATH}", json=flow_body(f"{tag}-setup-{number}"), timeout=60)
            response.raise_for_status()
            ids.append(response.json()["id"])
    return ids


def run(sandbox: SandboxProcess, settings: Settings, phases: tuple[str, ...] = PHASES) -> dict[str, Any]:
    """The phases against ``sandbox`` (all three unless ``phases`` names fewer), printing the tables
    as they are measured; the figures, for ``run.py``'s goals table: ``p99_ms`` per GET under load
    (with its errors and max), ``flows_per_s`` per number of clients."""
    base = sandbox.base_url
    tag = f"load-{secrets.token_hex(3)}"
    flow_ids = setup_flows(base, tag)
    figures: dict[str, Any] = {}
    if "alone" in phases or "load" in phases:
        figures.update(_latency(sandbox, settings, phases, flow_ids, tag))
    if "create" in phases:
        figures["flows_per_s"] = _throughput(base, tag, settings)
    return figures


def _latency(
    sandbox: SandboxProcess, settings: Settings, phases: tuple[str, ...], flow_ids: list[str], tag: str
) -> dict[str, Any]:
    """Phases 1 and 2 (those in ``phases``): the GETs' latency alone and under load."""
    base, flow_id = sandbox.base_url, flow_ids[0]
    figures: dict[str, Any] = {}
    print("| phase | endpoint | count | p50 (ms) | p99 (ms) | max (ms) | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")

    if "alone" in phases:
        results = run_clients(probes(base, flow_id, settings.probes, settings.gap_s))
        print(latency_row("alone", "GET /health", merged(results, "health")))
        print(latency_row("alone", "GET flow", merged(results, "flow")))
    if "load" not in phases:
        return figures

    simulated: dict[str, Any] = {}

    def simulate() -> None:
        started = time.perf_counter()
        # Onto the 4 flows made first only: the creators' flows are active too, and how many of
        # them exist when the simulate starts would decide how much it writes.
        body = {"events": settings.events, "days": 7, "seed": 1, "flowIds": flow_ids}
        simulated["answer"] = sandbox.admin_post("simulate", body, timeout=TIMEOUT_S)
        simulated["seconds"] = time.perf_counter() - started

    load = [*probes(base, flow_id, sys.maxsize, settings.gap_s), *creator_targets(base, f"{tag}-l", 16, TIMEOUT_S)]
    results = run_clients(load, simulate)
    label = f"16 creating + simulate {settings.events:,}"
    print(latency_row(label, "GET /health", merged(results, "health")))
    print(latency_row(label, "GET flow", merged(results, "flow")))
    print(latency_row(label, "POST flow", merged(results, "create")))
    answer = {key: value for key, value in simulated["answer"].items() if isinstance(value, int | float)}
    print(f"\nsimulate of {settings.events:,} events: {simulated['seconds']:.1f} s ({answer})")
    health, flow = merged(results, "health"), merged(results, "flow")
    figures["events"], figures["simulate_s"] = settings.events, simulated["seconds"]
    figures["under_load"] = {name: summary(timings) for name, timings in (("GET /health", health), ("GET flow", flow))}
    if health.seconds and flow.seconds:
        worst = max(percentile(health.seconds, 99), percentile(flow.seconds, 99))
        verdict = "met" if worst <= GOAL_MS and not health.errors and not flow.errors else "missed"
        print(f"goal p99 ≤ {GOAL_MS:.0f} ms under load for both GETs: {verdict} (worst p99 {worst:.1f} ms)")
    return figures


def summary(timings: Timings) -> dict[str, Any]:
    """Count, p50, p99 and max (ms) of answered requests, and the failures, as plain values."""
    values = timings.seconds
    if not values:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "errors": dict(timings.errors)}
    return {
        "count": len(values),
        "p50_ms": percentile(values, 50),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values) * 1000,
        "errors": dict(timings.errors),
    }


def _throughput(base: str, tag: str, settings: Settings) -> dict[int, float]:
    """Phase 3: flows created per second with each number of clients of ``settings.clients``."""
    rates: dict[int, float] = {}
    print(f"\n| clients | flows created in {settings.create_s:g} s | flows/s | p50 (ms) | p99 (ms) | errors |")
    print("|---:|---:|---:|---:|---:|---:|")
    for clients in settings.clients:
        targets = creator_targets(base, f"{tag}-t{clients}", clients, settings.create_s)
        created = merged(run_clients(targets), "create")
        count, errors = len(created.seconds), sum(created.errors.values())
        p50, p99 = (percentile(created.seconds, 50), percentile(created.seconds, 99)) if count else (0.0, 0.0)
        rate = count / settings.create_s
        print(f"| {clients} | {count:,} | {rate:.0f} | {p50:.1f} | {p99:.1f} | {errors} |")
        rates[clients] = rate
    return rates


def describe(source: Path) -> str:
    """Which code the sandbox ran: the checkout and its commit (``-dirty`` with local edits)."""
    command = ["git", "-C", str(source), "describe", "--always", "--dirty"]
    found = subprocess.run(command, capture_output=True, text=True)
    return f"{source} at {found.stdout.strip() or 'unknown commit'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, help="run the sandbox from this checkout (before/after figures)")
    parser.add_argument("--events", type=int, help="events of the simulate under load (default 200,000)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 20,000 events, 1 s rounds")
    args = parser.parse_args()
    if args.quick:
        settings = Settings(events=args.events or 20_000, probes=200, gap_s=0.003, create_s=1.0)
    else:
        settings = Settings(events=args.events or 200_000, probes=2000, gap_s=0.003, create_s=5.0)
    source = args.source.resolve() if args.source else None
    # SIGTERM (a supervisor, `timeout`) unwinds like Ctrl-C, so the sandbox is stopped too.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    multiprocessing.set_start_method("fork")  # the clients need nothing from a fresh interpreter
    with tempfile.TemporaryDirectory(prefix="zen-load-") as folder:
        sandbox = SandboxProcess(Path(folder) / "sandbox.db", source=source)
        try:
            print(f"sandbox {sandbox.base_url} from {describe(source or Path(__file__).resolve().parent.parent)}\n")
            run(sandbox, settings)
        finally:
            sandbox.stop()
    # Other work on the machine shares its cores with the sandbox: the load says how much.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\npython {sys.version.split()[0]}, requests {requests.__version__}, {os.cpu_count()} cores, load {load}")


if __name__ == "__main__":
    main()
