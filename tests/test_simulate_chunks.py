"""A long simulation is written in chunks: other requests are served while it runs, and the chunks
never show in the history it writes.

Timing bounds here are generous (a second), to catch a request that waits for the whole
simulation; figures belong in ``benchmarks/``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import requests

from zen_nb.sandbox import simulate as simulate_module

from deliveries import parse_time
from helpers import Api

START = "2026-01-05T00:00:00Z"
FLOWS = "{plane}/delivery-flows"


def _simulate(api: Api, **body) -> requests.Response:
    return api.session.post(f"{api.base_url}/_sandbox/simulate", json={"start": START, **body}, timeout=600)


def _history(api: Api) -> list[tuple]:
    return [
        (a["flowId"], a["eventId"][:4], a["attemptNumber"], a["trigger"], a["status"], a["latencyMs"], a["createdAt"])
        for a in api.all_pages("{plane}/delivery-attempts", limit=250)
    ]


def test_requests_are_served_and_deliveries_made_between_the_chunks_of_a_large_simulation(api):
    simulated = api.create_flow("simulated-fleet").json()
    live = api.create_flow("live-flow", source="ingester_github", target="dest_slack_ops_alerts", target_type="slack")
    assert live.status_code == 201, live.text
    answer: dict[str, requests.Response] = {}
    running = threading.Thread(
        target=lambda: answer.update(done=_simulate(api, events=12_000, days=7, seed=1, flowIds=[simulated["id"]]))
    )
    slowest = {"health": 0.0, "flow": 0.0, "ingest": 0.0}
    samples = 0
    health = requests.Session()
    began = datetime.now(UTC)
    running.start()
    try:
        while running.is_alive():
            for name, call in (
                ("health", lambda: health.get(f"{api.base_url}/health", timeout=30)),
                ("flow", lambda: api.get(f"{FLOWS}/{simulated['id']}")),
                ("ingest", lambda n=samples: api.post("{plane}/ingesters/ingester_github/events", json={"n": n})),
            ):
                started = time.perf_counter()
                response = call()
                slowest[name] = max(slowest[name], time.perf_counter() - started)
                assert response.status_code in (200, 202), response.text
            samples += 1
            time.sleep(0.05)
    finally:
        running.join(600)
    ended = datetime.now(UTC)
    assert answer["done"].status_code == 201, answer["done"].text
    assert samples >= 5, "the simulation ended before the requests could be timed against it"
    assert max(slowest.values()) < 1.0, slowest
    # The live deliveries were written between the simulation's chunks, not all before or all after
    # it: an attempt is written when it is made, so some were made while the simulation was writing.
    # (The list is in createdAt order, and the simulated week lies in the past: it lists first.)
    listed = api.all_pages("{plane}/delivery-attempts", limit=250)
    assert sum(a["flowId"] == simulated["id"] for a in listed) == answer["done"].json()["attempts"]
    made = [parse_time(a["createdAt"]) for a in listed if a["flowId"] == live.json()["id"]]
    assert any(began < moment < ended for moment in made), "no live attempt was made while the simulation wrote"


def test_the_history_is_the_same_whatever_the_chunks(api, new_tenant, monkeypatch):
    def history(chunk_rows: int) -> list[tuple]:
        monkeypatch.setattr(simulate_module, "CHUNK_ROWS", chunk_rows)
        tenant = new_tenant()
        tenant.create_flow("fleet-a")
        tenant.create_flow("fleet-b", target="dest_slack_ops_alerts", target_type="slack")
        response = _simulate(tenant, events=3000, days=1, seed=5, failureRate=0.3)
        assert response.status_code == 201, response.text
        flows = {flow["id"]: flow["name"] for flow in tenant.all_pages(FLOWS)}
        return [(flows[row[0]], *row[1:]) for row in _history(tenant)]

    one_transaction = history(10**9)
    chunked = history(500)  # a dozen chunks or more, with retries across their boundaries
    assert len(one_transaction) > 6000
    assert chunked == one_transaction
