"""Benchmark: a class of a hundred trainees, all at once, each through every exercise (issue 20).

``zen-nb class start --trainees 100`` runs as its own process, with the class's default settings (its
rate limit too: each trainee has a token of its own, counted on its own), as a trainer starts it.
Each trainee gets the ``ZEN_*`` environment JupyterHub would give it from the roster CSV's row, and
runs the session of ``tests/class_session.py`` (the one the class-of-thirty test proves correct):
every exercise solved as the answer key does, then checked. All are released together by one
barrier, so the first calls of everyone arrive at once, as when a trainer says "go".

Two runs, side by side, each on a class of its own: **no pause (capacity)**, every call straight
after the last, a closed loop that measures how many calls a second the class serves at saturation
(a stress test, not trainees); and **a fast trainee's pace**, a pause uniform in ``--think MIN,MAX``
seconds (default 0.5–2.0) between two cells of the session, seeded per trainee so that runs repeat.
0.5–2.0 s is a pessimistic room: every trainee pastes the answer and runs the next cell within two
seconds, where the trainer's guide gives each exercise 8–25 minutes. The goal's verdict is the paced
run's; the no-pause figures are printed beside it, never left out.

On 2 cores, a hundred threads in one client process would time the client's own GIL, not the
server: the trainees are spread over a few client processes (4 × 25 by default), as
``sandbox_load.py`` spreads its creators.

Reported: every HTTP call of the trainees (``response.elapsed``, to the answer's headers; the
exercises' own check and prepare POSTs included), p50/p95/p99/max, overall and per kind of call;
each exercise's check and prepare timed end to end as a cell makes it; every error (a 429 and a
5xx count, and so does a try that urllib3 retried out of sight); whether every trainee passed
every exercise; the wall time; the class process's CPU over it. Goal (issue 20): p95 ≤ 100 ms over
every call, no error, at a trainee's pace.

    python benchmarks/class_load.py [--trainees 100] [--processes 4] [--quick] [--think 0.5,2.0]
                                    [--only capacity|paced]
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))  # the session the class-of-thirty test runs, and its process helpers

from sandbox_load import percentile  # noqa: E402

import zen_nb  # noqa: E402
from zen_nb import exercises  # noqa: E402
from zen_nb.sandbox.seed import DEMO_ADAPTER_ID, DEMO_PLANE_ID  # noqa: E402

from class_session import Call, Timings, solve_every_exercise  # noqa: E402
from processes import CliClass, clean_env  # noqa: E402

GOAL_P95_MS = 100.0
TRAINEES, QUICK_TRAINEES = 100, 10
CLIENT_PROCESSES = 4
START_TIMEOUT_S = 120.0  # every client process at the barrier, or it breaks
SESSION_TIMEOUT_S = 600.0  # a whole session: far beyond any healthy one (13 pauses of 2 s included)
STOP_TIMEOUT_S = 30.0  # the class process after Ctrl-C, before it is killed
TOP_KINDS = 20  # all of them, as the session makes them today
THINK_S = (0.5, 2.0)  # a fast trainee's pace: the next cell within two seconds
CAPACITY, PACED = "capacity", "paced"
Think = tuple[float, float] | None  # a pause's bounds in seconds; None: no pause


def parse_think(text: str) -> tuple[float, float]:
    """``MIN,MAX`` seconds (or one number for both); ValueError when not two bounds 0 ≤ MIN ≤ MAX."""
    try:
        bounds = [float(part) for part in text.split(",")]
    except ValueError:
        bounds = []
    if len(bounds) == 1:
        bounds *= 2
    if len(bounds) != 2 or not 0 <= bounds[0] <= bounds[1] < math.inf:
        raise ValueError(f"--think takes MIN,MAX seconds with 0 <= MIN <= MAX (e.g. 0.5,2.0), not {text!r}")
    return bounds[0], bounds[1]


def run_label(think: Think) -> str:
    """What a run is called in the report: ``no pause (capacity)`` or ``a fast trainee's pace (think 0.5–2.0 s)``."""
    return "no pause (capacity)" if think is None else f"a fast trainee's pace (think {think_range(think)})"


def think_range(think: tuple[float, float]) -> str:
    """``0.5–2.0 s``: a pause's bounds as the report shows them."""
    low, high = (f"{bound:.1f}" if round(bound, 1) == bound else f"{bound:g}" for bound in think)
    return f"{low}–{high} s"


def trainee_think(trainee: str, think: Think) -> Callable[[], None] | None:
    """The pause between two of ``trainee``'s cells: uniform in ``think``, from a generator seeded by its name.

    Seeded per trainee (not per thread or per run), so a run repeats its pauses, and trainees differ.
    """
    if think is None:
        return None
    low, high = think
    draws = random.Random(f"class_load think {trainee}")
    return lambda: time.sleep(draws.uniform(low, high))


def trainee_env(row: dict[str, str]) -> dict[str, str]:
    """The ``ZEN_*`` a hub gives a trainee from its roster row (what ``zen_nb.join`` would set)."""
    return {
        "ZEN_API_BASE": row["base_url"],
        "ZEN_API_TOKEN": row["token"],
        "ZEN_TENANT_ID": row["tenant_id"],
        "ZEN_PLANE_ID": DEMO_PLANE_ID,
        "ZEN_ADAPTER_ID": DEMO_ADAPTER_ID,
    }


def read_roster(path: Path) -> list[dict[str, str]]:
    """The roster CSV's rows (trainee, tenant_id, token, base_url, join_code, and maybe more)."""
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def watch_exercise_calls(timings: Timings) -> None:
    """Time the HTTP call under each ``exercises.check`` / ``prepare`` too, retries included.

    Each check opens a ``Transport`` of its own, which the client's hook never sees; in this client
    process only (before any trainee's thread), ``zen_nb.exercises`` gets one that is watched.
    """

    class WatchedTransport(exercises.Transport):  # type: ignore[name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            timings.watch(self.session)

    exercises.Transport = WatchedTransport  # type: ignore[attr-defined]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (``/proc/PID/stat``), its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_trainee(row: dict[str, str], start: Any, api: Timings, cells: Timings, think: Think) -> dict[str, Any]:
    """Wait for the others at the barrier, then the whole session (paced by ``think``); what it passed, how long."""
    outcome: dict[str, Any] = {"trainee": row["trainee"], "failed": [], "error": None}
    started = time.perf_counter()
    try:
        start.wait(timeout=START_TIMEOUT_S)
        started = time.perf_counter()
        results = solve_every_exercise(trainee_env(row), api, cells, think=trainee_think(row["trainee"], think))
        outcome["failed"] = [f"{name}: {results[name]!r}" for name in exercises.names() if not results[name].passed]
    except Exception as error:  # a broken session is a figure of the report, not the end of the run
        outcome["error"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def client_process(rows: list[dict[str, str]], start: Any, queue: Any, think: Think) -> None:
    """In its own process: one thread per trainee of ``rows``; every call and outcome onto ``queue``."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # end at once (the parent's handler would unwind one thread)
    api, cells = Timings(), Timings()
    watch_exercise_calls(api)
    outcomes: list[dict[str, Any]] = []
    lock = threading.Lock()

    def run(row: dict[str, str]) -> None:
        outcome = one_trainee(row, start, api, cells, think)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    start.wait(timeout=START_TIMEOUT_S)  # this thread too: the CPU counted is the sessions', not the start's
    cpu_before = time.process_time()
    for thread in threads:
        thread.join(timeout=START_TIMEOUT_S + SESSION_TIMEOUT_S)
    cpu = time.process_time() - cpu_before
    with lock:  # a session still running is an outcome too: not finished
        finished, late = {outcome["trainee"] for outcome in outcomes}, f"not finished after {SESSION_TIMEOUT_S:g} s"
        outcomes += [
            {"trainee": row["trainee"], "failed": [], "error": late, "seconds": 0.0}
            for row in rows
            if row["trainee"] not in finished
        ]
    queue.put({"api": api.calls, "cells": cells.calls, "outcomes": outcomes, "cpu_s": cpu})


def run_room(rows: list[dict[str, str]], processes: int, server_pid: int, think: Think = None) -> dict[str, Any]:
    """Every trainee of ``rows`` at once, over ``processes`` client processes, paced by ``think``; their
    calls and outcomes, the wall time, and the CPU time the server and the clients spent in it."""
    shares = [rows[number::processes] for number in range(processes)]
    start = multiprocessing.Barrier(len(rows) + len(shares) + 1)  # every trainee, each client's main thread, here
    queue: Any = multiprocessing.Queue()
    children = [multiprocessing.Process(target=client_process, args=(share, start, queue, think)) for share in shares]
    for child in children:
        child.start()
    try:
        start.wait(timeout=START_TIMEOUT_S)
        released, server_before = time.perf_counter(), cpu_seconds(server_pid)
        parts = [queue.get(timeout=START_TIMEOUT_S + SESSION_TIMEOUT_S + 60) for _ in children]
        wall, server_cpu = time.perf_counter() - released, cpu_seconds(server_pid) - server_before
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
    return {
        "api": [call for part in parts for call in part["api"]],
        "cells": [call for part in parts for call in part["cells"]],
        "outcomes": sorted((o for part in parts for o in part["outcomes"]), key=lambda o: o["trainee"]),
        "wall_s": wall,
        "server_cpu_s": server_cpu,
        "clients_cpu_s": sum(part["cpu_s"] for part in parts),
    }


def summary(calls: Iterable[Call]) -> dict[str, Any]:
    """Count, p50/p95/p99/max (ms, nearest rank, errors included: a slow 429 is a slow call) and errors."""
    calls = list(calls)
    seconds = [call.seconds for call in calls]
    figures: dict[str, Any] = {"count": len(calls), "errors": sum(1 for call in calls if call.error)}
    for share in (50, 95, 99):
        figures[f"p{share}_ms"] = percentile(seconds, share) if seconds else None
    figures["max_ms"] = max(seconds) * 1000 if seconds else None
    return figures


def by_kind(calls: Iterable[Call]) -> dict[str, dict[str, Any]]:
    """:func:`summary` of each kind of call, the most frequent first."""
    groups: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        groups[call.kind].append(call)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return {kind: summary(group) for kind, group in ordered}


def errors_of(calls: Iterable[Call]) -> Counter[str]:
    """How many times each error was met (``429 rate_limited``, ``503 (retried)``, an exception's name)."""
    return Counter(part for call in calls if call.error for part in call.error.split("; "))


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def _row(label: str, figures: dict[str, Any]) -> str:
    cells = [f"{figures['count']:,}", *(_ms(figures[key]) for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))]
    return f"| {label} | {' | '.join(cells)} | {figures['errors']} |"


def report(figures: dict[str, Any]) -> str:
    """One run's Markdown tables: every call, then per kind, then the cells, then errors and outcomes."""
    header = [
        "| calls | count | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines = [f"### {figures['label']}, {figures['trainees']} trainees", "", *header]
    lines.append(_row("**every HTTP call**", figures["every_call"]))
    kinds = list(figures["kinds"].items())
    lines += [_row(f"`{kind}`", summary_) for kind, summary_ in kinds[:TOP_KINDS]]
    if len(kinds) > TOP_KINDS:
        rest = sum(summary_["count"] for _, summary_ in kinds[TOP_KINDS:])
        lines.append(f"| ({len(kinds) - TOP_KINDS} other kinds) | {rest:,} | | | | | |")
    lines += ["", "| checks and prepares, end to end | count | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors |"]
    lines += [header[1], _row("**every check and prepare**", figures["every_cell"])]
    lines += [_row(f"`{kind}`", summary_) for kind, summary_ in figures["cell_kinds"].items()]
    lines.append("")
    errors = figures["errors"]
    lines.append("errors: " + (", ".join(f"{text} × {count}" for text, count in errors.most_common()) or "none"))
    passed, trainees = figures["passed_all"], figures["trainees"]
    lines.append(f"trainees who passed every exercise: {passed} of {trainees}")
    lines += [f"- {line}" for line in figures["failures"]]
    sessions = figures["session_s"]
    lines.append(
        f"wall time {figures['wall_s']:.1f} s from the barrier to the last session's end; one session "
        f"{min(sessions):.1f}–{max(sessions):.1f} s"
    )
    wall, server, clients = figures["wall_s"], figures["server_cpu_s"], figures["clients_cpu_s"]
    count = figures["every_call"]["count"]
    lines.append(
        f"CPU in that time: the class process {server:.1f} s ({server / wall:.0%} of one core; "
        f"{server / max(count, 1) * 1000:.2f} ms a call), the client processes {clients:.1f} s "
        f"({clients / wall:.0%} of one core); {count / wall:.0f} calls a second"
    )
    lines.append(f"p95 ≤ {GOAL_P95_MS:.0f} ms, no error, in this run: {figures['verdict']}")
    return "\n".join(lines)


def side_by_side(runs: dict[str, dict[str, Any]]) -> str:
    """The runs in one Markdown table, a column each: calls, percentiles, errors, passes, wall, CPU, rate."""
    columns = list(runs.values())

    def line(label: str, shown: Callable[[dict[str, Any]], str]) -> str:
        return f"| {label} | {' | '.join(shown(figures) for figures in columns)} |"

    lines = [f"| {columns[0]['trainees']} trainees | {' | '.join(f['label'] for f in columns)} |"]
    lines.append(f"|---|{'---:|' * len(columns)}")
    lines.append(line("HTTP calls", lambda f: f"{f['every_call']['count']:,}"))
    for key, label in (("p50_ms", "p50 (ms)"), ("p95_ms", "**p95 (ms)**"), ("p99_ms", "p99 (ms)"), ("max_ms", "max")):
        lines.append(line(label, lambda f, key=key: _ms(f["every_call"][key])))
    lines.append(line("errors", lambda f: str(sum(f["errors"].values()))))
    lines.append(line("passed every exercise", lambda f: f"{f['passed_all']} of {f['trainees']}"))
    lines.append(line("wall time (s)", lambda f: f"{f['wall_s']:.1f}"))
    lines.append(line("class process CPU (s, % of one core)", lambda f: f"{f['server_cpu_s']:.1f}, {cpu_share(f):.0%}"))
    lines.append(line("calls a second", lambda f: f"{calls_per_second(f):.0f}"))
    lines.append(line("started; load average (1 min) then → at its end", _when_and_load))
    lines.append(line(f"p95 ≤ {GOAL_P95_MS:.0f} ms, no error", lambda f: f["verdict"]))
    return "\n".join(lines)


def _when_and_load(figures: dict[str, Any]) -> str:
    before, after = figures["load_1min"]
    return f"{figures['started_at']}; {before:.1f} → {after:.1f}"


def calls_per_second(figures: dict[str, Any]) -> float:
    """The run's HTTP calls over its wall time: at no pause, what the class serves at saturation."""
    return figures["every_call"]["count"] / max(figures["wall_s"], 1e-9)


def cpu_share(figures: dict[str, Any]) -> float:
    """The class process's CPU over the run's wall time, as a share of one core."""
    return figures["server_cpu_s"] / max(figures["wall_s"], 1e-9)


def capacity_used(runs: dict[str, dict[str, Any]]) -> str:
    """How much of the saturation rate a paced class asks for (empty unless both runs were made)."""
    if CAPACITY not in runs or PACED not in runs:
        return ""
    capacity, paced = calls_per_second(runs[CAPACITY]), calls_per_second(runs[PACED])
    return (
        f"the class served {capacity:.0f} calls a second at saturation (no pause: its calls over its wall time); "
        f"{runs[PACED]['trainees']} trainees at a fast trainee's pace asked for {paced:.0f} a second, "
        f"{paced / capacity:.0%} of it (class process CPU {cpu_share(runs[PACED]):.0%} of one core against "
        f"{cpu_share(runs[CAPACITY]):.0%})"
    )


def start_class(folder: Path, trainees: int) -> CliClass:
    """``zen-nb class start`` with the class's defaults, on a new database in ``folder``, in a home there."""
    db = folder / "class.sqlite3"
    return CliClass("--trainees", str(trainees), "--port", "0", "--db", str(db), env=clean_env(folder))


def stop_class(room: CliClass) -> None:
    """Ctrl-C, then wait; killed (with what it started) if it has not stopped in :data:`STOP_TIMEOUT_S`."""
    try:
        room.interrupt(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"the class did not stop within {STOP_TIMEOUT_S:g} s of Ctrl-C: killed", file=sys.stderr)
    room.kill()  # a no-op once it has ended; its readers are joined either way


def run(
    trainees: int = TRAINEES,
    processes: int = CLIENT_PROCESSES,
    on_started: Callable | None = None,
    think: Think = None,
) -> dict:
    """A class of ``trainees`` at once, paced by ``think`` (None: no pause): the figures (see :func:`report`),
    with this run's verdict against the goal.

    ``on_started(room)``, if given, is called once the class serves (a profiler attaches there).
    """
    import pandas  # noqa: F401  -- once here, before the clients fork, not by each of them at the barrier

    load_before, started_at = os.getloadavg()[0], time.strftime("%H:%M:%S UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="zen-bench-class-") as name:
        folder = Path(name)
        room = start_class(folder, trainees)
        try:
            rows = read_roster(folder / "class-roster.csv")
            assert len(rows) == trainees, f"the roster has {len(rows)} rows for {trainees} trainees"
            if on_started is not None:
                on_started(room)
            measured = run_room(rows, max(1, min(processes, trainees)), room.proc.pid, think)
            load_after = os.getloadavg()[0]
        finally:
            stop_class(room)
    every_call = summary(measured["api"])
    outcomes = measured["outcomes"]
    failures = [f"{o['trainee']}: {o['error']}" for o in outcomes if o["error"]]
    failures += [f"{o['trainee']}: {line}" for o in outcomes for line in o["failed"]]
    errors = errors_of(measured["api"] + measured["cells"])
    passed_all = sum(1 for o in outcomes if not o["error"] and not o["failed"])
    met = every_call["p95_ms"] is not None and every_call["p95_ms"] <= GOAL_P95_MS and not errors
    return {
        "label": run_label(think),
        "think": think,
        "trainees": trainees,
        "processes": processes,
        "every_call": every_call,
        "kinds": by_kind(measured["api"]),
        "every_cell": summary(measured["cells"]),
        "cell_kinds": by_kind(measured["cells"]),
        "errors": errors,
        "passed_all": passed_all,
        "failures": failures,
        "session_s": [o["seconds"] for o in outcomes] or [0.0],
        "wall_s": measured["wall_s"],
        "server_cpu_s": measured["server_cpu_s"],
        "clients_cpu_s": measured["clients_cpu_s"],
        "load_1min": (load_before, load_after),
        "started_at": started_at,
        "verdict": "met" if met and passed_all == trainees else "missed",
    }


def run_both(
    trainees: int = TRAINEES,
    processes: int = CLIENT_PROCESSES,
    think: tuple[float, float] = THINK_S,
    only: Iterable[str] = (CAPACITY, PACED),
) -> dict[str, dict[str, Any]]:
    """The no-pause run, then the paced one, each on a new class: ``{"capacity": ..., "paced": ...}``.

    Capacity first: it is the short one, and a class that cannot even start is known in seconds.
    """
    paces: dict[str, Think] = {CAPACITY: None, PACED: think}
    wanted = set(only)
    runs = {}
    for name, pace in paces.items():
        if name in wanted:
            print(f"== {run_label(pace)}, {trainees} trainees", file=sys.stderr, flush=True)
            runs[name] = run(trainees, processes, think=pace)
    return runs


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``2.1, 1.8, 1.2``."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainees", type=int, help=f"how many at once (default {TRAINEES})")
    parser.add_argument("--processes", type=int, default=CLIENT_PROCESSES, help="client processes they share")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_TRAINEES} trainees")
    parser.add_argument(
        "--think",
        default=",".join(f"{bound:g}" for bound in THINK_S),
        help="MIN,MAX seconds between two cells in the paced run: uniform, seeded per trainee (default %(default)s)",
    )
    parser.add_argument("--only", choices=[CAPACITY, PACED], help="one of the two runs (default: both, side by side)")
    args = parser.parse_args()
    try:
        think = parse_think(args.think)
    except ValueError as error:
        parser.error(str(error))
    trainees = args.trainees or (QUICK_TRAINEES if args.quick else TRAINEES)
    # SIGTERM (a supervisor, `timeout`) unwinds like Ctrl-C, so the class process is stopped too.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    multiprocessing.set_start_method("fork")  # the clients need nothing from a fresh interpreter
    started_load = load_average()
    runs = run_both(trainees, args.processes, think, [args.only] if args.only else (CAPACITY, PACED))
    for figures in runs.values():
        print(report(figures), end="\n\n")
    print(side_by_side(runs))
    if used := capacity_used(runs):
        print(f"\n{used}")
    processes = next(iter(runs.values()))["processes"]
    print(
        f"\n{trainees} trainees over {processes} client processes; python {sys.version.split()[0]}, "
        f"zen_nb {zen_nb.__version__}, {os.cpu_count()} cores, load average {started_load} at the start, "
        f"{load_average()} at the end"
    )


if __name__ == "__main__":
    main()
