"""Writes through ``ZenClient`` under injected faults happen exactly once (issue 17, items 1 and 2).

A sandbox of this module's own (faults are global to a sandbox) fails about 30 % of the writes
on purpose: 503 and 429 before the write, a dropped connection before it, and the lost answers
(the write is committed, then a 503, a 500 or a dropped connection replaces its answer). The
client is built as a user builds it, with its default retries; where a call still raises (its
five tries all faulted, or a 500, which it does not retry), the test does what a user should:
calls again with the same ``idempotency_key``. Then, with no fault in force, the sandbox holds
exactly what was asked: every flow and target once (flow and target names are unique on a plane,
so a duplicate create would have raised a name conflict instead), every update's final state,
every deleted flow gone. Each rule's hits are asserted, so the faults did fire, of every kind.

Four client threads, each a tenant of its own with seeded rules of its own: a run repeats
request for request (see tests/reliability.py).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator

import pytest

from zen_nb import ZenClient
from zen_nb import sandbox as sandbox_pkg
from zen_nb.errors import FlowNameConflict, FlowNotFound, IdempotencyKeyReusedError, ServerError, ZenError
from zen_nb.objects import Flow, Target
from zen_nb.transport import checked_idempotency_key, part_key

from helpers import Api, admin, client_for, set_outcome, set_retry_schedule, wait_until
from reliability import (
    FLOWS,
    ONE_FLOW,
    TARGETS,
    TRANSIENT,
    USER_TRIES,
    WORKERS,
    UserRetries,
    flows_named,
    hits_by_kind,
    per_tenant,
    private_sandbox,
    rule,
    targets_named,
    tenant_client,
    user_client,
    worker_tenants,
    write_faults,
)

SOURCE = "ingester_stripe"
TARGET = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sandbox_pkg.Sandbox]:
    with private_sandbox(tmp_path_factory.mktemp("reliability-writes")) as box:
        yield box


@pytest.fixture
def zen(box: sandbox_pkg.Sandbox) -> Iterator[ZenClient]:
    with user_client(box) as client:
        yield client


def assert_every_kind_fired(hits: dict[str, int], requests: int) -> None:
    """Each rule fired at least once, and together they faulted a good share of the ``requests``."""
    assert all(count > 0 for count in hits.values()), hits
    assert sum(hits.values()) >= 0.15 * requests, hits


def test_200_flow_creates_under_30_percent_faults_make_exactly_200_flows(box):
    tenants = worker_tenants(box)
    prefix = f"rel-create-{uuid.uuid4().hex[:6]}-"
    kinds, rules = write_faults(tenants, ["POST"], FLOWS, seed=100)
    again = UserRetries()

    def create(client: ZenClient, worker: int) -> dict[str, Flow]:
        returned = {}
        for number in range(worker, 200, WORKERS):
            name, description = f"{prefix}{number:03d}", f"flow {number}"
            make = functools.partial(client.create_flow, name, SOURCE, TARGET, description=description)
            returned[name] = again(make, key=f"test-{name}")
        return returned

    with box.faults(*rules) as faults:
        returned = per_tenant(tenants, create)
        hits = hits_by_kind(faults, kinds)

    listed = [flow for tenant in tenants for flow in flows_named(tenant, prefix)]
    assert len(listed) == 200
    assert sorted(flow["name"] for flow in listed) == [f"{prefix}{number:03d}" for number in range(200)]
    assert len({flow["id"] for flow in listed}) == 200  # none missing, none twice
    # Each call gave the flow that exists: a replayed answer, never a conflict or a second flow.
    answered = {name: flow["id"] for made in returned for name, flow in made.items()}
    assert {flow["name"]: flow["id"] for flow in listed} == answered
    assert all(flow["description"] == f"flow {int(flow['name'][-3:])}" for flow in listed)
    assert_every_kind_fired(hits, 200)
    assert "ServerError" in again.raised, "no call raised: the same-key path was not exercised"


def test_a_create_that_raised_after_its_retries_gives_the_first_flow_when_called_again_with_its_key(box, zen):
    """The lost answer five times over: the flow was made at the first try; the client's four
    retries replayed it, each answer replaced by a 503, so the call raises. The same key again is
    the first flow, not a second one (nor a name conflict)."""
    name = f"rel-again-{uuid.uuid4().hex[:6]}"
    lost = rule("after-503", 1.0, 1, methods=["POST"], path=FLOWS, count=5)
    with box.faults(lost) as faults:
        with pytest.raises(ServerError) as raised:
            zen.create_flow(name, SOURCE, TARGET, idempotency_key=f"key-{name}")
        assert raised.value.status == 503 and raised.value.code == "injected_fault"
        assert faults.hits == 5  # the first try and the client's four retries
        flow = zen.create_flow(name, SOURCE, TARGET, idempotency_key=f"key-{name}")
    (listed,) = flows_named(Api(box), name)
    assert flow["id"] == listed["id"]


def test_without_a_key_of_its_own_a_call_again_after_a_lost_answer_is_not_the_first_flow(box, zen):
    """Why the keyword exists: the default key is new for each call, so the call again cannot be
    recognised as the same create (on a plane where names are unique it is a name conflict)."""
    name = f"rel-fresh-{uuid.uuid4().hex[:6]}"
    with box.faults(rule("after-503", 1.0, 1, methods=["POST"], path=FLOWS, count=5)):
        with pytest.raises(ServerError):
            zen.create_flow(name, SOURCE, TARGET)
    with pytest.raises(FlowNameConflict):
        zen.create_flow(name, SOURCE, TARGET)
    assert len(flows_named(Api(box), name)) == 1


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("", "1 to 255 characters"),
        ("k" * 256, "not 256"),
        ("two\nlines", "'\\n'"),
        ("clé", "'é'"),
        (7, "not int"),
        (" padded", "a space"),
    ],
)
def test_an_idempotency_key_the_api_would_refuse_is_refused_before_anything_is_sent(box, zen, key, said):
    name = f"rel-badkey-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ZenError) as raised:
        zen.create_flow(name, SOURCE, TARGET, idempotency_key=key)
    assert said in str(raised.value) and "idempotency_key" in str(raised.value)
    assert "printable ASCII" in raised.value.fix
    assert flows_named(Api(box), name) == []


def test_the_same_key_with_other_arguments_is_refused_not_applied(box, zen):
    name = f"rel-reuse-{uuid.uuid4().hex[:6]}"
    zen.create_flow(name, SOURCE, TARGET, idempotency_key=f"key-{name}")
    with pytest.raises(IdempotencyKeyReusedError) as raised:
        zen.create_flow(f"{name}-other", SOURCE, TARGET, idempotency_key=f"key-{name}")
    assert raised.value.status == 422
    assert flows_named(Api(box), f"{name}-other") == []


def test_100_target_creates_under_30_percent_faults_make_each_target_once(box):
    tenants = worker_tenants(box)
    prefix = f"rel-target-{uuid.uuid4().hex[:6]}-"
    kinds, rules = write_faults(tenants, ["POST"], TARGETS, seed=200)
    again = UserRetries()

    def create(client: ZenClient, worker: int) -> dict[str, Target]:
        returned = {}
        for number in range(worker, 100, WORKERS):
            name, url = f"{prefix}{number:03d}", f"https://hooks.example.com/{number}"
            returned[name] = again(functools.partial(client.create_target, name, "http", url=url), key=f"test-{name}")
        return returned

    with box.faults(*rules) as faults:
        returned = per_tenant(tenants, create)
        hits = hits_by_kind(faults, kinds)

    listed = [item for tenant in tenants for item in targets_named(tenant, prefix)]
    assert sorted(item["name"] for item in listed) == [f"{prefix}{number:03d}" for number in range(100)]
    assert len({item["id"] for item in listed}) == 100
    answered = {name: item["id"] for made in returned for name, item in made.items()}
    assert {item["name"]: item["id"] for item in listed} == answered
    assert all(item["url"] == f"https://hooks.example.com/{int(item['name'][-3:])}" for item in listed)
    assert_every_kind_fired(hits, 100)


def test_100_flow_updates_under_30_percent_faults_end_in_exactly_the_state_asked(box):
    """A PATCH carries no key: it is the same change however often it lands, so a lost answer is
    simply sent again (the client's retries, then the user's call again)."""
    tenants = worker_tenants(box)
    prefix = f"rel-update-{uuid.uuid4().hex[:6]}-"
    kinds, rules = write_faults(tenants, ["PATCH"], ONE_FLOW, seed=300)
    again = UserRetries()

    def wanted(number: int) -> tuple[str, str, str]:
        return f"{prefix}{number:03d}-renamed", f"updated {number}", "paused" if number % 2 else "active"

    def make(client: ZenClient, worker: int) -> dict[int, str]:
        return {n: client.create_flow(f"{prefix}{n:03d}", SOURCE, TARGET)["id"] for n in range(worker, 100, WORKERS)}

    def update(client: ZenClient, worker: int) -> None:
        for number, flow_id in made[worker].items():
            name, description, status = wanted(number)
            again(functools.partial(client.update_flow, flow_id, name=name, description=description, status=status))

    made = per_tenant(tenants, make)
    with box.faults(*rules) as faults:
        per_tenant(tenants, update)
        hits = hits_by_kind(faults, kinds)

    for tenant, ids in zip(tenants, made, strict=True):
        listed = {flow["id"]: flow for flow in flows_named(tenant, prefix)}
        assert set(listed) == set(ids.values())
        for number, flow_id in ids.items():
            now = listed[flow_id]
            assert (now["name"], now["description"], now["status"]) == wanted(number), now
    assert_every_kind_fired(hits, 100)


def test_100_flow_deletes_under_30_percent_faults_are_done_without_an_error_and_gone(box):
    """A DELETE whose answer was lost (a 503 or a drop after the delete) is retried by the client,
    finds the flow gone, and is done: no error. A user's call again after an error (the client's
    five tries all faulted) is a new call: there, the flow already gone is done too."""
    tenants = worker_tenants(box)
    prefix = f"rel-delete-{uuid.uuid4().hex[:6]}-"
    # No 500 here: the client does not retry it, so every one would be a user's call again.
    kinds, rules = write_faults(tenants, ["DELETE"], ONE_FLOW, seed=400, after_500=False)
    raised: list[str] = []

    def make(client: ZenClient, worker: int) -> list[str]:
        return [client.create_flow(f"{prefix}{n:03d}", SOURCE, TARGET)["id"] for n in range(worker, 100, WORKERS)]

    def delete(client: ZenClient, worker: int) -> None:
        for flow_id in made[worker]:
            for call in range(USER_TRIES):
                try:
                    assert client.delete_flow(flow_id) is None
                    break
                except TRANSIENT as error:
                    raised.append(type(error).__name__)
                except FlowNotFound:
                    assert call > 0, "a first DELETE found no flow"  # only a user's call again may
                    break

    made = per_tenant(tenants, make)
    with box.faults(*rules) as faults:
        per_tenant(tenants, delete)
        hits = hits_by_kind(faults, kinds)

    for tenant, ids in zip(tenants, made, strict=True):
        assert flows_named(tenant, prefix) == []
        with tenant_client(tenant) as client:
            for flow_id in ids[:3]:
                with pytest.raises(FlowNotFound):
                    client.get_flow(flow_id)
    assert_every_kind_fired(hits, 100)


def test_events_and_retries_called_again_with_their_key_are_made_once(box):
    """``ingest_event``, ``retry_attempt`` and ``retry_attempts`` take ``idempotency_key`` too: a
    500 after the write (which the client does not retry) raises, and the same key again gives
    the first call's event or attempt, never a second one."""
    (tenant,) = worker_tenants(box, 1)
    lost = functools.partial(rule, "after-500", 1.0, 1, methods=["POST"], count=1, tenant=tenant.tenant_id)
    with tenant_client(tenant) as client:
        flow = client.create_flow("rel-events", SOURCE, TARGET)

        def attempts() -> list[dict]:
            return [dict(item) for item in client.list_attempts(flow=flow)]

        with box.faults(lost(path="/tenants/*/clusters/*/ingesters/*/events")):
            with pytest.raises(ServerError):
                client.ingest_event(SOURCE, {"type": "charge.succeeded"}, idempotency_key="event-1")
            event = client.ingest_event(SOURCE, {"type": "charge.succeeded"}, idempotency_key="event-1")
        finished = lambda found: found and all(item["status"] != "pending" for item in found)  # noqa: E731
        first = wait_until(attempts, finished, 30, "the event's attempts, finished")
        assert [item["eventId"] for item in first] == [event["id"]]  # one event, not two

        with box.faults(lost(path="/tenants/*/clusters/*/delivery-attempts/*/retry")):
            with pytest.raises(ServerError):
                client.retry_attempt(first[0]["id"], idempotency_key="retry-1")
            retried = client.retry_attempt(first[0]["id"], idempotency_key="retry-1")
        with box.faults(lost(path="/tenants/*/clusters/*/delivery-attempts/*/retry")):
            with pytest.raises(ServerError):
                client.retry_attempts([first[0]["id"]], idempotency_key="retry-2")
            (outcome,) = client.retry_attempts([first[0]["id"]], idempotency_key="retry-2")
        manual = [item for item in attempts() if item["trigger"] == "manual"]
        assert sorted(item["id"] for item in manual) == sorted([retried["id"], outcome["retryAttemptId"]])
        assert {item["eventId"] for item in attempts()} == {event["id"]}


def test_a_v1_batch_retry_called_again_with_its_key_retries_each_delivery_once(box):
    """On the v1 form ``retry_attempts`` is a batch POST (``/v1/.../retry/batch``): its key is made
    from the caller's and the batch, so the same call again replays the batch, not a second one."""
    (tenant,) = worker_tenants(box, 1)
    schedule = admin(box, "GET", "delivery").json()["retrySchedule"]
    set_retry_schedule(tenant, [])  # no automatic retry: each failed delivery's latest attempt is its first
    set_outcome(tenant, TARGET["id"], successRate=0.0, latencyMs=5, failures=[503])
    v1 = client_for(
        tenant, ZEN_API_BASE=f"{box.base_url}/v1", ZEN_API_TOKEN=tenant.token, ZEN_TENANT_ID=tenant.tenant_id
    )
    try:
        with v1, tenant_client(tenant) as recipe:
            recipe.create_flow("rel-v1-retry", SOURCE, TARGET)
            for number in range(2):
                recipe.ingest_event(SOURCE, {"n": number})
            failed = wait_until(
                lambda: v1.list_attempts(status="failed"), lambda found: len(found) == 2, 30, "two failed attempts"
            )
            lost = rule("after-500", 1.0, 1, methods=["POST"], path="/v1/tenants/*/retry/batch", count=1)
            with box.faults(lost) as faults:
                with pytest.raises(ServerError):
                    v1.retry_attempts(failed, idempotency_key="batch-1")
                outcomes = v1.retry_attempts(failed, idempotency_key="batch-1")
                assert faults.hits == 1
            assert [outcome["status"] for outcome in outcomes] == ["queued", "queued"]
            manual = [item for item in recipe.list_attempts() if item["trigger"] == "manual"]
            assert sorted(item["id"] for item in manual) == sorted(outcome["retryAttemptId"] for outcome in outcomes)
    finally:
        set_retry_schedule(tenant, schedule)


def test_a_batch_key_made_from_a_long_key_stays_within_the_contracts_255_characters():
    """``retry_attempts`` sends one request per attempt (recipe form) or per 100 (v1), each with a
    key made from the caller's: a caller's key of 255 characters must still make valid keys, the
    same each time, one per request."""
    long_key = "k" * 255
    made = {part_key(long_key, part) for part in ("att_1", "att_2", 0, 100)}
    assert len(made) == 4 and all(len(key) <= 255 and checked_idempotency_key(key) for key in made)
    assert part_key(long_key, "att_1") == part_key(long_key, "att_1")
    assert part_key("mine", "att_1") == "mine:att_1" and part_key(None, "att_1") is None
