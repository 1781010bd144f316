"""Lists: the envelope, keyset cursors, limits and filters (contract section 3)."""

from __future__ import annotations

import threading

import requests


def _create_many(api, prefix: str, count: int) -> list[str]:
    ids = []
    for number in range(count):
        response = api.create_flow(f"{prefix}-{number:05d}")
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_envelope_of_an_empty_and_a_short_list(api):
    body = api.get("{plane}/delivery-flows").json()
    assert body == {"deliveryFlows": [], "hasMore": False, "nextCursor": None, "total": 0}
    _create_many(api, "flow", 3)
    body = api.get("{plane}/delivery-flows", params={"limit": 3}).json()
    assert len(body["deliveryFlows"]) == 3 and body["hasMore"] is False and body["nextCursor"] is None


def test_default_limit_is_50(api):
    _create_many(api, "flow", 51)
    body = api.get("{plane}/delivery-flows").json()
    assert len(body["deliveryFlows"]) == 50 and body["hasMore"] is True and isinstance(body["nextCursor"], str)


def test_1000_flows_paged_by_7_come_back_once_each_in_creation_order(api):
    created = _create_many(api, "paged", 1000)
    listed = api.all_pages("{plane}/delivery-flows", limit=7)
    assert [flow["id"] for flow in listed] == created


def test_paging_while_flows_are_being_created(api):
    """Flows created during the paging land after the cursor: the first 1,000 come back once each, in order."""
    created = _create_many(api, "before", 1000)
    stop = threading.Event()
    during: list[str] = []

    def keep_creating() -> None:
        session = requests.Session()
        session.headers.update(api.session.headers)
        number = 0
        while not stop.is_set():
            body = {
                "name": f"during-{number:05d}",
                "source": "ingester_github",
                "target": {"id": "dest_slack_ops_alerts", "type": "slack"},
            }
            response = session.post(api.url("{plane}/delivery-flows"), json=body, timeout=30)
            assert response.status_code == 201, response.text
            during.append(response.json()["id"])
            number += 1

    writer = threading.Thread(target=keep_creating)
    writer.start()
    try:
        pages: list[dict] = []
        cursor = None
        while True:
            params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
            body = api.get("{plane}/delivery-flows", params=params).json()
            pages += body["deliveryFlows"]
            if not body["hasMore"]:
                break
            cursor = body["nextCursor"]
    finally:
        stop.set()
        writer.join(timeout=30)
    assert during, "the writer created nothing while the pages were read"
    listed = [flow["id"] for flow in pages]
    assert len(listed) == len(set(listed)), "a flow came back twice"
    assert listed[:1000] == created
    # Whatever was created during the paging and listed, is listed in creation order after them.
    tail = listed[1000:]
    assert tail == during[: len(tail)]


def test_every_list_pages_the_same_way(api):
    for path, key in (
        ("clusters", "clusters"),
        ("{plane}/adapters", "adapters"),
        ("{plane}/ingesters", "ingesters"),
        ("{plane}/destinations", "destinations"),
        ("{plane}/targets", "destinations"),
    ):
        whole = api.get(path, params={"limit": 250}).json()[key]
        assert whole, path
        assert api.all_pages(path, limit=1) == whole, path


def test_filters_by_status_source_and_target_type(api):
    a = api.create_flow("a-stripe").json()
    b = api.create_flow(
        "b-http", source="ingester_github", target="dest_http_orders_webhook", target_type="http"
    ).json()
    c = api.create_flow("c-slack", target="dest_slack_payments_alerts", target_type="slack").json()
    assert api.post(f"{{plane}}/delivery-flows/{c['id']}/pause").status_code == 200

    def names(**params):
        return [flow["name"] for flow in api.all_pages("{plane}/delivery-flows", **params)]

    assert names(status="paused") == ["c-slack"]
    assert names(status="active") == ["a-stripe", "b-http"]
    assert names(source="ingester_github") == ["b-http"]
    assert names(targetType="http") == ["b-http"]
    assert names(targetType="stripe", status="active") == ["a-stripe"]
    assert names(source="ingester_none") == []
    assert a["id"] != b["id"]


def test_filters_hold_across_pages(api):
    for number in range(30):
        target = ("dest_s3_audit_log", "s3") if number % 3 == 0 else ("dest_stripe_prod_us_east_1", "stripe")
        assert api.create_flow(f"f-{number:02d}", target=target[0], target_type=target[1]).status_code == 201
    s3 = api.all_pages("{plane}/delivery-flows", targetType="s3", limit=2)
    assert [flow["name"] for flow in s3] == [f"f-{n:02d}" for n in range(0, 30, 3)]


def test_targets_filter_by_type(api):
    types = {target["type"] for target in api.all_pages("{plane}/targets", type="slack")}
    assert types == {"slack"}
