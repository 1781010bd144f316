"""What the loader benchmarks share: a sandbox in its own process, timing, memory, the table.

Each benchmark (``load_flows.py``, ``load_attempts.py``) fills a sandbox database its own way,
then compares its loader with the floor: the same pages (limit 250) fetched with a bare
``requests.Session``, ``json.loads`` and ``pd.DataFrame(records)``.

Memory is measured in a fresh subprocess per loader (the benchmark script run again with
``--memory-of``): the peak resident set during the load (Linux ``VmHWM`` after resetting it
through ``/proc/self/clear_refs``) minus the resident set before it, against the final frame's
``memory_usage(deep=True)``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import requests

from zen_nb.sandbox.seed import DEMO_PLANE_ID, DEMO_TENANT_ID, DEMO_TOKEN

from sandbox_process import SandboxProcess as OwnProcess

Loader = Callable[[dict[str, str]], pd.DataFrame]


class SandboxProcess(OwnProcess):
    """``zen-nb sandbox`` on a free port and a given database, as a separate process, with the
    ``ZEN_*`` variables a loader reads to reach it."""

    def __init__(self, db: Path) -> None:
        super().__init__(db)
        self.env = {
            "ZEN_API_BASE": self.base_url,
            "ZEN_API_TOKEN": DEMO_TOKEN,
            "ZEN_TENANT_ID": DEMO_TENANT_ID,
            "ZEN_PLANE_ID": DEMO_PLANE_ID,
            "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
        }


def floor_load(env: dict[str, str], collection: str) -> pd.DataFrame:
    """The least a loader must do: fetch every page, parse it, make a frame of the records."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {env['ZEN_API_TOKEN']}"
    url = f"{env['ZEN_API_BASE']}/tenants/{env['ZEN_TENANT_ID']}/clusters/{env['ZEN_PLANE_ID']}/{collection}"
    records: list[dict] = []
    params: dict[str, object] = {"limit": 250}
    # A page holds its items under the collection's camelCase name (zen-api.md: "deliveryFlows").
    first, *rest = collection.split("-")
    key = first + "".join(word.title() for word in rest)
    while True:
        body = json.loads(session.get(url, params=params, timeout=60).content)
        records.extend(body[key])
        if not body["hasMore"]:
            break
        params["cursor"] = body["nextCursor"]
    session.close()
    return pd.DataFrame(records)


def _status(field: str) -> int:
    """A field of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def measure_memory_here(loader: Loader, env: dict[str, str]) -> dict[str, int]:
    """Run in a fresh process: peak extra resident memory of one load, and the frame's size."""
    # Warm up imports and lazy initialisation on tiny inputs only: a load of the same data
    # would leave its freed memory with the allocator and hide the peak of the measured one.
    pd.DataFrame([{"a": "x"}])
    pd.to_datetime(pd.Series(["2024-01-15T10:30:00Z"]), utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    pd.Series(pd.Categorical(["a"], categories=["a"]))
    pd.Series([1, None], dtype="Int64")
    requests.get(f"{env['ZEN_API_BASE']}/health", timeout=30)
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    frame = loader(env)
    peak = _status("VmHWM")
    return {"peak_extra": peak - before, "frame": int(frame.memory_usage(deep=True).sum()), "rows": len(frame)}


def measure_memory(script: str, loader: str, env: dict[str, str]) -> dict[str, int]:
    """:func:`measure_memory_here` in a fresh process: ``script --memory-of LOADER --env JSON``."""
    result = subprocess.run(
        [sys.executable, script, "--memory-of", loader, "--env", json.dumps(env)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def compare(
    script: str, loaders: dict[str, Loader], name: str, env: dict[str, str], size: int, repeats: int
) -> dict[str, float]:
    """Time ``loaders["floor"]`` and ``loaders[name]`` alternately (medians), then measure memory.

    Besides the wall time, each load's CPU time in this process (``time.process_time``): the
    loader's own work, which a busy machine slows far less than it slows the wait for the server's
    pages. A wall-time ratio over the goal with a CPU ratio under it is the machine, not the loader.
    """
    times: dict[str, list[float]] = {key: [] for key in loaders}
    cpu: dict[str, list[float]] = {key: [] for key in loaders}
    for loader in loaders.values():  # warm-up, not timed
        assert len(loader(env)) == size
    for _ in range(repeats):
        for key, loader in loaders.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            frame = loader(env)
            times[key].append(time.perf_counter() - started)
            cpu[key].append(time.process_time() - started_cpu)
            assert len(frame) == size
    memory = measure_memory(script, name, env)
    floor_memory = measure_memory(script, "floor", env)
    floor, ours = statistics.median(times["floor"]), statistics.median(times[name])
    floor_cpu, our_cpu = statistics.median(cpu["floor"]), statistics.median(cpu[name])
    return {
        "rows": size,
        "floor_s": floor,
        "loader_s": ours,
        "ratio": ours / floor,
        "floor_cpu_s": floor_cpu,
        "loader_cpu_s": our_cpu,
        "cpu_ratio": our_cpu / floor_cpu if floor_cpu > 0 else float("nan"),
        "us_per_row": ours / size * 1e6,
        "frame_mib": memory["frame"] / 2**20,
        "peak_extra_mib": memory["peak_extra"] / 2**20,
        "peak_over_frame": memory["peak_extra"] / memory["frame"],
        "floor_peak_extra_mib": floor_memory["peak_extra"] / 2**20,
    }


def table(rows: list[dict[str, float]], noun: str, loader: str) -> str:
    """The README's table: ``noun`` is the rows' name (``flows``), ``loader`` the function's."""
    lines = [
        f"| {noun} | floor (s) | {loader} (s) | ratio | µs per {noun.rstrip('s')} | frame (MiB) | peak extra (MiB) |"
        " peak / frame | floor peak extra (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['rows']:,} | {row['floor_s']:.3f} | {row['loader_s']:.3f} | {row['ratio']:.2f} |"
            f" {row['us_per_row']:.1f} | {row['frame_mib']:.1f} | {row['peak_extra_mib']:.1f} |"
            f" {row['peak_over_frame']:.2f} | {row['floor_peak_extra_mib']:.1f} |"
        )
    return "\n".join(lines)


def report(rows: list[dict[str, float]], noun: str, loader: str) -> None:
    """Print the table, the per-row cost's growth and the machine."""
    print()
    print(table(rows, noun, loader))
    first, last = rows[0], rows[-1]
    growth = last["us_per_row"] / first["us_per_row"]
    print(f"\nper-{noun.rstrip('s')} cost at {last['rows']:,} / at {first['rows']:,}: {growth:.2f}")
    print(f"python {sys.version.split()[0]}, pandas {pd.__version__}, {os.cpu_count()} cores")


def main(
    doc: str | None,
    loaders: dict[str, Loader],
    run: Callable[[list[int], int], list[dict[str, float]]],
    noun: str,
    loader: str,
) -> None:
    """The command line of a benchmark script: its sizes and repeats, or (internally) one memory
    measurement in a fresh process, then the table of figures."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-of", choices=sorted(loaders), help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        print(json.dumps(measure_memory_here(loaders[args.memory_of], json.loads(args.env))))
        return
    report(run(args.sizes, args.repeats), noun, loader)
