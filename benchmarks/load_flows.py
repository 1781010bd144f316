"""Benchmark: ``load_flows`` against the floor of fetching the same pages by hand.

For each size (1,000, 10,000, 100,000 flows) a sandbox is started as its own process on a
database filled directly through SQL (creating 100,000 flows over HTTP would time the server,
not the loader). Then, in this process, alternately:

- the floor: the same pages (limit 250) fetched with a bare ``requests.Session``,
  ``json.loads`` and ``pd.DataFrame(records)``;
- ``zen_nb.load_flows`` with the progress bar off.

Memory is measured in a fresh subprocess per loader: the peak resident set during the load
(Linux ``VmHWM`` after resetting it through ``/proc/self/clear_refs``) minus the resident set
before it, against the final frame's ``memory_usage(deep=True)``.

    python benchmarks/load_flows.py [--sizes 1000 10000 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import requests

from zen_nb import ZenClient, ZenConfig, load_flows
from zen_nb.sandbox.seed import DEMO_PLANE_ID, DEMO_TENANT_ID, DEMO_TOKEN
from zen_nb.sandbox.server import open_store
from zen_nb.sandbox.store import utc_now

TARGETS = [
    ("dest_stripe_prod_us_east_1", "ingester_stripe"),
    ("dest_http_orders_webhook", "ingester_github"),
    ("dest_slack_payments_alerts", "ingester_shopify"),
    ("dest_s3_events_archive", "ingester_twilio"),
]


def fill_database(path: Path, count: int) -> None:
    """A seeded sandbox database with ``count`` flows on the demo plane, of every target type."""
    store = open_store(path)
    now = utc_now()
    flows, links = [], []
    for number in range(count):
        flow_id = f"flow_bench{number:015d}"
        target_id, source = TARGETS[number % len(TARGETS)]
        status = "paused" if number % 7 == 0 else "active"
        description = f"benchmark flow {number}" if number % 3 == 0 else None
        flows.append(
            (DEMO_TENANT_ID, DEMO_PLANE_ID, flow_id, f"bench-{number:07d}", source, description, status, now, now)
        )
        links.append((flow_id, 0, DEMO_TENANT_ID, DEMO_PLANE_ID, target_id))
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO flows (tenant_id, plane_id, id, name, source, description, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            flows,
        )
        db.executemany(
            "INSERT INTO flow_targets (flow_id, position, tenant_id, plane_id, target_id) VALUES (?, ?, ?, ?, ?)", links
        )
    store.close()


class SandboxProcess:
    """``zen-nb sandbox`` on a free port and a given database, as a separate process."""

    def __init__(self, db: Path) -> None:
        command = [sys.executable, "-m", "zen_nb.cli", "sandbox", "--port", "0", "--db", str(db)]
        command += ["--rate-limit", "100000000/1"]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            found = re.search(r"serving (http://\S+)", line)
            if found:
                self.base_url = found.group(1)
                break
        else:
            raise RuntimeError("the sandbox did not start")
        self.env = {
            "ZEN_API_BASE": self.base_url,
            "ZEN_API_TOKEN": DEMO_TOKEN,
            "ZEN_TENANT_ID": DEMO_TENANT_ID,
            "ZEN_PLANE_ID": DEMO_PLANE_ID,
            "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
        }

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def floor_load(env: dict[str, str]) -> pd.DataFrame:
    """The least a loader must do: fetch every page, parse it, make a frame of the records."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {env['ZEN_API_TOKEN']}"
    url = f"{env['ZEN_API_BASE']}/tenants/{env['ZEN_TENANT_ID']}/clusters/{env['ZEN_PLANE_ID']}/delivery-flows"
    records: list[dict] = []
    params: dict[str, object] = {"limit": 250}
    while True:
        body = json.loads(session.get(url, params=params, timeout=60).content)
        records.extend(body["data"])
        if not body["hasMore"]:
            break
        params["cursor"] = body["nextCursor"]
    session.close()
    return pd.DataFrame(records)


def zen_load(env: dict[str, str]) -> pd.DataFrame:
    with ZenClient(ZenConfig(environ=env)) as client:
        return load_flows(client, progress=False)


LOADERS = {"floor": floor_load, "load_flows": zen_load}


def _status(field: str) -> int:
    """A field of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def measure_memory_here(loader: str, env: dict[str, str]) -> dict[str, int]:
    """Run in a fresh process: peak extra resident memory of one load, and the frame's size."""
    # Warm up imports and lazy initialisation on tiny inputs only: a load of the same data
    # would leave its freed memory with the allocator and hide the peak of the measured one.
    pd.DataFrame([{"a": "x"}])
    pd.to_datetime(pd.Series(["2024-01-15T10:30:00Z"]), utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    pd.Series(pd.Categorical(["a"], categories=["a"]))
    requests.get(f"{env['ZEN_API_BASE']}/health", timeout=30)
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    frame = LOADERS[loader](env)
    peak = _status("VmHWM")
    return {"peak_extra": peak - before, "frame": int(frame.memory_usage(deep=True).sum()), "rows": len(frame)}


def measure_memory(loader: str, env: dict[str, str]) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, __file__, "--memory-of", loader, "--env", json.dumps(env)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def run(sizes: list[int], repeats: int) -> list[dict[str, object]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.sqlite3"
            fill_database(db, size)
            server = SandboxProcess(db)
            try:
                times: dict[str, list[float]] = {name: [] for name in LOADERS}
                for loader in LOADERS.values():  # warm-up, not timed
                    assert len(loader(server.env)) == size
                for _ in range(repeats):
                    for name, loader in LOADERS.items():
                        started = time.perf_counter()
                        frame = loader(server.env)
                        times[name].append(time.perf_counter() - started)
                        assert len(frame) == size
                memory = measure_memory("load_flows", server.env)
                floor_memory = measure_memory("floor", server.env)
            finally:
                server.stop()
        floor, ours = statistics.median(times["floor"]), statistics.median(times["load_flows"])
        rows.append(
            {
                "flows": size,
                "floor_s": floor,
                "load_flows_s": ours,
                "ratio": ours / floor,
                "us_per_flow": ours / size * 1e6,
                "frame_mib": memory["frame"] / 2**20,
                "peak_extra_mib": memory["peak_extra"] / 2**20,
                "peak_over_frame": memory["peak_extra"] / memory["frame"],
                "floor_peak_extra_mib": floor_memory["peak_extra"] / 2**20,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| flows | floor (s) | load_flows (s) | ratio | µs per flow | frame (MiB) | peak extra (MiB) | peak / frame |"
        " floor peak extra (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['flows']:,} | {row['floor_s']:.3f} | {row['load_flows_s']:.3f} | {row['ratio']:.2f} |"
            f" {row['us_per_flow']:.1f} | {row['frame_mib']:.1f} | {row['peak_extra_mib']:.1f} |"
            f" {row['peak_over_frame']:.2f} | {row['floor_peak_extra_mib']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-of", choices=sorted(LOADERS), help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        print(json.dumps(measure_memory_here(args.memory_of, json.loads(args.env))))
        return
    rows = run(args.sizes, args.repeats)
    print()
    print(table(rows))
    first, last = rows[0], rows[-1]
    growth = last["us_per_flow"] / first["us_per_flow"]
    print(f"\nper-flow cost at {last['flows']:,} / at {first['flows']:,}: {growth:.2f}")
    print(f"python {sys.version.split()[0]}, pandas {pd.__version__}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
