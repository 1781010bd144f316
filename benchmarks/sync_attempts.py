"""Benchmark: ``sync_attempts`` of a month of attempts, then a second sync after 1 % new attempts.

For each size a sandbox runs as its own process on a new database, filled as in
``load_attempts.py`` (four flows, ``/_sandbox/simulate`` rounds of 6 days). Each sync runs in a
fresh subprocess (this script with ``--sync-into``) that imports only what the sync needs (not
``harness`` nor ``load_attempts``, which bring pandas), and reports its wall time, its resident
memory before the sync (``base``: Python and zen_nb imported) and its peak. The peak is the
kernel's ``VmHWM`` of the child itself: ``ru_maxrss`` would not do, since Linux carries the
parent's high-water mark over ``fork``/``exec`` (a child of this 140 MiB parent would never
report less). Then ``size // 100`` attempts are simulated after the history's end (failure rate
0: one attempt per event) and a second sync into the same folder is timed: its time over the
first's is the incremental cost (goal: <= 5 %); peak memory goal <= 200 MiB, flat with the size.

    python benchmarks/sync_attempts.py [--sizes 250000 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from zen_nb import ZenClient, ZenConfig

if TYPE_CHECKING:
    import harness

#: the sandbox's most events per simulate call; each round covers ROUND_DAYS after the previous one
MAX_EVENTS = 200_000
ROUND_DAYS = 6


def fill(server: harness.SandboxProcess, size: int) -> dict[str, int]:
    """About ``size`` attempts on the demo plane, in rounds of consecutive 6-day windows (a month for 1M)."""
    from load_attempts import FLOWS, START

    with ZenClient(ZenConfig(environ=server.env)) as client:
        for name, source, target in FLOWS:
            client.create_flow(name, source, target)
    have, rounds = 0, 0
    while size - have > 1000:
        start = (START + timedelta(days=ROUND_DAYS * rounds)).isoformat()
        events = min(MAX_EVENTS, (size - have) * 3 // 4)
        body = {"planeId": server.env["ZEN_PLANE_ID"], "events": events, "days": ROUND_DAYS, "seed": rounds}
        have += server.admin_post("simulate", {**body, "start": start})["attempts"]
        rounds += 1
    return {"rounds": rounds, "attempts": have}


def resident_mib(field: str = "VmHWM") -> float:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident memory in MiB.

    Where ``/proc`` is missing, ``ru_maxrss``: a peak that may include the parent's.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def sync_here(folder: str, since: str, env: dict[str, str]) -> dict[str, float]:
    """Run in a fresh process: one sync, its time, the resident memory before it and its peak, in MiB."""
    from zen_nb.history_sync import sync_attempts

    base = resident_mib("VmRSS")
    started = time.perf_counter()
    with ZenClient(ZenConfig(environ=env)) as client:
        result = sync_attempts(folder, since=since, client=client, progress=False)
    seconds = time.perf_counter() - started
    peak = resident_mib()
    return {
        "seconds": seconds,
        "base_mib": base,
        "peak_mib": peak,
        "pandas_loaded": "pandas" in sys.modules,
        "fetched": result.fetched,
        "added": result.added,
    }


def sync_in_subprocess(folder: Path, env: dict[str, str]) -> dict[str, float]:
    from load_attempts import START

    command = [sys.executable, __file__, "--sync-into", str(folder), "--since", START.isoformat()]
    done = subprocess.run([*command, "--env", json.dumps(env)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def run(size: int) -> dict[str, float]:
    import harness
    from load_attempts import START

    with tempfile.TemporaryDirectory() as scratch:
        server = harness.SandboxProcess(Path(scratch) / "bench.sqlite3")
        try:
            filling = time.perf_counter()
            filled = fill(server, size)
            fill_seconds = time.perf_counter() - filling
            history = Path(scratch) / "history"
            first = sync_in_subprocess(history, server.env)
            later = START + timedelta(days=ROUND_DAYS * (filled["rounds"] + 1))
            body = {
                "planeId": server.env["ZEN_PLANE_ID"],
                "events": filled["attempts"] // 100,
                "days": 1,
                "failureRate": 0.0,
            }
            server.admin_post("simulate", {**body, "start": later.isoformat()})
            second = sync_in_subprocess(history, server.env)
            files = sorted(history.glob("day=*/attempts.parquet"))
            disk = sum(path.stat().st_size for path in files) / 2**20
        finally:
            server.stop()
    return {
        "size": size,
        "attempts": filled["attempts"],
        "fill_s": round(fill_seconds, 1),
        "first_s": round(first["seconds"], 2),
        "first_base_mib": round(first["base_mib"], 1),
        "first_peak_mib": round(first["peak_mib"], 1),
        "first_above_base_mib": round(first["peak_mib"] - first["base_mib"], 1),
        "second_s": round(second["seconds"], 2),
        "second_peak_mib": round(second["peak_mib"], 1),
        "second_above_base_mib": round(second["peak_mib"] - second["base_mib"], 1),
        "pandas_loaded": first["pandas_loaded"],
        "second_added": second["added"],
        "second_over_first": round(second["seconds"] / first["seconds"], 4),
        "day_files": len(files),
        "disk_mib": round(disk, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--sync-into", help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.sync_into:
        print(json.dumps(sync_here(arguments.sync_into, arguments.since, json.loads(arguments.env))))
        return
    for size in arguments.sizes:
        print(json.dumps(run(size)), flush=True)


if __name__ == "__main__":
    main()
