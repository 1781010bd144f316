"""``load_flows`` and ``load_attempts`` under injected faults return exactly a clean run's rows
(issue 17, item 3).

A sandbox of this module's own holds about 600 flows and 4,000 delivery attempts (simulated
traffic), so that a load is many pages. Each frame is read once with no fault in force, then
again while the sandbox fails about 30 % of the GETs on purpose (503 and 429, dropped
connections, and answers slowed down, some beyond the client's read timeout): the frames are
``equals``, row for row and dtype for dtype. A page whose answer is lost is fetched again by
the client's own retries; a page must never be skipped or read twice. Where a page's five
tries are all faulted, the loader fetches that page again from its cursor (``Transport.page``)
rather than raising: one load, never a start over. Each rule's hits are asserted, so every kind
of fault did fire, and so is that a page was fetched again.

A loader reads one page after another and the rules are seeded: the run repeats request for request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from zen_nb import ZenClient, ZenConfig
from zen_nb import sandbox as sandbox_pkg
from zen_nb.frames import load_attempts, load_flows

from helpers import Api, admin_post
from reliability import private_sandbox, rule

GETS = "/tenants/**"  # every GET of the tenant's API: lists of planes, flows and attempts alike
FLOWS_MADE = 600
TRAFFIC_FLOWS = 10  # the flows that exist when traffic is simulated: each event goes to each of them
EVENTS = 400
TIMEOUT = (5.0, 1.0)  # (connect, read) seconds: the slow rule's answers come after the read timeout


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sandbox_pkg.Sandbox]:
    """A private sandbox with many pages of flows and attempts (made with no fault in force).

    Simulated traffic delivers each event to every active flow: it is written while only the
    first :data:`TRAFFIC_FLOWS` flows exist, and the others are made after it.
    """
    with private_sandbox(tmp_path_factory.mktemp("reliability-loads")) as box:
        api = Api(box)
        for number in range(FLOWS_MADE):
            if number == TRAFFIC_FLOWS:
                body = {"tenantId": box.tenant_id, "planeId": box.plane_id, "events": EVENTS, "days": 3, "seed": 17}
                response = admin_post(box, "simulate", json={**body, "failureRate": 0.3, "start": "2026-01-01"})
                assert response.status_code == 201, response.text
            response = api.create_flow(f"load-{number:04d}", description=f"flow {number}" if number % 3 else None)
            assert response.status_code == 201, response.text
            if number % 5 == 4:
                assert api.post(f"{{plane}}/delivery-flows/{response.json()['id']}/pause").status_code == 200
        yield box


@pytest.fixture(scope="module")
def zen(box: sandbox_pkg.Sandbox) -> Iterator[ZenClient]:
    """The demo tenant's client as a user builds it (default retries), with a short read timeout."""
    with ZenClient(ZenConfig(environ=box.env()), timeout=TIMEOUT) as client:
        yield client


def get_faults(seed: int) -> dict[str, dict[str, Any]]:
    """About 30 % of the GETs faulted: 503, 429, drops and slow answers (a few past the read timeout)."""
    rules = {
        "503": rule("503", 0.08, seed + 1, methods=["GET"], path=GETS),
        "429": rule("429", 0.08, seed + 2, methods=["GET"], path=GETS),
        "drop": rule("drop", 0.08, seed + 3, methods=["GET"], path=GETS),
        "slow": rule("latency", 0.07, seed + 4, methods=["GET"], path=GETS, latencyMs=10, latencySpreadMs=90),
        "past-timeout": rule("latency", 0.02, seed + 5, methods=["GET"], path=GETS, latencyMs=1500),
    }
    return rules


LOADS = {
    "flows": lambda client: load_flows(client, progress=False),
    "paused flows": lambda client: load_flows(client, status="paused", progress=False),
    "flows of every plane": lambda client: load_flows(client, planes="all", progress=False),
    "attempts": lambda client: load_attempts(client, progress=False),
    "failed attempts": lambda client: load_attempts(client, status="failed", progress=False),
}


def test_the_loads_under_30_percent_faults_on_gets_equal_a_clean_run(box, zen, caplog):
    clean = {name: load(zen) for name, load in LOADS.items()}
    assert len(clean["flows"]) >= FLOWS_MADE and len(clean["attempts"]) > 3000  # many pages each
    assert 0 < len(clean["paused flows"]) < len(clean["flows"]) <= len(clean["flows of every plane"])

    rules = get_faults(seed=500)
    with caplog.at_level(logging.INFO, logger="zen_nb.transport"), box.faults(*rules.values()) as faults:
        faulted = {name: load(zen) for name, load in LOADS.items()}  # no load raises, none starts over
        hits = dict(zip(rules, (found["hits"] for found in faults.rules), strict=True))
    resumed = [record for record in caplog.records if "fetching it again" in record.getMessage()]
    assert resumed, "no page ran out of its tries: the seed no longer tests a page fetched again"

    for name, frame in faulted.items():
        pd.testing.assert_frame_equal(frame, clean[name], check_exact=True, obj=name)
        assert frame.equals(clean[name]), name
    assert all(count > 0 for count in hits.values()), hits
    pages = sum(-(-len(frame) // 250) for frame in clean.values())
    assert sum(hits.values()) >= 0.15 * pages, (hits, pages)
