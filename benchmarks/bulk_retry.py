"""Benchmark: a bulk retry of about 10,000 undelivered events, against a retry loop written by hand.

A sandbox runs as its own process on a new database file (unlimited rate). Two flows go to the
seed's staging Stripe target; ``POST /_sandbox/simulate`` with its highest failure rate (1) writes
a history in which about half of the events end undelivered. Then the target is
fixed (success rate 1) and, side by side in this process:

- ``client.plan_retry(flow=...)``: reading the history and planning (events per second), beside
  ``load_attempts`` of the same attempts (the pages alone, into a frame);
- ``plan.run(wait=False)``: the batch calls (``workers=4``, 100 a request), until every retry is
  queued (events per second), then ``result.wait()`` until every retry was made and succeeded;
- the loop a user writes without it: ``client.retry_attempt`` of each latest failed attempt, one
  call after another, on the second flow's first 1,000 undelivered events.

    python benchmarks/bulk_retry.py [--events 20000] [--loop 1000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import requests
from harness import SandboxProcess

from zen_nb import ZenClient, ZenConfig, load_attempts

TARGET = "dest_stripe_staging_us_east_1"
PLANE = "plane_dev_us_east_1"


def set_success(server: SandboxProcess, rate: float) -> None:
    """The target's outcome model: every attempt succeeds (1) or fails (0), in a millisecond."""
    path = f"{server.base_url}/_sandbox/tenants/{server.env['ZEN_TENANT_ID']}/clusters/{PLANE}/targets/{TARGET}/outcome"
    response = requests.put(
        path,
        json={"successRate": rate, "latencyMs": 1, "latencySpread": 0},
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    )
    response.raise_for_status()


def run(events: int, loop: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        os.environ["ZEN_NB_STATE_DIR"] = str(Path(folder) / "state")  # the plan's journal: thrown away after
        server = SandboxProcess(Path(folder) / "retry.sqlite3")
        try:
            with ZenClient(ZenConfig(environ=server.env)) as client:
                bulk = client.create_flow("bench-bulk", "ingester_stripe", {"id": TARGET, "type": "stripe"})
                by_hand = client.create_flow("bench-by-hand", "ingester_github", {"id": TARGET, "type": "stripe"})
                for flow, count in ((bulk, events), (by_hand, loop * 2)):
                    body = {"flowIds": [flow.id], "events": count, "days": 1, "seed": 1, "failureRate": 1.0}
                    server.admin_post("simulate", body)
                set_success(server, 1.0)

                started = time.perf_counter()
                figures["attempts"] = len(load_attempts(client, flow=bulk.id, progress=False))
                figures["load_attempts s"] = time.perf_counter() - started  # the same pages, into a frame
                started = time.perf_counter()
                plan = client.plan_retry(flow=bulk.id)
                figures["events"] = plan.to_retry
                figures["plan s"] = time.perf_counter() - started
                started = time.perf_counter()
                result = plan.run(progress=False, wait=False)
                figures["run s"] = time.perf_counter() - started
                started = time.perf_counter()
                result.wait(timeout=600)
                figures["settle s"] = time.perf_counter() - started
                summary = result.summary
                assert summary["retried"] == plan.to_retry == summary["succeeded"], summary

                latest = client.plan_retry(flow=by_hand.id).sample(loop)["attempt_id"].tolist()
                started = time.perf_counter()
                for attempt_id in latest:
                    client.retry_attempt(attempt_id)
                figures["loop events"] = len(latest)
                figures["loop s"] = time.perf_counter() - started
        finally:
            server.stop()
    figures["plan events/s"] = figures["events"] / figures["plan s"]
    figures["run events/s"] = figures["events"] / figures["run s"]
    figures["loop events/s"] = figures["loop events"] / figures["loop s"]
    figures["run ÷ loop"] = figures["run events/s"] / figures["loop events/s"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, default=20_000, help="events simulated on the bulk flow (about half end undelivered)"
    )
    parser.add_argument("--loop", type=int, default=1_000, help="events retried by the hand loop")
    args = parser.parse_args()
    for name, value in run(args.events, args.loop).items():
        print(f"{name:>15}: {value:,.2f}")


if __name__ == "__main__":
    main()
