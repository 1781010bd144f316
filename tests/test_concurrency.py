"""Names are unique per plane under concurrent creates: the database decides, not a check-then-insert."""

from __future__ import annotations

import threading
from collections import Counter

import requests

from helpers import assert_error


def _race(api, bodies: list[dict]) -> list[requests.Response]:
    """POST every body at once from its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    responses: list[requests.Response | None] = [None] * len(bodies)

    def create(index: int) -> None:
        session = requests.Session()
        session.headers.update(api.session.headers)
        barrier.wait(timeout=30)
        responses[index] = session.post(api.url("{plane}/delivery-flows"), json=bodies[index], timeout=60)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(response is not None for response in responses)
    return responses  # type: ignore[return-value]


def test_50_threads_creating_the_same_name_give_one_201_and_49_409(api):
    body = {
        "name": "raced-flow",
        "source": "ingester_stripe",
        "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
    }
    responses = _race(api, [body] * 50)
    assert Counter(response.status_code for response in responses) == {201: 1, 409: 49}
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "flow_name_conflict", "name")
    assert [flow["name"] for flow in api.all_pages("{plane}/delivery-flows")] == ["raced-flow"]


def test_50_threads_with_50_names_all_succeed_with_distinct_ids(api):
    bodies = [
        {
            "name": f"parallel-{n:02d}",
            "source": "ingester_stripe",
            "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
        }
        for n in range(50)
    ]
    responses = _race(api, bodies)
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 50


def test_renaming_two_flows_to_one_name_at_once_lets_exactly_one_win(api):
    first = api.create_flow("first").json()["id"]
    second = api.create_flow("second").json()["id"]
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def rename(flow_id: str) -> None:
        session = requests.Session()
        session.headers.update(api.session.headers)
        barrier.wait(timeout=30)
        url = api.url(f"{{plane}}/delivery-flows/{flow_id}")
        statuses[flow_id] = session.patch(url, json={"name": "same-name"}, timeout=60).status_code

    threads = [threading.Thread(target=rename, args=(flow_id,)) for flow_id in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses.values()) == [200, 409]
    names = sorted(flow["name"] for flow in api.all_pages("{plane}/delivery-flows"))
    assert names in (["first", "same-name"], ["same-name", "second"])
