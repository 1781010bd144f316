"""``/_sandbox/clock``: advance the delivery clock so that retries due within N seconds happen now.

The user's path first (issue 18, "Show" 3): a target fails, its retry is scheduled ten minutes
out, the target is fixed, the clock is advanced, and the event is delivered on its schedule, in
seconds. Then the rule (``due_at = max(now, due_at - N)``), the scopes of the admin token and a
tenant's, held deliveries left alone, every refusal, the client's call and the Python handle.
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from zen_nb.errors import BadRequestError, ForbiddenError, ZenError
from zen_nb.sandbox.clock_switch import ClockRefused

from deliveries import STRIPE, attempts, flow_action, ingest_ok, make_flow, parse_time, wait_attempts
from helpers import Api, admin, assert_error, client_for, serving, set_outcome, set_retry_schedule, url_of

TEN_MINUTES = 600.0


def clock(api: Api, method: str = "POST", token: str | None = None, **kwargs) -> requests.Response:
    """``/_sandbox/clock`` with a tenant's token (``api``'s by default)."""
    headers = {"Authorization": f"Bearer {token or api.token}"}
    return requests.request(method, f"{api.base_url}/_sandbox/clock", headers=headers, timeout=30, **kwargs)


def failing_once(api: Api) -> tuple[str, dict]:
    """A new event whose first attempt failed: its id and that attempt (whose retry waits, if the schedule has one)."""
    event = ingest_ok(api)["id"]
    (failed,) = wait_attempts(api, lambda got: len(got) == 1 and got[0]["status"] == "failed", eventId=event)
    return event, failed


def both_waiting(api: Api, new_tenant) -> Api:
    """The demo tenant and a new one, each with one retry waiting ten minutes out; the new one's :class:`Api`."""
    set_retry_schedule(api, [TEN_MINUTES])
    other = new_tenant()
    for tenant in (api, other):
        make_flow(tenant, "waiting")
        set_outcome(tenant, STRIPE[0], successRate=0.0, failures=[503])
        failing_once(tenant)
    return other


def test_a_fixed_target_delivers_on_its_schedule_once_the_clock_is_advanced(api, client):
    set_retry_schedule(api, [TEN_MINUTES, TEN_MINUTES])
    make_flow(api, "recover")
    set_outcome(api, STRIPE[0], successRate=0.0, failures=[503])
    event, failed = failing_once(api)
    due = parse_time(failed["nextAttemptAt"]).timestamp()
    assert due - time.time() > TEN_MINUTES - 30  # ten minutes out: nothing happens on its own in this test
    set_outcome(api, STRIPE[0], successRate=1.0)  # the fix
    answer = client.advance_clock(TEN_MINUTES)
    assert answer == {"advancedSeconds": TEN_MINUTES, "moved": 1, "dueNow": 1, "queued": 1, "nextDueAt": None}
    found = wait_attempts(api, lambda got: len(got) == 2 and got[1]["status"] == "succeeded", eventId=event)
    assert (found[1]["attemptNumber"], found[1]["trigger"]) == (2, "automatic")  # the schedule's own retry
    assert found[1]["nextAttemptAt"] is None and found[0]["nextAttemptAt"] is None
    assert clock(api, "GET").json() == {"queued": 0, "dueNow": 0, "nextDueAt": None}


def test_later_retries_come_n_seconds_sooner_and_keep_their_order(api):
    set_retry_schedule(api, [TEN_MINUTES])
    make_flow(api, "sooner")
    set_outcome(api, STRIPE[0], successRate=0.0, failures=[503])
    _, first = failing_once(api)
    _, second = failing_once(api)
    before = [parse_time(a["nextAttemptAt"]).timestamp() for a in (first, second)]
    response = clock(api, json={"advanceSeconds": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["moved"], body["dueNow"], body["queued"], body["advancedSeconds"]) == (2, 0, 2, 100)
    after = [parse_time(a["nextAttemptAt"]).timestamp() for a in attempts(api, status="failed")]
    assert [round(b - a, 2) for a, b in zip(after, before, strict=True)] == [100.0, 100.0]
    assert parse_time(body["nextDueAt"]).timestamp() == after[0]  # the earliest, in the stored form
    assert clock(api, "GET").json() == {"queued": 2, "dueNow": 0, "nextDueAt": body["nextDueAt"]}
    # More than what is left: due now (not in the past), and then made.
    assert clock(api, json={"advanceSeconds": 2 * TEN_MINUTES}).json()["dueNow"] == 2
    wait_attempts(api, lambda got: len(got) == 4 and all(a["status"] == "failed" for a in got))


def test_a_tenants_token_moves_its_own_deliveries_and_the_admins_every_tenants(api, new_tenant):
    other = both_waiting(api, new_tenant)
    mine = clock(api, json={"advanceSeconds": 10}).json()
    assert (mine["moved"], mine["queued"]) == (1, 1)
    assert clock(other, "GET").json()["queued"] == 1
    everyone = admin(api, "POST", "clock", json={"advanceSeconds": 10}).json()
    assert (everyone["moved"], everyone["queued"]) == (2, 2)
    one = admin(api, "POST", "clock", json={"advanceSeconds": 10, "tenantId": other.tenant_id}).json()
    assert (one["moved"], one["queued"]) == (1, 1)
    assert admin(api, "GET", "clock", params={"tenantId": other.tenant_id}).json()["queued"] == 1
    assert admin(api, "GET", "clock").json()["queued"] == 2
    # Its own id named is the same as none; another tenant's is a 403 that says what to do instead.
    assert clock(api, json={"advanceSeconds": 1, "tenantId": api.tenant_id}).json()["moved"] == 1
    error = assert_error(clock(api, json={"advanceSeconds": 1, "tenantId": other.tenant_id}), 403, "forbidden")
    assert (
        error["field"] == "tenantId" and "leave tenantId out" in error["message"] and "admin token" in error["message"]
    )
    assert_error(clock(api, "GET", params={"tenantId": other.tenant_id}), 403, "forbidden", field="tenantId")


def test_held_deliveries_wait_for_their_flow_not_for_the_clock(api):
    flow = make_flow(api, "paused")
    flow_action(api, flow, "pause")
    ingest_ok(api)  # held: the flow is paused
    body = clock(api, json={"advanceSeconds": TEN_MINUTES}).json()
    assert (body["moved"], body["queued"], body["dueNow"]) == (0, 0, 0)
    assert attempts(api) == []


@pytest.mark.parametrize(
    ("body", "code", "field", "words"),
    [
        ({"advanceSeconds": 0}, "invalid_field", "advanceSeconds", "greater than 0"),
        ({"advanceSeconds": -5}, "invalid_field", "advanceSeconds", "greater than 0"),
        ({"advanceSeconds": 30 * 86400 + 1}, "invalid_field", "advanceSeconds", "at most 2592000"),
        ({"advanceSeconds": "60"}, "invalid_field", "advanceSeconds", "number"),
        ({"advanceSeconds": None}, "invalid_field", "advanceSeconds", "null"),
        ({}, "missing_field", "advanceSeconds", "advanceSeconds"),
        ({"advanceSeconds": 1, "minutes": 2}, "unknown_field", "minutes", "minutes"),
        ({"advanceSeconds": 1, "tenantId": ""}, "invalid_field", "tenantId", "at least 1"),
    ],
)
def test_a_wrong_body_is_a_400_naming_the_rule(api, body, code, field, words):
    error = assert_error(clock(api, json=body), 400, code, field=field)
    assert words in error["message"], error["message"]


def test_without_a_token_401_and_an_unknown_tenant_404(api):
    response = requests.post(f"{api.base_url}/_sandbox/clock", json={"advanceSeconds": 1}, timeout=30)
    error = assert_error(response, 401, "unauthenticated")
    assert "admin token" in error["message"] and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(clock(api, token="not-a-token", json={"advanceSeconds": 1}), 401, "unauthenticated")
    nobody = admin(api, "POST", "clock", json={"advanceSeconds": 1, "tenantId": "tenant_nobody"})
    assert_error(nobody, 404, "tenant_not_found", field="tenantId")


def test_the_client_advances_its_own_tenants_clock_and_says_when_a_service_has_none(api, new_tenant):
    set_retry_schedule(api, [TEN_MINUTES])
    other = new_tenant()
    make_flow(other, "theirs")
    set_outcome(other, STRIPE[0], successRate=0.0, failures=[503])
    failing_once(other)
    with client_for(api) as client:
        assert client.advance_clock(60)["moved"] == 0  # the other tenant's retry is not the client's
        with pytest.raises(BadRequestError, match="advanceSeconds"):
            client.advance_clock(0)
    with client_for(api, ZEN_TENANT_ID=other.tenant_id) as wrong:  # another tenant's id, this one's token
        with pytest.raises(ForbiddenError):
            wrong.advance_clock(60)

    class NoSuchPath(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = b'{"message": "Not Found"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    with serving(NoSuchPath) as server, client_for(api, ZEN_API_BASE=url_of(server)) as real:
        with pytest.raises(ZenError, match="only the local sandbox has one") as raised:
            real.advance_clock(60)
    assert api.token not in str(raised.value) and "ZEN_API_BASE" in (raised.value.fix or "")


def test_the_python_handle_advances_every_tenant_or_one(api, new_tenant):
    other = both_waiting(api, new_tenant)
    assert api.box.advance_clock(5, tenant_id=other.tenant_id)["moved"] == 1
    assert api.box.advance_clock(5)["moved"] == 2
    with pytest.raises(ClockRefused, match="advanceSeconds") as refused:
        api.box.advance_clock(-1)
    with pytest.raises(ClockRefused, match="tenant_nobody"):
        api.box.advance_clock(1, tenant_id="tenant_nobody")
    assert api.box.admin_token not in str(refused.value)
