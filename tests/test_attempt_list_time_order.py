"""The attempt lists are in ``createdAt`` order (then creation order), on both forms, page after page.

A simulated history lies in the past of the traffic written before it: "oldest first" must list
it first, so that a load split into time windows (``load_attempts(workers=...)``, a history
synced by day) gives the rows of a load from one end to the other, in the same order.
"""

from __future__ import annotations

from deliveries import ATTEMPTS, ingest_ok, make_flow, settled, wait_attempts
from helpers import admin, set_retry_schedule
from v1_api import V1


def _simulate(api, events: int, start: str, days: float = 1, seed: int = 1) -> None:
    body = {"events": events, "days": days, "seed": seed, "failureRate": 0.3, "start": start}
    response = admin(api, "POST", "simulate", json=body)
    assert response.status_code == 201, response.text


def _stamps_and_ids(items: list[dict], created: str = "createdAt") -> list[tuple[str, str]]:
    return [(item[created], item["id"]) for item in items]


def test_a_history_simulated_after_live_traffic_lists_first_on_both_forms(fast):
    api = fast
    make_flow(api, "time-order")
    ingest_ok(api, {"n": 1})
    live = wait_attempts(api, settled(1))
    _simulate(api, 40, "2024-03-01T00:00:00Z")  # written after the live attempt, dated two years before it
    listed = api.all_pages(ATTEMPTS, limit=7)
    assert len(listed) > 40 and listed[-1]["id"] == live[-1]["id"]
    stamps = [item["createdAt"] for item in listed]
    assert stamps == sorted(stamps)
    newest_first = V1(api).all_pages("deliveries", "deliveries", limit=9)
    assert [d["id"] for d in newest_first] == [a["id"] for a in reversed(listed)]


def test_equal_moments_page_by_creation_order_without_a_row_twice_or_skipped(fast):
    api = fast
    make_flow(api, "same-moment")
    set_retry_schedule(api, [0.001])  # so that a short history has room for its retries
    # 5,000 events in 14 minutes: some attempts share their millisecond, a few of them across page ends.
    _simulate(api, 5000, "2024-05-01T00:00:00Z", days=0.01, seed=3)
    whole = api.all_pages(ATTEMPTS, limit=250)
    paged = api.all_pages(ATTEMPTS, limit=7)
    assert [a["id"] for a in paged] == [a["id"] for a in whole]
    assert len({a["id"] for a in paged}) == len(paged)
    keys = [item["createdAt"] for item in paged]
    assert keys == sorted(keys)
    straddling = [n for n in range(7, len(keys), 7) if keys[n - 1] == keys[n]]
    assert straddling, "no two attempts of one millisecond on either side of a page end: the tie-break is untested"


def test_a_cursor_whose_row_is_gone_is_a_400_on_both_forms_never_an_empty_page(fast):
    """The keyset starts past the cursor row's ``createdAt``: once a reset has emptied the list, that
    row is gone, and the cursor is refused as the contract says, not read as the end of the list."""
    api = fast
    make_flow(api, "gone-cursor")
    _simulate(api, 30, "2024-06-01T00:00:00Z")
    recipe = api.get(ATTEMPTS, params={"limit": 5}).json()["nextCursor"]
    v1 = V1(api).get("deliveries", params={"limit": 5}).json()["next_cursor"]
    assert recipe and v1
    reset = admin(api, "POST", "reset")
    assert reset.status_code in (200, 204), reset.text
    for response in (
        api.get(ATTEMPTS, params={"limit": 5, "cursor": recipe}),
        V1(api).get("deliveries", params={"limit": 5, "cursor": v1}),
    ):
        assert response.status_code == 400, response.text
        body = response.json()
        assert "invalid_cursor" in response.text and "reset" in response.text, body
