"""Cursors (issue 12, contract section 3): bound to the list that issued them, any other text a 400.

Every list is covered: planes, adapters, ingesters, targets, flows and delivery attempts, with
their filters. A cursor is made up, or taken from another list (another resource, plane, filter
value or tenant); either way the answer is 400 ``invalid_cursor`` on the field ``cursor``, never a
500 and never a quietly empty page.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from zen_nb.sandbox.errors import ApiError
from zen_nb.sandbox.pagination import decode_cursor, encode_cursor, list_key

from helpers import Api, admin_post, assert_error, list_items

OTHER_PLANE = "plane_prod_eu_west_1"
KEY = list_key("flows", "tenant_demo", "plane_dev_us_east_1")
# Text that looks like a cursor and is none, each for a reason.
MADE_UP = [
    "",
    "x",
    "not a cursor",
    "%%%",
    "\x00",
    "curseur-été",
    "😀",
    "=" * 8,
    base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
    base64.urlsafe_b64encode(b"after:5").decode().rstrip("="),  # the format before cursors had a list
    base64.urlsafe_b64encode(f"{KEY}:{10**30}".encode()).decode().rstrip("="),  # past SQLite's integers
    base64.urlsafe_b64encode(f"{KEY}:-1".encode()).decode().rstrip("="),
    base64.urlsafe_b64encode(f"{KEY}:007".encode()).decode().rstrip("="),  # a second spelling of 7
    base64.urlsafe_b64encode(f"{KEY}:77".encode()).decode(),  # with padding: issued cursors have none
    base64.urlsafe_b64encode(f"{KEY.upper()}:7".encode()).decode().rstrip("="),
    base64.urlsafe_b64encode(f"{KEY}:7:8".encode()).decode().rstrip("="),
    encode_cursor(7, KEY) + "!",  # base64 would skip the '!'
    encode_cursor(7, KEY) * 10,
    "A" * 10_000,
]


def _is_invalid_cursor(error: ApiError) -> bool:
    return error.status == 400 and error.code == "invalid_cursor" and error.field == "cursor"


@given(st.text())
@example("")
@settings(max_examples=2000)
def test_decode_cursor_reads_only_its_own_cursors_and_refuses_any_other_text(text):
    try:
        position = decode_cursor(text, KEY)
    except ApiError as error:
        assert _is_invalid_cursor(error), (error.status, error.code, error.field)
    else:
        assert text == encode_cursor(position, KEY)


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_every_issued_cursor_decodes_to_its_position(position):
    assert decode_cursor(encode_cursor(position, KEY), KEY) == position


@pytest.mark.parametrize("text", MADE_UP)
def test_decode_cursor_refuses_made_up_cursors(text):
    with pytest.raises(ApiError) as raised:
        decode_cursor(text, KEY)
    assert _is_invalid_cursor(raised.value)
    assert "not one this API returned" in raised.value.message


def test_a_cursor_of_another_list_is_refused_as_such():
    other = list_key("flows", "tenant_demo", "plane_dev_us_east_1", status="paused")
    with pytest.raises(ApiError) as raised:
        decode_cursor(encode_cursor(7, other), KEY)
    assert _is_invalid_cursor(raised.value)
    assert "belongs to another list" in raised.value.message


def test_the_list_key_keeps_lists_apart():
    keys = {
        list_key("flows", "tenant_demo", "plane_dev_us_east_1"),
        list_key("targets", "tenant_demo", "plane_dev_us_east_1"),
        list_key("flows", "tenant_demo", OTHER_PLANE),
        list_key("flows", "tenant_other", "plane_dev_us_east_1"),
        list_key("flows", "tenant_demo", "plane_dev_us_east_1", status="active"),
        list_key("flows", "tenant_demo", "plane_dev_us_east_1", status="paused"),
        list_key("flows", "tenant_demo", "plane_dev_us_east_1", source="active"),
    }
    assert len(keys) == 7
    # A filter left out and a filter given as None are one list.
    assert list_key("flows", "t", "p", status=None) == list_key("flows", "t", "p")


@dataclass
class Listing:
    """One list endpoint: its path (``{plane}`` is replaced) and the filters it is read with."""

    name: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)

    def url_path(self, plane: str) -> str:
        return self.path.replace("{plane}", f"clusters/{plane}")


def _make_history(api: Api) -> dict[str, Any]:
    """Flows of two sources and two statuses on the demo plane, and simulated delivery attempts."""
    flows = []
    for number, (source, target, kind) in enumerate(
        [
            ("ingester_stripe", "dest_stripe_prod_us_east_1", "stripe"),
            ("ingester_stripe", "dest_http_orders_webhook", "http"),
            ("ingester_github", "dest_slack_ops_alerts", "slack"),
            ("ingester_github", "dest_s3_audit_log", "s3"),
        ]
    ):
        response = api.create_flow(f"cursor-flow-{number}", source=source, target=target, target_type=kind)
        assert response.status_code == 201, response.text
        flows.append(response.json())
    paused = api.create_flow("cursor-flow-paused", status="paused")
    assert paused.status_code == 201, paused.text
    simulated = admin_post(api, "simulate", json={"events": 30, "days": 1, "seed": 12, "failureRate": 0.5})
    assert simulated.status_code == 201, simulated.text
    attempts = api.all_pages("{plane}/delivery-attempts")
    assert len({attempt["status"] for attempt in attempts}) > 1, attempts[:3]
    middle = sorted(attempt["createdAt"] for attempt in attempts)[len(attempts) // 2]
    return {"flow": flows[0]["id"], "event": attempts[0]["eventId"], "middle": middle}


def _listings(history: dict[str, Any]) -> list[Listing]:
    return [
        Listing("planes", "clusters"),
        Listing("adapters", "{plane}/adapters"),
        Listing("ingesters", "{plane}/ingesters"),
        Listing("targets", "{plane}/targets"),
        Listing("targets of a type", "{plane}/targets", {"type": "http"}),
        Listing("flows", "{plane}/delivery-flows"),
        Listing("active flows", "{plane}/delivery-flows", {"status": "active"}),
        Listing("flows of a source", "{plane}/delivery-flows", {"source": "ingester_github"}),
        Listing("flows to a target type", "{plane}/delivery-flows", {"targetType": "stripe"}),
        Listing("attempts", "{plane}/delivery-attempts"),
        Listing("attempts of a flow", "{plane}/delivery-attempts", {"flowId": history["flow"]}),
        Listing("failed attempts", "{plane}/delivery-attempts", {"status": "failed"}),
        Listing("attempts since", "{plane}/delivery-attempts", {"since": history["middle"]}),
        Listing("attempts until", "{plane}/delivery-attempts", {"until": history["middle"]}),
    ]


def _first_cursor(api: Api, listing: Listing, plane: str | None = None) -> str:
    response = api.get(listing.url_path(plane or api.plane_id), params={**listing.params, "limit": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hasMore"], f"{listing.name}: one page only, no cursor to test with"
    return body["nextCursor"]


@pytest.fixture
def history(api: Api) -> dict[str, Any]:
    return _make_history(api)


def test_every_list_pages_with_its_own_cursors_whatever_the_page_size(api, history):
    """The same list, pages of 1, then 2, then 3, ...: every item once, in order, as in one page."""
    for listing in _listings(history):
        path = listing.url_path(api.plane_id)
        whole = api.get(path, params={**listing.params, "limit": 250}).json()
        assert not whole["hasMore"], listing.name
        items, cursor, size = [], None, 1
        while True:
            params = {**listing.params, "limit": size, **({"cursor": cursor} if cursor else {})}
            response = api.get(path, params=params)
            assert response.status_code == 200, (listing.name, response.text)
            body = response.json()
            items += list_items(body)
            if not body["hasMore"]:
                break
            cursor, size = body["nextCursor"], size + 1
        assert items == list_items(whole), listing.name
        assert size > 1, f"{listing.name}: a single page"


def test_a_cursor_used_on_any_other_list_is_refused(api, history):
    """Each list's cursor on every other list, and on the same list of the other plane."""
    listings = _listings(history)
    cursors = {listing.name: _first_cursor(api, listing) for listing in listings}
    for issuer in listings:
        for user in listings:
            if user is issuer:
                continue
            params = {**user.params, "cursor": cursors[issuer.name]}
            response = api.get(user.url_path(api.plane_id), params=params)
            error = assert_error(response, 400, "invalid_cursor", "cursor")
            assert "belongs to another list" in error["message"], (issuer.name, user.name, error)
        if issuer.path.startswith("{plane}"):
            response = api.get(issuer.url_path(OTHER_PLANE), params={**issuer.params, "cursor": cursors[issuer.name]})
            error = assert_error(response, 400, "invalid_cursor", "cursor")
            assert "belongs to another list" in error["message"], (issuer.name, "other plane", error)


def test_a_cursor_of_another_filter_value_is_refused(api, history):
    cursor = _first_cursor(api, Listing("stripe flows", "{plane}/delivery-flows", {"targetType": "stripe"}))
    response = api.get("{plane}/delivery-flows", params={"targetType": "http", "cursor": cursor})
    assert "belongs to another list" in assert_error(response, 400, "invalid_cursor", "cursor")["message"]
    cursor = _first_cursor(api, Listing("failed", "{plane}/delivery-attempts", {"status": "failed"}))
    response = api.get("{plane}/delivery-attempts", params={"status": "succeeded", "cursor": cursor})
    assert "belongs to another list" in assert_error(response, 400, "invalid_cursor", "cursor")["message"]


def test_a_cursor_of_another_tenant_is_refused(api, new_tenant):
    cursor = _first_cursor(api, Listing("targets", "{plane}/targets"))
    other = new_tenant()
    response = other.get("{plane}/targets", params={"cursor": cursor})
    assert "belongs to another list" in assert_error(response, 400, "invalid_cursor", "cursor")["message"]


@pytest.mark.parametrize("text", MADE_UP)
@pytest.mark.parametrize("path", ["clusters", "{plane}/targets", "{plane}/delivery-flows", "{plane}/delivery-attempts"])
def test_a_made_up_cursor_is_a_400_on_every_list(api, path, text):
    assert_error(api.get(path, params={"cursor": text}), 400, "invalid_cursor", "cursor")


# Query strings carry UTF-8; a lone surrogate cannot be sent at all.
SENDABLE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@given(text=SENDABLE_TEXT)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_as_a_cursor_is_a_400_never_a_500(api, text):
    assert_error(api.get("{plane}/delivery-flows", params={"cursor": text}), 400, "invalid_cursor", "cursor")
