"""The client's two forms of the API (``zen_nb.dialects``): chosen by ``ZEN_API_BASE``, equal in what they give.

Against the session's sandbox, which serves the recipe form at its base and v1 under ``/v1`` over
the same data: flows and targets made in one form are read in the other, equal; a simulated
history loads into equal frames. Against small local servers (``helpers.serving``): what a real v1
service may do that the sandbox does not (newest first, unknown filters ignored, no planes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import zen_nb
from zen_nb import ZenClient, ZenConfig, dialects
from zen_nb.errors import FlowNotFound, FormNotSupported, TargetNotFound, ZenConfigError

from forms import FORMS, client_in
from helpers import Api, serving, set_outcome, set_retry_schedule, url_of, wait_until

PLANE = "plane_dev_us_east_1"
OTHER_PLANE = "plane_prod_eu_west_1"
STRIPE = "dest_stripe_prod_us_east_1"


@pytest.fixture(params=FORMS)
def form(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def both(api: Api) -> Iterator[tuple[ZenClient, ZenClient]]:
    """A recipe-form client and a v1 client of the same tenant, on the same sandbox."""
    with client_in(api, "recipe") as recipe, client_in(api, "v1") as v1:
        yield recipe, v1


def other(clients: tuple[ZenClient, ZenClient], form: str) -> tuple[ZenClient, ZenClient]:
    """``(the client of form, the client of the other form)``."""
    recipe, v1 = clients
    return (recipe, v1) if form == "recipe" else (v1, recipe)


# -- choosing the form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "given", "expected"),
    [
        ("https://api.zen-mesh.io", None, "recipe"),
        ("https://api.zen-mesh.io/v1", None, "v1"),
        ("https://api.zen-mesh.io/v1/", None, "v1"),
        ("https://api.zen-mesh.io/v1", "recipe", "recipe"),
        ("https://api.zen-mesh.io", "v1", "v1"),
        ("https://api.zen-mesh.io/v10", None, "recipe"),
    ],
)
def test_the_form_is_chosen_by_the_base_or_given(base, given, expected):
    env = {"ZEN_API_BASE": base, "ZEN_API_TOKEN": "t0ken-x", "ZEN_TENANT_ID": "t", "ZEN_PLANE_ID": "p"}
    env["ZEN_ADAPTER_ID"] = "a"
    with ZenClient(ZenConfig(environ=env), dialect=given) as client:
        assert client.dialect.name == expected
        assert f"dialect={expected}" in repr(client)
        # v1 paths are under /v1 of the host's root, whichever way the form was chosen; the recipe form's under the base
        root = "https://api.zen-mesh.io" if expected == "v1" else base.rstrip("/")
        under = "/v1" if expected == "v1" else ""
        assert client._http.url("/delivery-flows") == f"{root}{under}/tenants/t/delivery-flows"
        assert client._http.url("/_sandbox/simulate", under_tenant=False) == f"{root}/_sandbox/simulate"


def test_an_unknown_form_is_a_config_error():
    with pytest.raises(ZenConfigError) as raised:
        dialects.choose("v2", "https://api.zen-mesh.io")
    assert "'recipe' or 'v1'" in raised.value.message and "dialect='v1'" in raised.value.fix


# -- flows and targets in either form, read in the other ---------------------------------------------


def test_a_flow_made_in_one_form_is_the_same_flow_in_the_other(both, form):
    mine, theirs = other(both, form)
    flow = mine.create_flow("both-forms", "ingester_stripe", STRIPE, description="first")
    assert flow.source == "ingester_stripe" and flow.target == {"id": STRIPE, "type": "stripe"}
    assert flow.status == "active" and flow.created_at.endswith("Z")
    seen = theirs.get_flow(flow.id)
    common = ("id", "name", "source", "target", "status", "description", "createdAt", "updatedAt")
    assert {key: seen.get(key) for key in common} == {key: flow.get(key) for key in common}

    renamed = mine.update_flow(flow, name="both-forms-2", description=None)
    assert (renamed.name, renamed.get("description")) == ("both-forms-2", None)
    assert mine.pause_flow(flow).status == "paused"
    assert theirs.get_flow(flow.id).status == "paused"
    assert mine.resume_flow(flow).status == "active"
    assert [item.id for item in theirs.list_flows(status="active")] == [flow.id]
    assert theirs.list_flows(status="paused") == []
    assert [item.id for item in mine.list_flows(source="ingester_stripe", target_type="stripe")] == [flow.id]
    assert mine.list_flows(plane=OTHER_PLANE) == []

    mine.delete_flow(flow)
    with pytest.raises(FlowNotFound):
        theirs.get_flow(flow.id)


def test_a_target_with_config_is_made_at_destinations_in_either_form(both, form, api):
    mine, theirs = other(both, form)
    config = {"apiKey": "sk_test_abc", "region": "eu"}
    target = mine.create_target("cfg-sink", "http", url="https://example.test/hook", config=config)
    assert target.id.startswith("dest_") and target.config == config and target.type == "http"
    assert target.status in ("provisioning", "active")
    listed = api.get("{plane}/destinations").json()["destinations"]
    assert target.id in [item["id"] for item in listed]  # the recipe form's canonical path
    seen = theirs.get_target(target.id)
    assert (seen.name, seen.url, seen.config) == ("cfg-sink", "https://example.test/hook", config)

    changed = mine.update_target(target, name="cfg-sink-2", config={"region": "us"})
    assert (changed.name, changed.config) == ("cfg-sink-2", {"region": "us"})
    assert target.id in [item.id for item in theirs.list_targets(type="http")]
    assert target.id not in [item.id for item in theirs.list_targets(type="slack")]
    assert target.id not in [item.id for item in mine.list_targets(plane=OTHER_PLANE)]
    mine.delete_target(target)
    with pytest.raises(TargetNotFound):
        theirs.get_target(target.id)


def test_fan_out_is_refused_before_any_request_on_v1(both):
    _, v1 = both
    with pytest.raises(FormNotSupported) as raised:
        v1.create_flow("fan", "ingester_stripe", ["dest_s3_audit_log", "dest_slack_ops_alerts"])
    assert "one destination per flow" in raised.value.message and "dialect='recipe'" in raised.value.fix


def test_the_catalog_and_events_work_from_a_v1_client(both):
    """The v1 pages have no planes or ingesters this kit relies on: the recipe form at the root serves them."""
    recipe, v1 = both
    assert v1.get_tenant() == recipe.get_tenant()
    assert v1.list_planes() == recipe.list_planes()
    assert v1.list_ingesters() == recipe.list_ingesters()
    assert v1.list_adapters(OTHER_PLANE) == recipe.list_adapters(OTHER_PLANE)
    assert v1.get_ingester("ingester_stripe") == recipe.get_ingester("ingester_stripe")


# -- deliveries and retries --------------------------------------------------------------------------


def test_v1_status_words_are_read_into_the_kits_and_failed_covers_retrying(both, api):
    recipe, v1 = both
    set_retry_schedule(api, [30.0])  # one automatic retry, far enough away to be seen as "retrying"
    set_outcome(api, STRIPE, successRate=0.0, latencyMs=5, failures=[503])
    recipe.create_flow("failing", "ingester_stripe", STRIPE)
    event = recipe.ingest_event("ingester_stripe", {"type": "invoice.paid"})
    [attempt] = wait_until(
        lambda: v1.list_attempts(event=event),
        lambda found: len(found) == 1 and found[0].status != "pending",
        10.0,
        "the first attempt, failed",
    )
    assert (attempt.status, attempt.delivery_status) == ("failed", "retrying")
    assert v1.list_attempts(status="failed") == [attempt]  # v1's "retrying" is the kit's "failed"
    assert v1.list_attempts(status="succeeded") == []
    assert [item.id for item in recipe.list_attempts(status="failed")] == [attempt.id]


def test_retry_attempts_in_both_forms(both, api, form):
    mine, _ = other(both, form)
    set_retry_schedule(api, [])
    set_outcome(api, STRIPE, successRate=0.0, latencyMs=5, failures=[503])
    mine.create_flow("retry-many", "ingester_stripe", STRIPE)
    events = [mine.ingest_event("ingester_stripe", {"n": n}) for n in range(2)]
    failed = wait_until(
        lambda: mine.list_attempts(status="failed"), lambda found: len(found) == 2, 10.0, "two failed attempts"
    )
    outcomes = mine.retry_attempts([*failed, "att_00000000000000000000"])
    assert [(o.attempt_id, o.status) for o in outcomes] == [
        (failed[0].id, "queued"),
        (failed[1].id, "queued"),
        ("att_00000000000000000000", "not_found"),
    ]
    made = [mine.get_attempt(o.retry_attempt_id) for o in outcomes[:2]]
    assert [(a.trigger, a.event_id) for a in made] == [("manual", events[0].id), ("manual", events[1].id)]
    assert "RetryOutcome(" in repr(outcomes[0])


# -- frames ----------------------------------------------------------------------------------------


def test_load_attempts_and_load_flows_are_equal_in_both_forms_on_a_simulated_history(both):
    recipe, v1 = both
    recipe.create_flow("sim-a", "ingester_stripe", STRIPE)
    recipe.create_flow("sim-b", "ingester_github", "dest_slack_ops_alerts")
    recipe.create_flow("sim-eu", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane=OTHER_PLANE)
    counts = recipe.simulate_traffic(events=250, days=2, seed=7, failure_rate=0.3, plane="all")
    assert counts["attempts"] > 250  # retries too: more than 100 a page, so v1 pages are joined and reversed

    by_recipe = zen_nb.load_attempts(recipe, planes="all", progress=False)
    by_v1 = zen_nb.load_attempts(v1, planes="all", progress=False)
    assert len(by_recipe) == counts["attempts"]
    assert by_v1.equals(by_recipe)
    failed = zen_nb.load_attempts(v1, status="failed", progress=False)
    assert failed.equals(zen_nb.load_attempts(recipe, status="failed", progress=False)) and len(failed) > 0
    assert zen_nb.load_flows(v1, planes="all", progress=False).equals(
        zen_nb.load_flows(recipe, planes="all", progress=False)
    )


# -- what a real v1 service may do: canned answers on loopback -----------------------------------------


def canned(routes: dict[tuple[str, str], Any], seen: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    """A handler answering ``routes[(method, path)]`` as JSON (a callable gets the query), 404 otherwise."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            seen.append({"method": self.command, "path": parts.path, "query": query, "headers": dict(self.headers)})
            seen[-1]["body"] = body
            found = routes.get((self.command, parts.path))
            status, value = (200, found(query) if callable(found) else found) if found is not None else (404, None)
            data = json.dumps(value if value is not None else {"error": "no such path"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    return Handler


def v1_client(base: str, **keywords: Any) -> ZenClient:
    env = {"ZEN_API_BASE": base + "/v1", "ZEN_API_TOKEN": "tok-secret-xyz", "ZEN_TENANT_ID": "tnt_a"}
    env |= {"ZEN_PLANE_ID": PLANE, "ZEN_ADAPTER_ID": "adapter_x"}
    return ZenClient(ZenConfig(environ=env), retry=0, **keywords)


def delivery(number: int, plane: str, status: str = "delivered") -> dict[str, Any]:
    return {
        "id": f"dlv_{number:03d}",
        "event_id": f"evt_{number:03d}",
        "destination_id": "dest_a",
        "flow_id": "flow_a",
        "cluster_id": plane,
        "status": status,
        "response_code": 200 if status == "delivered" else 503,
        "attempt_number": 1,
        "trigger": "initial",
        "attempted_at": f"2026-01-01T00:{number // 60:02d}:{number % 60:02d}Z",
        "latency_ms": 12,
        "error_code": None,
        "error_message": None,
        "evidence_id": "ev_1",
    }


def test_a_v1_service_that_ignores_filters_is_filtered_here_and_its_newest_first_order_turned(monkeypatch):
    """Three pages, newest first, planes mixed, and ``cluster_id``/``status`` ignored as the pagination page allows."""
    history = [
        delivery(n, PLANE if n % 3 else OTHER_PLANE, "retrying" if n % 5 == 0 else "delivered") for n in range(7)
    ]
    newest_first = list(reversed(history))

    def page(query: dict[str, str]) -> dict[str, Any]:
        start = int(query.get("cursor", "0"))
        size = int(query["limit"])
        rest = newest_first[start : start + size]
        more = start + size < len(newest_first)
        return {"deliveries": rest, "next_cursor": str(start + size) if more else None}  # no has_more: the cursor says

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(dialects.V1Dialect, "page_size", 3)
    with serving(canned({("GET", "/v1/tenants/tnt_a/deliveries"): page}, seen)) as server:
        with v1_client(url_of(server)) as client:
            attempts = client.list_attempts()
            failed = client.list_attempts(status="failed")
    assert [a.id for a in attempts] == [d["id"] for d in history if d["cluster_id"] == PLANE]  # oldest first
    assert {a.plane_id for a in attempts} == {PLANE}
    assert [a.id for a in failed] == ["dlv_005"]  # n=0 is on the other plane
    assert (failed[0].status, failed[0].delivery_status, failed[0].response_status) == ("failed", "retrying", 503)
    assert seen[0]["query"]["cluster_id"] == PLANE and seen[0]["query"]["limit"] == "3"
    assert "status" not in seen[-1]["query"]  # "failed" is two v1 words: filtered here, not there
    assert [request["query"].get("cursor") for request in seen[:3]] == [None, "3", "6"]


def test_a_v1_service_without_the_recipe_form_says_which_form_to_use():
    seen: list[dict[str, Any]] = []
    with serving(canned({}, seen)) as server:
        with v1_client(url_of(server)) as client:
            with pytest.raises(FormNotSupported) as raised:
                client.list_adapters()
    assert seen[0]["path"] == f"/tenants/tnt_a/clusters/{PLANE}/adapters"  # tried at the root, without /v1
    assert "v1 form, which has no adapters" in raised.value.message
    assert "dialect='recipe'" in raised.value.fix


def test_v1_writes_send_the_v1_fields_and_the_x_api_key_header_when_asked():
    flow = {
        "id": "flow_a",
        "name": "a",
        "source_id": "ing_a",
        "destination_id": "dest_a",
        "destination_type": "webhook",
        "cluster_id": PLANE,
        "status": "paused",
        "config": {"retry_policy": {"max_attempts": 3, "backoff_seconds": 10}},
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    routes = {
        ("POST", "/v1/tenants/tnt_a/delivery-flows"): flow,
        ("PUT", "/v1/tenants/tnt_a/delivery-flows/flow_a"): flow,
    }
    seen: list[dict[str, Any]] = []
    with serving(canned(routes, seen)) as server:
        with v1_client(url_of(server), auth_header="x-api-key") as client:
            made = client.create_flow("a", "ing_a", "dest_a", retry_policy={"maxAttempts": 3, "backoffSeconds": 10})
            paused = client.pause_flow("flow_a")
    assert seen[0]["body"] == {
        "name": "a",
        "source_id": "ing_a",
        "destination_id": "dest_a",
        "config": {"retry_policy": {"max_attempts": 3, "backoff_seconds": 10}},
        "cluster_id": PLANE,
    }
    assert (seen[1]["method"], seen[1]["body"]) == ("PUT", {"status": "paused"})
    assert seen[0]["headers"]["X-API-Key"] == "tok-secret-xyz" and "Authorization" not in seen[0]["headers"]
    assert made.source == "ing_a" and made.target == {"id": "dest_a", "type": "webhook"}
    assert made.plane_id == PLANE and made.retry_policy == {"maxAttempts": 3, "backoffSeconds": 10}
    assert paused.status == "paused" and "config" not in made


def test_zen_api_key_is_read_as_the_token(api, monkeypatch):
    env = {**api.box.env()}
    key = env.pop("ZEN_API_TOKEN")
    with ZenClient(ZenConfig(environ={**env, "ZEN_API_KEY": key})) as client:
        assert client.get_tenant().id == api.tenant_id
    with ZenClient(ZenConfig(environ={**env, "ZEN_API_TOKEN": key, "ZEN_API_KEY": "other"})) as client:
        assert client.config.api_token == key  # ZEN_API_TOKEN wins when both are set


def test_the_sandbox_takes_the_x_api_key_header_in_both_forms(api, form):
    env = {"ZEN_API_BASE": api.base_url + "/v1"} if form == "v1" else {}
    with ZenClient(ZenConfig(environ={**api.box.env(), **env}), auth_header="x-api-key") as client:
        assert "Authorization" not in client._http.session.headers
        assert [flow for flow in client.list_flows()] == []
        assert client.get_tenant().id == api.tenant_id
