"""Benchmark: ``load_attempts`` against the floor of fetching the same pages by hand.

For each size (1,000, 10,000, 100,000 attempts) a sandbox is started as its own process on a
new database; four flows (one per ingester, one of each target type) are created over HTTP,
and ``POST /_sandbox/simulate`` (admin token) writes their history: rounds of seeded traffic
with the default failure rate (so there are failures, automatic retries, error codes and null
response statuses to type), then one round with failure rate 0 (one attempt per event) that
brings the count to the exact size. Then, in this process, alternately:

- the floor: the same pages (limit 250) fetched with a bare ``requests.Session``,
  ``json.loads`` and ``pd.DataFrame(records)``;
- ``zen_nb.load_attempts`` with the progress bar off.

Memory is measured in a fresh subprocess per loader (see ``harness.py``).

    python benchmarks/load_attempts.py [--sizes 1000 10000 100000] [--repeats 5]
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness
import pandas as pd

from zen_nb import ZenClient, ZenConfig, load_attempts

FLOWS = [
    ("bench-invoices", "ingester_stripe", "dest_stripe_prod_us_east_1"),
    ("bench-orders", "ingester_github", "dest_http_orders_webhook"),
    ("bench-alerts", "ingester_shopify", "dest_slack_payments_alerts"),
    ("bench-archive", "ingester_twilio", "dest_s3_events_archive"),
]
START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 30


def fill(server: harness.SandboxProcess, size: int) -> dict[str, int]:
    """Exactly ``size`` attempts on the demo plane; how many came from which kind of round."""
    with ZenClient(ZenConfig(environ=server.env)) as client:
        for name, source, target in FLOWS:
            client.create_flow(name, source, target)
    plane = server.env["ZEN_PLANE_ID"]
    have, rounds = 0, 0
    # Each event makes at least one attempt (more when retried): ask for fewer events than the
    # attempts still missing, until the rest is small enough for one round without failures.
    while size - have > 100:
        start = (START + timedelta(days=DAYS * rounds)).isoformat()
        body = {"planeId": plane, "events": (size - have) * 3 // 4, "days": DAYS, "seed": rounds, "start": start}
        have += server.admin_post("simulate", body)["attempts"]
        rounds += 1
    failing = have
    if size > have:
        start = (START + timedelta(days=DAYS * rounds)).isoformat()
        body = {"planeId": plane, "events": size - have, "days": DAYS, "failureRate": 0.0, "start": start}
        written = server.admin_post("simulate", body)
        assert written["attempts"] == size - have, written
        have += written["attempts"]
    assert have == size
    return {"rounds": rounds, "with_failures": failing, "without": size - failing}


def floor_load(env: dict[str, str]) -> pd.DataFrame:
    return harness.floor_load(env, "delivery-attempts")


def zen_load(env: dict[str, str]) -> pd.DataFrame:
    with ZenClient(ZenConfig(environ=env)) as client:
        return load_attempts(client, progress=False)


LOADERS = {"floor": floor_load, "load_attempts": zen_load}


def run(sizes: list[int], repeats: int) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            server = harness.SandboxProcess(Path(folder) / "bench.sqlite3")
            try:
                filled = fill(server, size)
                frame = zen_load(server.env)
                failed = int((frame["status"] == "failed").sum())
                print(json.dumps({**filled, "failed": failed, "retries": int((frame["trigger"] != "initial").sum())}))
                rows.append(harness.compare(__file__, LOADERS, "load_attempts", server.env, size, repeats))
            finally:
                server.stop()
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    harness.main(__doc__, LOADERS, run, "attempts", "load_attempts")


if __name__ == "__main__":
    main()
