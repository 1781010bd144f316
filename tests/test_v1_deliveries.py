"""v1 deliveries (``/v1/tenants/{t}/deliveries``): the recipe form's attempts, newest first, with the
v1 status words and the DLQ view (``status=failed``), pages of 20 by default and at most 100,
cursors bound to their list, and a page that stays fast on a history of 100,000 attempts."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.data import attempts as attempt_rows
from zen_nb.sandbox.data import flows as flow_rows
from zen_nb.sandbox.data.deliveries import MAX_QUEUED_PER_TENANT, queue_event
from zen_nb.sandbox.data.v1_deliveries import deliveries_query
from zen_nb.sandbox.pagination import MAX_POSITION
from zen_nb.sandbox.server import open_store

from deliveries import ATTEMPTS, STRIPE, http_target, ingest_ok, make_flow, wait_attempts
from helpers import Api, admin, assert_problem, set_outcome, set_retry_schedule, wait_until
from v1_api import DELIVERY_KEYS, V1


def simulate(api: Api, events: int, seed: int = 1, start: str = "2024-03-01T00:00:00Z") -> None:
    body = {"events": events, "days": 1, "seed": seed, "failureRate": 0.2, "start": start}
    response = admin(api, "POST", "simulate", json=body)
    assert response.status_code == 201, response.text


def test_a_delivery_is_the_recipe_forms_attempt_in_snake_case(fast):
    v1 = V1(fast)
    flow = make_flow(fast, "shape")
    event = ingest_ok(fast)["id"]
    (attempt,) = wait_attempts(fast, lambda got: len(got) == 1 and got[0]["status"] == "succeeded", eventId=event)
    (delivery,) = v1.deliveries(event_id=event)
    assert set(delivery) == DELIVERY_KEYS, delivery
    assert delivery == {
        "id": attempt["id"],
        "event_id": event,
        "destination_id": STRIPE[0],
        "flow_id": flow["id"],
        "cluster_id": fast.plane_id,
        "status": "delivered",
        "response_code": attempt["responseStatus"],
        "attempt_number": 1,
        "trigger": "initial",
        "attempted_at": attempt["createdAt"],
        "latency_ms": attempt["latencyMs"],
        "error_code": None,
        "error_message": None,
    }
    assert v1.get(f"deliveries/{attempt['id']}").json() == delivery
    assert_problem(v1.get("deliveries/att_nope"), 404, "attempt_not_found")


def test_failed_is_retrying_while_a_retry_follows_and_failed_in_the_dlq_once_none_will(fast):
    """``fast`` allows 4 attempts: the first three failures are retrying, the fourth is the DLQ's."""
    v1 = V1(fast)
    flow = make_flow(fast, "always-fails")
    set_outcome(fast, STRIPE[0], successRate=0.0, failures=[503])
    event = ingest_ok(fast)["id"]
    wait_attempts(fast, lambda got: len(got) == 4 and all(a["status"] == "failed" for a in got), eventId=event)
    history = v1.deliveries(event_id=event)
    assert [(d["attempt_number"], d["status"]) for d in history] == [
        (4, "failed"),
        (3, "retrying"),
        (2, "retrying"),
        (1, "retrying"),
    ]
    assert history[0]["error_message"] == "the destination answered HTTP 503"
    (dlq,) = v1.deliveries(status="failed", flow_id=flow["id"])
    assert dlq["id"] == history[0]["id"]
    assert [d["attempt_number"] for d in v1.deliveries(status="retrying", event_id=event)] == [3, 2, 1]
    # A manual retry on the recipe form takes the last one out of the DLQ: it is followed now.
    assert fast.post(f"{ATTEMPTS}/{dlq['id']}/retry").status_code == 202
    wait_attempts(fast, lambda got: len(got) == 5 and got[-1]["status"] == "failed", eventId=event)
    assert v1.get(f"deliveries/{dlq['id']}").json()["status"] == "retrying"
    assert [d["attempt_number"] for d in v1.deliveries(status="failed", event_id=event)] == [5]


def test_a_failure_whose_retry_is_scheduled_is_retrying_and_an_unanswered_attempt_pending(api, hook):
    v1 = V1(api)
    set_retry_schedule(api, [600])  # the retry is queued, due in 10 minutes
    make_flow(api, "slow-retry")
    set_outcome(api, STRIPE[0], successRate=0.0, failures=[500])
    event = ingest_ok(api)["id"]
    wait_attempts(api, lambda got: len(got) == 1 and got[0]["status"] == "failed", eventId=event)
    assert [d["status"] for d in v1.deliveries(event_id=event)] == ["retrying"]
    assert v1.deliveries(status="failed", event_id=event) == []
    # An http target that has not answered yet: its attempt is pending.
    hook.gate = __import__("threading").Event()
    target = http_target(api, "gated", hook.url)
    make_flow(api, "gated-flow", target, source="ingester_github")
    gated = ingest_ok(api, ingester="ingester_github")["id"]
    assert hook.arrived.wait(10)
    assert [d["status"] for d in v1.deliveries(event_id=gated)] == ["pending"], v1.deliveries(event_id=gated)
    assert [d["event_id"] for d in v1.deliveries(status="pending")] == [gated]
    hook.gate.set()
    wait_until(lambda: v1.deliveries(event_id=gated), lambda got: got[0]["status"] == "delivered", 10, "delivered")


def test_pages_are_20_by_default_at_most_100_and_limits_beyond_are_400(api):
    v1 = V1(api)
    make_flow(api, "traffic")
    simulate(api, 120)
    body = v1.get("deliveries").json()
    assert len(body["deliveries"]) == 20 and body["has_more"] is True and body["next_cursor"]
    assert len(v1.get("deliveries", params={"limit": 100}).json()["deliveries"]) == 100
    for bad in (101, 0, -1, "x"):
        problem = assert_problem(v1.get("deliveries", params={"limit": bad}), 400, "invalid_field", field="limit")
        assert "from 1 to 100" in problem["detail"], problem  # v1's own bound, not the recipe form's 250
    assert_problem(v1.get("deliveries", params={"status": "exhausted"}), 400, "invalid_field", field="status")


def test_newest_first_and_stable_while_deliveries_are_inserted(api):
    v1 = V1(api)
    make_flow(api, "traffic")
    simulate(api, 60)
    before = v1.deliveries()
    seen, cursor = [], None
    while True:
        page = v1.get("deliveries", params={"limit": 7, **({"cursor": cursor} if cursor else {})}).json()
        seen += page["deliveries"]
        # newer attempts (later in time: the list is in createdAt order) arrive between two pages
        simulate(api, 5, seed=len(seen), start="2024-04-01T00:00:00Z")
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert [d["id"] for d in seen] == [d["id"] for d in before]  # none twice, none skipped
    recipe = api.all_pages(ATTEMPTS, limit=250)
    assert [d["id"] for d in before] == [a["id"] for a in reversed(recipe)][len(recipe) - len(before) :]
    assert v1.deliveries()[0]["id"] == recipe[-1]["id"]  # the newest, on top


def test_a_cursor_is_bound_to_its_list(api):
    v1 = V1(api)
    make_flow(api, "traffic")
    simulate(api, 40)
    cursor = v1.get("deliveries", params={"limit": 5, "status": "delivered"}).json()["next_cursor"]
    assert v1.get("deliveries", params={"cursor": cursor, "status": "delivered"}).status_code == 200
    for other in ({}, {"status": "failed"}, {"cluster_id": "plane_prod_eu_west_1", "status": "delivered"}):
        assert_problem(v1.get("deliveries", params={"cursor": cursor, **other}), 400, "invalid_cursor", field="cursor")
    assert_problem(v1.get("destinations", params={"cursor": cursor}), 400, "invalid_cursor")
    recipe_cursor = api.get(ATTEMPTS, params={"limit": 5}).json()["nextCursor"]
    assert_problem(v1.get("deliveries", params={"cursor": recipe_cursor}), 400, "invalid_cursor")


def test_filters_by_time_window_under_either_name_and_by_plane(api):
    v1 = V1(api)
    make_flow(api, "traffic")
    simulate(api, 50)
    every = v1.deliveries()
    middle = sorted(d["attempted_at"] for d in every)[len(every) // 2]
    since = v1.deliveries(since=middle)
    assert since == v1.deliveries(**{"from": middle}) and since
    assert all(d["attempted_at"] >= middle for d in since)
    until = v1.deliveries(until=middle)
    assert until == v1.deliveries(to=middle) and len(since) + len(until) == len(every)
    assert v1.deliveries(cluster_id="plane_prod_eu_west_1") == []
    assert v1.deliveries(since=middle, **{"from": "2024-01-01T00:00:00Z"}) == since  # both hold: the later
    assert v1.deliveries(until=middle, to="2099-01-01T00:00:00Z") == until  # both hold: the earlier
    assert_problem(v1.get("deliveries", params={"since": "yesterday"}), 400, "invalid_field", field="since")
    assert_problem(v1.get("deliveries", params={"to": "soon"}), 400, "invalid_field", field="to")


HISTORY = 100_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sandbox_pkg.Sandbox, Path]]:
    """A sandbox on a database of :data:`HISTORY` attempts of one flow (one in twenty failed, half of
    those retried) and a full queue of deliveries it holds (paused), written through the data layer
    before the sandbox starts; the sandbox and its database file."""
    path: Path = tmp_path_factory.mktemp("big") / "sandbox.db"
    store = open_store(path)
    rng = random.Random(7)
    plane, target = "plane_dev_us_east_1", STRIPE[0]
    rows = []
    with store.transaction() as db:
        flow_rows.insert_flow(
            db, "tenant_demo", plane, "flow_big", name="big", source="ingester_stripe", description=None,
            status="paused", target_ids=[target],
        )  # fmt: skip
        while len(rows) < HISTORY:
            event, number = f"evt_big_{len(rows):07d}", 1
            while True:
                failed = rng.random() < 0.05
                answer = (not failed, 503 if failed else 200, None, 90)
                row = attempt_rows.finished_attempt(
                    "tenant_demo", plane, "flow_big", event, target, number, answer, "2024-03-01T00:00:00.000Z"
                )
                rows.append((*row[:2], f"att_big_{len(rows):07d}", *row[3:]))  # ids in order: a quick bulk insert
                if not failed or rng.random() < 0.5:
                    break
                number += 1
        attempt_rows.insert_attempts(db, rows)
        # A full queue held by the paused flow (a tenant's most): each failed attempt's status looks
        # for its delivery among them.
        for number in range(MAX_QUEUED_PER_TENANT):
            queue_event(db, "tenant_demo", plane, "ingester_stripe", f"evt_held_{number:05d}")
    store.close()
    with sandbox_pkg.start(port=0, db=path, rate_limit=(1_000_000, 1)) as box:
        yield box, path


@pytest.mark.slow
@pytest.mark.parametrize("status", [None, "delivered", "failed", "retrying", "pending"])
def test_a_page_stays_fast_on_100000_attempts(big, status):
    v1 = V1(Api(big[0]))
    params = {"limit": 100, **({"status": status} if status else {})}
    assert v1.get("deliveries", params=params).status_code == 200  # warm: the first read of the file
    started = time.monotonic()
    body = v1.get("deliveries", params=params).json()
    took = time.monotonic() - started
    assert took < 2.0, f"a page of status={status} took {took:.2f} s"
    if status != "pending":
        assert len(body["deliveries"]) == 100 and body["has_more"]
    if status is not None:
        assert {d["status"] for d in body["deliveries"]} <= {status}
    if body["next_cursor"]:
        following = v1.get("deliveries", params={**params, "cursor": body["next_cursor"]}).json()
        assert following["deliveries"][0]["id"] != body["deliveries"][-1]["id"]


@pytest.mark.parametrize("status", [None, "delivered", "failed", "retrying", "pending"])
@pytest.mark.parametrize("plane", [None, "plane_dev_us_east_1"])
def test_every_page_query_walks_an_index_and_seeks_each_status(big, status, plane):
    """The timing above on a quiet machine, for each index missing: without ``attempts_by_tenant`` a
    page sorts the whole history (seconds); without ``deliveries_by_delivery`` the DLQ view reads the
    queue for every failed attempt (a second). The plan names both, and sorts nothing."""
    plan_of = sqlite3.connect(f"file:{big[1]}?mode=ro", uri=True)
    sql, params = deliveries_query("tenant_demo", MAX_POSITION, 100, status=status, plane_id=plane)
    plan = " | ".join(row[3] for row in plan_of.execute("EXPLAIN QUERY PLAN " + sql, params))
    plan_of.close()
    assert "SCAN" not in plan and "TEMP B-TREE" not in plan and "AUTOMATIC" not in plan, plan  # seeks only
    assert ("attempts_by_plane" if plane else "attempts_by_tenant") in plan, plan
    if status in ("failed", "retrying"):
        assert "deliveries_by_delivery" in plan and "attempts_numbered" in plan, plan
