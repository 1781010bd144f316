"""Events and delivery attempts through ``ZenClient`` and ``load_attempts``, against the real sandbox.

Every call goes over HTTP to the session's sandbox, reset to its seed by the ``api`` fixture.
Deliveries happen on the sandbox's worker thread, so tests make them fast and certain through
the sandbox's admin surface (a retry schedule of 50 ms, and outcome models that always succeed
or always fail), then poll, with a deadline, until every attempt has its final status.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

import pandas as pd
import pytest

import zen_nb
from zen_nb import ZenClient, ZenConfig
from zen_nb.client import iso_timestamp
from zen_nb.errors import BadRequestError, ConflictError, FlowNotFound, IngesterNotFound, NotFoundError, ZenError
from zen_nb.frames import ATTEMPT_COLUMNS
from zen_nb.objects import DeliveryAttempt, Event, ObjectList

from forms import FORMS, V1_EXTRA_ATTEMPT_FIELDS, client_in
from helpers import (
    ATTEMPT_FIELDS,
    Api,
    admin_post,
    client_for,
    dtypes_as_printed,
    serving,
    set_outcome,
    set_retry_schedule,
    url_of,
    wait_until,
)

OTHER_PLANE = "plane_prod_eu_west_1"
STRIPE = "dest_stripe_prod_us_east_1"
SLACK = "dest_slack_ops_alerts"
REFUSING_HTTP = "dest_http_orders_webhook"  # http://127.0.0.1:9/...: a real POST, refused
DEADLINE = 10.0  # seconds for the sandbox's worker to finish what a test queued
FAST_RETRIES = [0.05, 0.05]
# What a v1 delivery adds to the recipe form's attempt fields: its plane, its own status word, its error text.
V1_EXTRA = {
    "recipe": set(),
    "v1": {"planeId", "deliveryStatus", "errorMessage"},
}  # two automatic retries, 50 ms apart: three attempts at most

# The same on pandas 2.2 and 3.x: text is pandas' nullable string dtype with Python storage
# ("string", <NA> when missing), never object (pandas 2's "str") nor pandas 3's NaN-valued "str".
EXPECTED_DTYPES = {
    "id": "string",
    "flow_id": "string",
    "event_id": "string",
    "target_id": "string",
    "attempt_number": "int64",
    "trigger": "category",
    "status": "category",
    "response_status": "Int64",
    "error_code": "string",
    "latency_ms": "Int64",
    "created_at": "datetime64[ns, UTC]",
}


# --- helpers and fixtures -------------------------------------------------------------------


def always_fails(api: Api, target: str, status: int = 503) -> None:
    set_outcome(api, target, successRate=0.0, latencyMs=5, failures=[status])


def always_succeeds(api: Api, target: str) -> None:
    set_outcome(api, target, successRate=1.0, latencyMs=5)


def wait_for_attempts(client: ZenClient, count: int, **filters: Any) -> ObjectList:
    """The attempts that ``filters`` select, once there are ``count`` of them and none is pending."""
    return wait_until(
        lambda: client.list_attempts(**filters),
        lambda attempts: len(attempts) >= count and all(attempt.status != "pending" for attempt in attempts),
        DEADLINE,
        f"{count} final attempts with {filters}",
    )


def _moment(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


@pytest.fixture(params=FORMS)
def client(api: Api, request: pytest.FixtureRequest) -> Iterator[ZenClient]:
    """The demo tenant's client in each form of the API (the recipe form, then v1 at ``{base}/v1`` of the
    same sandbox), with automatic retries 50 ms apart (the sandbox's reset undoes it)."""
    set_retry_schedule(api, FAST_RETRIES)
    with client_in(api, request.param) as made:
        yield made


# --- ingesting events and reading attempts --------------------------------------------------


def test_an_ingested_event_is_delivered_and_its_attempt_listed(client, api):
    flow = client.create_flow("invoices", "ingester_stripe", STRIPE)
    always_succeeds(api, STRIPE)
    event = client.ingest_event("ingester_stripe", {"type": "invoice.paid", "amount": 4200})
    assert isinstance(event, Event) and event.id.startswith("evt_") and len(event.id) == 24
    assert event.ingester_id == "ingester_stripe" and event.created_at.endswith("Z")
    assert event.deliveries == [{"flowId": flow.id, "targetId": STRIPE, "state": "queued"}]

    [attempt] = wait_for_attempts(client, 1, event=event)
    assert (
        isinstance(attempt, DeliveryAttempt)
        and set(attempt) == ATTEMPT_FIELDS | V1_EXTRA_ATTEMPT_FIELDS[client.dialect.name]
    )
    assert attempt.id.startswith("att_") and len(attempt.id) == 24
    assert (attempt.flow_id, attempt.event_id, attempt.target_id) == (flow.id, event.id, STRIPE)
    assert (attempt.attempt_number, attempt.trigger, attempt.status) == (1, "initial", "succeeded")
    assert (attempt.response_status, attempt.error_code) == (200, None)
    assert isinstance(attempt.latency_ms, int) and attempt.latency_ms >= 1
    assert _moment(attempt.created_at) >= _moment(event.created_at)
    assert client.get_attempt(attempt.id) == attempt
    assert client.get_attempt(attempt) == attempt  # the object itself names the attempt
    assert list(client.iter_attempts()) == [attempt]
    assert client.list_attempts(event=event.id) == [attempt]
    assert "DeliveryAttempt(id='att_" in repr(attempt) and "status='succeeded'" in repr(attempt)


def test_an_event_takes_a_plane_and_an_ingester_object(client, api):
    flow = client.create_flow("eu-invoices", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane=OTHER_PLANE)
    ingester = client.get_ingester("ingester_stripe", plane=OTHER_PLANE)
    event = client.ingest_event(ingester, {"type": "charge.succeeded"}, plane=OTHER_PLANE)
    assert event.deliveries == [{"flowId": flow.id, "targetId": "dest_stripe_prod_eu_west_1", "state": "queued"}]
    [attempt] = wait_for_attempts(client, 1, plane=OTHER_PLANE)
    assert attempt.event_id == event.id and attempt.status == "succeeded"
    assert client.list_attempts() == []  # ZEN_PLANE_ID's plane saw nothing
    assert client.get_attempt(attempt, plane=OTHER_PLANE) == attempt


def test_an_event_from_an_ingester_without_flows_delivers_nothing(client):
    event = client.ingest_event("ingester_twilio", {"type": "message.received"})
    assert event.deliveries == []
    time.sleep(0.2)
    assert client.list_attempts(event=event) == []


def test_a_failing_target_is_retried_automatically_then_given_up(client, api):
    client.create_flow("invoices", "ingester_stripe", STRIPE)
    always_fails(api, STRIPE, 503)
    event = client.ingest_event("ingester_stripe", {"type": "invoice.payment_failed"})
    attempts = wait_for_attempts(client, len(FAST_RETRIES) + 1, event=event)
    assert [(a.attempt_number, a.trigger, a.status, a.response_status) for a in attempts] == [
        (1, "initial", "failed", 503),
        (2, "automatic", "failed", 503),
        (3, "automatic", "failed", 503),
    ]
    time.sleep(0.3)  # six times the schedule's delay: no fourth attempt comes
    assert len(client.list_attempts(event=event)) == 3


def test_a_refused_loopback_target_has_no_response_status(client):
    client.create_flow("orders", "ingester_github", REFUSING_HTTP)
    event = client.ingest_event("ingester_github", {"action": "opened"})
    attempts = wait_for_attempts(client, 3, event=event)
    assert {(a.status, a.response_status, a.error_code) for a in attempts} == {("failed", None, "connection_refused")}
    frame = zen_nb.load_attempts(client, event=event)
    assert frame["response_status"].isna().all() and frame["error_code"].tolist() == ["connection_refused"] * 3
    assert frame["latency_ms"].notna().all()


def test_a_paused_flow_holds_the_event_and_resuming_delivers_it(client, api):
    flow = client.pause_flow(client.create_flow("invoices", "ingester_stripe", STRIPE))
    always_succeeds(api, STRIPE)
    event = client.ingest_event("ingester_stripe", {"type": "invoice.paid"})
    assert event.deliveries == [{"flowId": flow.id, "targetId": STRIPE, "state": "held"}]
    time.sleep(0.2)
    assert client.list_attempts(event=event) == []
    client.resume_flow(flow)
    [attempt] = wait_for_attempts(client, 1, event=event)
    assert (attempt.trigger, attempt.attempt_number, attempt.status) == ("resume", 1, "succeeded")


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def two_flows_two_events(client, api) -> dict[str, Any]:
    """Flows ``failing`` (to Stripe, which fails) and ``working`` (to Slack), both from Stripe events.

    Two events, the second ingested after the first one's attempts are done, so that every
    attempt of the second is later than every attempt of the first.
    """
    always_fails(api, STRIPE)
    always_succeeds(api, SLACK)
    failing = client.create_flow("failing", "ingester_stripe", STRIPE)
    working = client.create_flow("working", "ingester_stripe", SLACK)
    first = client.ingest_event("ingester_stripe", {"n": 1})
    wait_for_attempts(client, 4, event=first)  # 3 to Stripe, 1 to Slack
    time.sleep(0.01)  # the sandbox stamps milliseconds: keep the events' attempts apart
    second = client.ingest_event("ingester_stripe", {"n": 2})
    wait_for_attempts(client, 4, event=second)
    return {"failing": failing, "working": working, "first": first, "second": second}


def test_attempts_filter_by_flow_event_target_and_status(client, two_flows_two_events):
    failing, working = two_flows_two_events["failing"], two_flows_two_events["working"]
    first, second = two_flows_two_events["first"], two_flows_two_events["second"]
    everything = client.list_attempts()
    assert len(everything) == 8
    assert [a.created_at for a in everything] == sorted(a.created_at for a in everything)

    def ids(attempts: list[DeliveryAttempt]) -> list[str]:
        return [attempt.id for attempt in attempts]

    def expected(**fields: Any) -> list[str]:
        return [a.id for a in everything if all(a[key] == value for key, value in fields.items())]

    assert ids(client.list_attempts(flow=failing)) == expected(flowId=failing.id)
    assert ids(client.list_attempts(flow=working.id)) == expected(flowId=working.id)
    assert len(expected(flowId=failing.id)) == 6 and len(expected(flowId=working.id)) == 2
    assert ids(client.list_attempts(event=first)) == expected(eventId=first.id)
    assert ids(client.list_attempts(event=second.id)) == expected(eventId=second.id)
    assert ids(client.list_attempts(target=SLACK)) == expected(targetId=SLACK)
    assert ids(client.list_attempts(target=client.get_target(STRIPE))) == expected(targetId=STRIPE)
    assert ids(client.list_attempts(status="failed")) == expected(status="failed")
    assert ids(client.list_attempts(status="succeeded")) == expected(flowId=working.id)
    assert client.list_attempts(status="pending") == []
    both = client.list_attempts(flow=failing, event=second, status="failed")
    assert ids(both) == expected(flowId=failing.id, eventId=second.id)
    assert client.list_attempts(flow=working, target=STRIPE) == []


def test_attempts_filter_by_time_in_every_form(client, two_flows_two_events):
    first, second = two_flows_two_events["first"], two_flows_two_events["second"]
    everything = client.list_attempts()
    split = min(a.created_at for a in everything if a.event_id == second.id)  # the second event's first attempt
    later = [a.id for a in everything if a.event_id == second.id]
    earlier = [a.id for a in everything if a.event_id == first.id]
    aware = _moment(split)
    for since in (split, aware, aware.replace(tzinfo=None), aware.astimezone(timezone(timedelta(hours=-5)))):
        assert [a.id for a in client.list_attempts(since=since)] == later, since  # inclusive
        assert [a.id for a in client.list_attempts(until=since)] == earlier, since  # exclusive
    assert [a.id for a in client.list_attempts(since=first.created_at, until=split)] == earlier
    assert client.list_attempts(since=aware + timedelta(days=1)) == []
    assert client.list_attempts(until="2000-01-01") == []
    assert [a.id for a in client.list_attempts(since=pd.Timestamp(split))] == later
    with pytest.raises(ZenError, match="not an ISO 8601 timestamp"):
        client.list_attempts(since="yesterday")


def test_timestamps_are_sent_as_utc_iso_with_z():
    assert iso_timestamp(datetime(2024, 1, 15, 10, 30)) == "2024-01-15T10:30:00Z"  # naive is UTC
    plus_two = timezone(timedelta(hours=2))
    assert iso_timestamp(datetime(2024, 1, 15, 12, 30, tzinfo=plus_two)) == "2024-01-15T10:30:00Z"
    assert iso_timestamp(datetime(2024, 1, 15, 10, 30, 0, 250000, UTC)) == "2024-01-15T10:30:00.250000Z"
    assert iso_timestamp("2024-01-15T12:30:00+02:00") == "2024-01-15T10:30:00Z"
    assert iso_timestamp("2024-01-15T10:30:00Z") == "2024-01-15T10:30:00Z"
    assert iso_timestamp("2024-01-15") == "2024-01-15T00:00:00Z"
    assert iso_timestamp(pd.Timestamp("2024-01-15T10:30:00.123456789Z")) == "2024-01-15T10:30:00.123456Z"
    assert iso_timestamp(None) is None
    with pytest.raises(ZenError, match="datetime, a date or ISO 8601 text"):
        iso_timestamp(1705314600)  # type: ignore[arg-type]


# --- retrying by hand -----------------------------------------------------------------------


def test_retry_attempt_makes_a_manual_attempt_that_completes(client, api):
    set_retry_schedule(api, [])  # no automatic retry: one attempt, then only by hand
    always_fails(api, STRIPE)
    flow = client.create_flow("invoices", "ingester_stripe", STRIPE)
    event = client.ingest_event("ingester_stripe", {"type": "invoice.paid"})
    [failed] = wait_for_attempts(client, 1, event=event)
    assert (failed.status, failed.response_status) == ("failed", 503)

    always_succeeds(api, STRIPE)  # the target is fixed; deliver the event again
    retried = client.retry_attempt(failed)
    assert isinstance(retried, DeliveryAttempt) and retried.id != failed.id
    assert (retried.trigger, retried.attempt_number) == ("manual", 2)
    assert (retried.flow_id, retried.event_id, retried.target_id) == (flow.id, event.id, STRIPE)
    if client.dialect.name == "recipe":  # the recipe form answers the new attempt; v1 reads it back after
        assert retried.status == "pending"
        assert retried.response_status is None and retried.latency_ms is None
    done = wait_for_attempts(client, 2, event=event)
    assert [(a.id, a.trigger, a.status) for a in done] == [
        (failed.id, "initial", "failed"),
        (retried.id, "manual", "succeeded"),
    ]
    assert client.get_attempt(retried.id).response_status == 200


def test_a_failed_manual_attempt_is_not_retried_automatically(client, api):
    always_fails(api, STRIPE)
    client.create_flow("invoices", "ingester_stripe", STRIPE)
    event = client.ingest_event("ingester_stripe", {"type": "invoice.paid"})
    attempts = wait_for_attempts(client, 3, event=event)
    # The recipe form retries any attempt (numbered after the highest); v1 only the latest failed one.
    retried = client.retry_attempt(attempts[0 if client.dialect.name == "recipe" else -1].id)
    assert retried.attempt_number == 4  # the highest for that flow and event, plus one
    done = wait_for_attempts(client, 4, event=event)
    time.sleep(0.3)
    assert client.list_attempts(event=event) == done
    assert [(a.trigger, a.status) for a in done][-1] == ("manual", "failed")


def test_a_deleted_flows_attempts_stay_listed_but_cannot_be_retried(client, api):
    flow = client.create_flow("invoices", "ingester_stripe", STRIPE)
    event = client.ingest_event("ingester_stripe", {"type": "invoice.paid"})
    [attempt] = wait_for_attempts(client, 1, event=event)
    client.delete_flow(flow)
    assert client.list_attempts(flow=flow) == [attempt] and client.get_attempt(attempt) == attempt
    # The recipe form names the flow; v1's batch retry only says the delivery was skipped.
    expected = (
        (FlowNotFound, "flow_not_found") if client.dialect.name == "recipe" else (ConflictError, "nothing_to_retry")
    )
    with pytest.raises(expected[0]) as raised:
        client.retry_attempt(attempt)
    assert raised.value.code == expected[1]


# --- load_attempts --------------------------------------------------------------------------


def test_an_empty_plane_gives_the_same_columns_anddtypes_as_printed(client):
    frame = zen_nb.load_attempts(client)
    assert frame.empty and list(frame.columns) == list(ATTEMPT_COLUMNS)
    assert dtypes_as_printed(frame) == EXPECTED_DTYPES
    assert list(frame["trigger"].cat.categories) == ["initial", "automatic", "manual", "resume"]
    assert list(frame["status"].cat.categories) == ["succeeded", "failed", "pending"]
    assert dtypes_as_printed(zen_nb.load_attempts(client, planes="all", status="failed")) == EXPECTED_DTYPES


def test_load_attempts_equals_list_attempts(client, two_flows_two_events):
    listed = client.list_attempts()
    frame = zen_nb.load_attempts(client)
    assert list(frame.columns) == list(ATTEMPT_COLUMNS) and dtypes_as_printed(frame) == EXPECTED_DTYPES
    assert len(frame) == len(listed) == 8
    for (_, row), attempt in zip(frame.iterrows(), listed, strict=True):
        assert row["id"] == attempt.id
        assert (row["flow_id"], row["event_id"], row["target_id"]) == (
            attempt.flow_id,
            attempt.event_id,
            attempt.target_id,
        )
        assert (row["attempt_number"], row["trigger"], row["status"]) == (
            attempt.attempt_number,
            attempt.trigger,
            attempt.status,
        )
        assert row["response_status"] == attempt.response_status and row["latency_ms"] == attempt.latency_ms
        assert row["error_code"] is pd.NA if attempt.error_code is None else row["error_code"] == attempt.error_code
        assert row["created_at"] == pd.Timestamp(attempt.created_at)
    failing = two_flows_two_events["failing"]
    assert frame.groupby("status", observed=False).size().to_dict() == {"succeeded": 2, "failed": 6, "pending": 0}
    filtered = zen_nb.load_attempts(client, flow=failing, status="failed", since=frame["created_at"].iloc[0])
    assert filtered["id"].tolist() == [a.id for a in client.list_attempts(flow=failing, status="failed")]
    assert zen_nb.load_attempts(client, target=SLACK)["target_id"].tolist() == [SLACK, SLACK]
    assert zen_nb.load_attempts(client, event=two_flows_two_events["first"])["event_id"].nunique() == 1


def test_load_attempts_of_every_plane(client, api):
    client.create_flow("dev", "ingester_stripe", STRIPE)
    client.create_flow("eu", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane=OTHER_PLANE)
    dev_event = client.ingest_event("ingester_stripe", {"plane": "dev"})
    eu_event = client.ingest_event("ingester_stripe", {"plane": "eu"}, plane=OTHER_PLANE)
    wait_for_attempts(client, 1, event=dev_event)
    wait_for_attempts(client, 1, event=eu_event, plane=OTHER_PLANE)

    assert zen_nb.load_attempts(client)["event_id"].tolist() == [dev_event.id]
    assert zen_nb.load_attempts(client, planes=OTHER_PLANE)["event_id"].tolist() == [eu_event.id]
    everything = zen_nb.load_attempts(client, planes="all")
    assert everything["event_id"].tolist() == [dev_event.id, eu_event.id]
    assert dtypes_as_printed(everything) == EXPECTED_DTYPES
    plane = client.get_plane(OTHER_PLANE)
    assert zen_nb.load_attempts(client, planes=[plane, OTHER_PLANE])["event_id"].tolist() == [eu_event.id]


def test_load_attempts_reads_the_environment_when_given_no_client(api, monkeypatch):
    for name, value in api.box.env().items():
        monkeypatch.setenv(name, value)
    with ZenClient() as client:
        client.create_flow("from-env", "ingester_stripe", STRIPE)
        event = client.ingest_event("ingester_stripe", {})
        wait_for_attempts(client, 1, event=event)
    assert zen_nb.load_attempts()["event_id"].tolist() == [event.id]


def test_a_service_that_omits_nulls_or_sends_new_values_still_gives_the_samedtypes_as_printed():
    """The tolerance of zen-api.md: fields left out, numbers as floats, offsets, values not known yet."""
    from zen_nb.frames import _append_attempts, _attempt_frame

    full = {
        "id": "att_1",
        "flowId": "flow_1",
        "eventId": "evt_1",
        "targetId": "dest_1",
        "attemptNumber": 1,
        "trigger": "initial",
        "status": "failed",
        "responseStatus": None,
        "errorCode": "timeout",
        "latencyMs": 10000,
        "createdAt": "2024-01-15T10:30:00Z",
        "region": "us-east-1",  # an unknown field: ignored
    }
    sparse = {"id": "att_2", "attemptNumber": 2.0, "trigger": "replay", "status": "cancelled", "latencyMs": 12.4}
    sparse["createdAt"] = "2024-01-15T12:30:00.250+02:00"
    columns: dict[str, list[Any]] = {name: [] for name in ATTEMPT_COLUMNS}
    _append_attempts(columns, [full])
    _append_attempts(columns, [])
    _append_attempts(columns, [sparse])
    frame = _attempt_frame(columns)
    assert dtypes_as_printed(frame) == EXPECTED_DTYPES
    assert frame["attempt_number"].tolist() == [1, 2] and frame["latency_ms"].tolist() == [10000, 12]
    assert frame["response_status"].isna().all() and frame["error_code"].iloc[1] is pd.NA
    assert frame["flow_id"].iloc[1] is pd.NA and frame["error_code"].iloc[0] == "timeout"
    assert list(frame["trigger"].cat.categories) == ["initial", "automatic", "manual", "resume", "replay"]
    assert list(frame["status"].cat.categories) == ["succeeded", "failed", "pending", "cancelled"]
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2024-01-15T10:30:00Z"),
        pd.Timestamp("2024-01-15T10:30:00.250Z"),
    ]


def test_text_columns_behave_alike_on_pandas_2_and_3():
    """What a user does with the text columns: no object or NaN surprises on either major version."""
    from zen_nb.frames import _append_attempts, _attempt_frame

    common = {"flowId": "flow_1", "targetId": "dest_1", "trigger": "initial", "createdAt": "2024-01-15T10:30:00Z"}
    page = [
        {**common, "id": "att_1", "eventId": "evt_1", "attemptNumber": 1, "status": "failed"},
        {**common, "id": "att_2", "eventId": "evt_2", "attemptNumber": 1, "status": "succeeded"},
    ]
    page[0].update(responseStatus=None, errorCode="timeout", latencyMs=10000)
    page[1].update(responseStatus=200, errorCode=None, latencyMs=12)
    columns: dict[str, list[Any]] = {name: [] for name in ATTEMPT_COLUMNS}
    _append_attempts(columns, page)
    frame = _attempt_frame(columns)
    assert dtypes_as_printed(frame) == EXPECTED_DTYPES
    for name in ("id", "flow_id", "event_id", "target_id", "error_code"):
        assert frame[name].dtype == pd.StringDtype("python") and frame[name].dtype.na_value is pd.NA, name
    errors = frame["error_code"]
    assert errors.iloc[1] is pd.NA and errors.isna().tolist() == [False, True]
    # == gives a nullable boolean: <NA> where the value is missing, and a mask takes <NA> as False.
    timeouts = errors == "timeout"
    assert str(timeouts.dtype) == "boolean" and timeouts.tolist() == [True, pd.NA]
    assert frame.loc[timeouts, "id"].tolist() == ["att_1"]
    assert frame.loc[frame["event_id"] != "evt_1", "id"].tolist() == ["att_2"]
    assert frame["id"].str.startswith("att_").all() and frame["event_id"].str[-1].tolist() == ["1", "2"]
    assert errors.fillna("HTTP " + frame["response_status"].astype("string")).tolist() == ["timeout", "HTTP 200"]
    assert frame.groupby("flow_id").size().to_dict() == {"flow_1": 2}
    assert frame[["id", "error_code"]].to_string().splitlines()[2].split() == ["1", "att_2", "<NA>"]


def test_a_load_of_many_pages_shows_a_bar_only_when_asked(client, capfd):
    client.create_flow("invoices", "ingester_stripe", STRIPE)
    report = client.simulate_traffic(events=1200, days=1)
    frame = zen_nb.load_attempts(client, progress=False)
    assert len(frame) == report["attempts"] > 1000 and frame["id"].is_unique
    assert "Loading attempts" not in capfd.readouterr().err
    assert len(zen_nb.load_attempts(client, progress=True)) == report["attempts"]
    assert "Loading attempts" in capfd.readouterr().err


def test_using_load_attempts_does_not_import_pandas_until_a_frame_is_made():
    code = "import sys, zen_nb\nzen_nb.load_attempts\nprint('pandas' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


# --- simulated traffic ----------------------------------------------------------------------


def test_simulate_traffic_writes_a_history_that_load_attempts_sees(client):
    client.create_flow("invoices", "ingester_stripe", STRIPE)
    client.create_flow("orders", "ingester_github", SLACK)
    client.create_flow("eu", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane=OTHER_PLANE)
    report = client.simulate_traffic(events=400, days=2, seed=3, failure_rate=0.3, start="2026-01-01T00:00:00Z")
    assert set(report) == {"tenantId", "events", "attempts", "flows", "start", "end", "seed"}
    assert (report["tenantId"], report["events"], report["flows"], report["seed"]) == ("tenant_demo", 400, 2, 3)
    assert (report["start"], report["end"]) == ("2026-01-01T00:00:00.000Z", "2026-01-03T00:00:00.000Z")

    frame = zen_nb.load_attempts(client)  # ZEN_PLANE_ID's plane: the plane simulated by default
    assert len(frame) == report["attempts"] >= 400 and dtypes_as_printed(frame) == EXPECTED_DTYPES
    assert frame["event_id"].nunique() == 400
    assert frame["created_at"].min() >= pd.Timestamp(report["start"])
    assert frame["created_at"].max() < pd.Timestamp(report["end"])
    assert set(frame["trigger"].unique()) == {"initial", "automatic"}  # a failure rate of 0.3 retries
    assert set(frame["status"].unique()) <= {"succeeded", "failed"}
    assert (frame.loc[frame["trigger"] == "initial", "attempt_number"] == 1).all()
    assert frame["latency_ms"].notna().all() and frame["error_code"].isna().any()
    assert zen_nb.load_attempts(client, planes=OTHER_PLANE).empty
    assert len(zen_nb.load_attempts(client, since="2026-01-02", until="2026-01-03")) < len(frame)

    everywhere = client.simulate_traffic(events=100, days=1, plane="all", start="2026-02-01T00:00:00Z")
    assert everywhere["flows"] == 3
    by_plane = zen_nb.load_attempts(client, planes="all", since="2026-02-01")
    assert len(by_plane) == everywhere["attempts"]
    assert not zen_nb.load_attempts(client, planes=OTHER_PLANE, since="2026-02-01").empty


def test_simulated_traffic_is_the_same_for_the_same_seed(client, api):
    def history(seed: int) -> pd.DataFrame:
        """A reset sandbox, the same flows by name, one simulation: attempts with flow names, no ids."""
        assert admin_post(api.box, "reset").status_code == 200
        client.create_flow("invoices", "ingester_stripe", STRIPE)
        client.create_flow("alerts", "ingester_stripe", SLACK)
        client.create_flow("orders", "ingester_github", REFUSING_HTTP)
        client.create_flow("archive", "ingester_shopify", "dest_s3_events_archive")
        report = client.simulate_traffic(events=500, days=3, seed=seed, failure_rate=0.2, start="2026-03-01")
        attempts = zen_nb.load_attempts(client)
        assert len(attempts) == report["attempts"]
        names = zen_nb.load_flows(client)[["id", "name"]].rename(columns={"id": "flow_id", "name": "flow"})
        named = attempts.merge(names, on="flow_id", how="left", validate="many_to_one")
        assert named["flow"].notna().all()
        named["event"] = pd.factorize(named["event_id"])[0]  # which attempts share an event, without its id
        return named.drop(columns=["id", "flow_id", "event_id"])

    first, again = history(11), history(11)
    assert first["flow"].nunique() == 4 and first["status"].eq("failed").any()
    pd.testing.assert_frame_equal(first, again)
    assert not history(12).equals(first)


def test_a_trainee_simulates_traffic_for_its_own_tenant(client, new_tenant):
    trainee = new_tenant()
    with client_for(trainee, ZEN_TENANT_ID=trainee.tenant_id, ZEN_API_TOKEN=trainee.token) as own:
        own.create_flow("invoices", "ingester_stripe", STRIPE)
        report = own.simulate_traffic(events=50, days=1)
        assert report["tenantId"] == trainee.tenant_id and report["events"] == 50
        assert len(zen_nb.load_attempts(own)) == report["attempts"]
    assert zen_nb.load_attempts(client).empty  # the demo tenant saw nothing


def test_simulate_traffic_without_an_active_flow_is_a_bad_request(client):
    client.pause_flow(client.create_flow("invoices", "ingester_stripe", STRIPE))
    with pytest.raises(BadRequestError) as raised:
        client.simulate_traffic(events=10)
    assert (raised.value.code, raised.value.field) == ("no_active_flow", "flows")
    assert "create a flow" in raised.value.fix, (
        raised.value.fix
    )  # the fix for this code, not "invalid flow configuration"


class _NoSimulation(BaseHTTPRequestHandler):
    """A service that is not the sandbox: every path is a plain-text 404."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"404 page not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def not_the_sandbox() -> Iterator[str]:
    with serving(_NoSimulation) as server:
        yield url_of(server)


def test_only_the_local_sandbox_simulates_traffic(api, not_the_sandbox):
    # A service of the contract's shape without /_sandbox/ (the sandbox's answer under another root)...
    elsewhere = {**api.box.env(), "ZEN_API_BASE": f"{api.base_url}/elsewhere"}
    # ...and a server whose 404 is not even JSON.
    plain = {**api.box.env(), "ZEN_API_BASE": not_the_sandbox}
    for env in (elsewhere, plain):
        with ZenClient(ZenConfig(environ=env)) as client:
            with pytest.raises(ZenError) as raised:
                client.simulate_traffic(events=10)
        error = raised.value
        assert type(error) is ZenError, error  # not an API error: nothing is wrong with the ids
        assert "only the local sandbox" in error.message and "zen-nb sandbox" in error.fix
        assert error.__cause__ is None and error.__suppress_context__


# --- errors ---------------------------------------------------------------------------------


def test_an_unknown_ingester_is_ingester_not_found(client):
    with pytest.raises(IngesterNotFound) as raised:
        client.ingest_event("ingester_nope", {"type": "x"})
    assert (raised.value.status, raised.value.code) == (404, "ingester_not_found")
    assert "list_ingesters()" in raised.value.fix


def test_an_event_that_is_not_an_object_is_a_bad_request(client):
    with pytest.raises(BadRequestError) as raised:
        client.ingest_event("ingester_stripe", [1, 2, 3])  # type: ignore[arg-type]
    assert raised.value.code == "invalid_json"


@pytest.mark.parametrize("call", ["get_attempt", "retry_attempt"])
def test_an_unknown_attempt_is_not_found(client, call):
    with pytest.raises(NotFoundError) as raised:
        getattr(client, call)("att_00000000000000000000")
    error = raised.value
    assert (error.status, error.code) == (404, "attempt_not_found")
    assert error.request_id.startswith("req_") and "list_attempts()" in error.fix
