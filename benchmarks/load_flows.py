"""Benchmark: ``load_flows`` against the floor of fetching the same pages by hand.

For each size (1,000, 10,000, 100,000 flows) a sandbox is started as its own process on a
database filled directly through the sandbox's data layer (creating 100,000 flows over HTTP would time the server,
not the loader). Then, in this process, alternately:

- the floor: the same pages (limit 250) fetched with a bare ``requests.Session``,
  ``json.loads`` and ``pd.DataFrame(records)``;
- ``zen_nb.load_flows`` with the progress bar off.

Memory is measured in a fresh subprocess per loader (see ``harness.py``, shared with
``load_attempts.py``).

    python benchmarks/load_flows.py [--sizes 1000 10000 100000] [--repeats 5]
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import harness
import pandas as pd

from zen_nb import ZenClient, ZenConfig, load_flows
from zen_nb.sandbox.data.flows import insert_flow
from zen_nb.sandbox.seed import DEMO_PLANE_ID, DEMO_TENANT_ID
from zen_nb.sandbox.server import open_store

TARGETS = [
    ("dest_stripe_prod_us_east_1", "ingester_stripe"),
    ("dest_http_orders_webhook", "ingester_github"),
    ("dest_slack_payments_alerts", "ingester_shopify"),
    ("dest_s3_events_archive", "ingester_twilio"),
]


def fill_database(path: Path, count: int) -> None:
    """A seeded sandbox database with ``count`` flows on the demo plane, of every target type,
    written through the sandbox's data layer in one transaction."""
    store = open_store(path)
    with store.transaction() as db:
        for number in range(count):
            target_id, source = TARGETS[number % len(TARGETS)]
            insert_flow(
                db,
                DEMO_TENANT_ID,
                DEMO_PLANE_ID,
                f"flow_bench{number:015d}",
                name=f"bench-{number:07d}",
                source=source,
                description=f"benchmark flow {number}" if number % 3 == 0 else None,
                status="paused" if number % 7 == 0 else "active",
                target_ids=[target_id],
            )
    store.close()


def floor_load(env: dict[str, str]) -> pd.DataFrame:
    return harness.floor_load(env, "delivery-flows")


def zen_load(env: dict[str, str]) -> pd.DataFrame:
    with ZenClient(ZenConfig(environ=env)) as client:
        return load_flows(client, progress=False)


LOADERS = {"floor": floor_load, "load_flows": zen_load}


def run(sizes: list[int], repeats: int) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.sqlite3"
            fill_database(db, size)
            server = harness.SandboxProcess(db)
            try:
                rows.append(harness.compare(__file__, LOADERS, "load_flows", server.env, size, repeats))
            finally:
                server.stop()
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    harness.main(__doc__, LOADERS, run, "flows", "load_flows")


if __name__ == "__main__":
    main()
