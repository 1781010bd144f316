"""Simulated traffic limited to named flows: a recipe's analysis never writes onto the user's other flows.

Recipe 07 simulates a week of traffic for the fleet it makes. On a sandbox that a user keeps
(``zen-nb lab``), other recipes leave flows from the same ingesters; they must get no simulated
history, and the fleet's history must be the same whatever else exists.
"""

from __future__ import annotations

import pytest

import zen_nb

from helpers import Api

START = "2026-01-05T00:00:00Z"


def _flow(api: Api, name: str, **kwargs) -> str:
    response = api.create_flow(name, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _simulate(api: Api, **body) -> dict:
    response = api.session.post(f"{api.base_url}/_sandbox/simulate", json={"start": START, **body}, timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


def _attempts_by_flow(api: Api) -> dict[str, int]:
    counts: dict[str, int] = {}
    for attempt in api.all_pages("{plane}/delivery-attempts", limit=250):
        counts[attempt["flowId"]] = counts.get(attempt["flowId"], 0) + 1
    return counts


def test_only_the_named_flows_get_history(api):
    mine = [_flow(api, "fleet-a"), _flow(api, "fleet-b", target="dest_slack_ops_alerts", target_type="slack")]
    other = _flow(api, "users-own-flow")
    report = _simulate(api, events=300, days=2, seed=4, flowIds=mine)
    assert report["flows"] == 2 and report["events"] == 300
    counts = _attempts_by_flow(api)
    assert set(counts) == set(mine) and other not in counts
    assert sum(counts.values()) == report["attempts"]


def test_the_fleets_history_is_the_same_whatever_other_flows_exist(api, new_tenant):
    def fleet_history(tenant: Api, others: int) -> list[tuple]:
        for number in range(others):
            _flow(tenant, f"leftover-{number}")  # a user's flows from the same ingester, made first
        fleet = [
            _flow(tenant, "fleet-a"),
            _flow(tenant, "fleet-b", target="dest_http_orders_webhook", target_type="http"),
        ]
        _simulate(tenant, events=200, days=1, seed=9, failureRate=0.3, flowIds=fleet)
        names = {fleet[0]: "a", fleet[1]: "b"}
        return [
            (names[a["flowId"]], a["attemptNumber"], a["status"], a["responseStatus"], a["latencyMs"], a["createdAt"])
            for a in tenant.all_pages("{plane}/delivery-attempts", limit=250)
        ]

    alone = fleet_history(new_tenant(), others=0)
    crowded = fleet_history(new_tenant(), others=3)
    assert len(alone) > 200 and alone == crowded


@pytest.mark.parametrize(
    ("flow_ids", "status", "code"),
    [
        (["flow_doesnotexist"], 404, "flow_not_found"),
        ([], 400, "invalid_field"),
        ("not-a-list", 400, "invalid_field"),
    ],
)
def test_unknown_or_malformed_flow_ids_are_refused_and_write_nothing(api, flow_ids, status, code):
    _flow(api, "fleet-a")
    response = api.session.post(
        f"{api.base_url}/_sandbox/simulate", json={"events": 10, "start": START, "flowIds": flow_ids}, timeout=30
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert _attempts_by_flow(api) == {}


def test_a_paused_flow_is_refused_with_the_fix(api):
    flow = _flow(api, "fleet-a")
    assert api.post(f"{{plane}}/delivery-flows/{flow}/pause").status_code == 200
    response = api.session.post(
        f"{api.base_url}/_sandbox/simulate", json={"events": 10, "start": START, "flowIds": [flow]}, timeout=30
    )
    assert response.status_code == 400
    assert "resume it" in response.json()["message"]


def test_a_flow_on_another_plane_than_the_named_plane_is_not_found(api):
    flow = _flow(api, "fleet-a")
    response = api.session.post(
        f"{api.base_url}/_sandbox/simulate",
        json={"events": 10, "start": START, "flowIds": [flow], "planeId": "plane_prod_eu_west_1"},
        timeout=30,
    )
    assert response.status_code == 404 and response.json()["field"] == "flowIds"


def test_the_client_passes_flows_across_planes(api):
    client = zen_nb.ZenClient(zen_nb.ZenConfig(environ=api.box.env()))
    here = client.create_flow("fleet-here", "ingester_stripe", {"id": "dest_stripe_prod_us_east_1", "type": "stripe"})
    there = client.create_flow(
        "fleet-there",
        "ingester_stripe",
        {"id": "dest_stripe_prod_eu_west_1", "type": "stripe"},
        plane="plane_prod_eu_west_1",
    )
    client.create_flow("users-own", "ingester_stripe", {"id": "dest_stripe_prod_us_east_1", "type": "stripe"})
    report = client.simulate_traffic(events=50, days=1, start=START, flows=[here, there.id])
    assert report["flows"] == 2
    seen = {a.flow_id for a in client.iter_attempts()} | {
        a.flow_id for a in client.iter_attempts(plane="plane_prod_eu_west_1")
    }
    assert seen == {here.id, there.id}
