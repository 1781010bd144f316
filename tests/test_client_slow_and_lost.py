"""What the client raises when an answer is late or lost, and how a list goes on after a bad page.

Produced for real by the sandbox's fault rules (latency past the client's read time-out, a
dropped connection, 503s), over HTTP:

* an answer later than the read time-out, after the retries, is a :class:`ZenTimeoutError`
  (a :class:`ZenConnectionError`) whose fix says the API is up but slow, not "start the
  sandbox": requests reports it as a ``ConnectionError`` once urllib3's retries are spent;
* nothing listening stays a plain :class:`ZenConnectionError` with the start-the-sandbox fix,
  and ``reached`` tells the two apart (a dropped answer is ``reached`` too);
* a page of a list whose tries all met faults is fetched again from its own cursor, so a long
  list (and ``load_flows``) goes on; past :data:`~zen_nb.transport.PAGE_RESUMES` more calls, or
  for an error that calling again cannot mend, the error is raised.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from zen_nb import ServerError, ZenClient, ZenConfig, ZenConnectionError, ZenTimeoutError, transport
from zen_nb.transport import PAGE_RESUMES

from fault_helpers import add_fault, rule_now, without_faults
from helpers import Api

FLOWS = "/tenants/*/clusters/*/delivery-flows"
TRIES = 5  # one call and urllib3's four retries (transport.default_retry)


@pytest.fixture
def faults(api: Api) -> Iterator[Api]:
    """No fault rule before or after the test (fault_helpers.without_faults)."""
    yield from without_faults(api)


def quick_client(api: Api, **options: object) -> ZenClient:
    return ZenClient(ZenConfig(environ=api.box.env()), **options)


def test_an_answer_later_than_the_read_timeout_is_a_timeout_error_with_a_slow_fix(faults: Api) -> None:
    add_fault(faults, latencyMs=800, methods=["GET"], path=FLOWS)
    with quick_client(faults, timeout=(5, 0.2), retry=1) as client, pytest.raises(ZenTimeoutError) as caught:
        client.list_flows()
    error = caught.value
    assert isinstance(error, ZenConnectionError) and error.reached
    text = str(error)
    assert "took the request but did not answer within 0.2 s (GET /tenants/tenant_demo/clusters/" in text, text
    assert (
        "up but answered later than the 0.2 s" in error.fix
        and "client = zen_nb.ZenClient(timeout=(5, 60))" in error.fix
    )
    assert "start the local sandbox" not in error.fix
    assert faults.token not in text + error.fix + repr(error)


def test_nothing_listening_is_a_connection_error_that_says_how_to_start_the_sandbox() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    environ = {
        "ZEN_API_BASE": f"http://127.0.0.1:{port}",
        "ZEN_API_TOKEN": "zen_test_nothing_listens_here_0000",
        "ZEN_TENANT_ID": "tenant_demo",
        "ZEN_PLANE_ID": "plane_dev_us_east_1",
        "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
    }
    started = time.monotonic()
    with ZenClient(ZenConfig(environ=environ), retry=1) as client, pytest.raises(ZenConnectionError) as caught:
        client.list_flows()
    assert type(caught.value) is ZenConnectionError and not caught.value.reached
    assert "connection refused" in str(caught.value)
    assert "start the local sandbox" in caught.value.fix
    assert time.monotonic() - started < 10  # a refused list is not fetched again page by page


def test_a_dropped_answer_after_the_retries_is_a_connection_error_that_reached_the_api(faults: Api) -> None:
    add_fault(faults, drop=True, methods=["GET"], path=FLOWS)
    with quick_client(faults, retry=1) as client:
        with pytest.raises(ZenConnectionError) as caught:
            client.list_flows()
    assert type(caught.value) is ZenConnectionError and caught.value.reached


def test_a_page_whose_tries_all_met_503s_is_fetched_again_and_the_list_is_whole(faults: Api, client: ZenClient) -> None:
    clean = [flow["id"] for flow in client.list_flows()]
    rule = add_fault(faults, status=503, retryAfterSeconds=0, methods=["GET"], path=FLOWS, count=TRIES)
    with quick_client(faults) as faulted:
        assert [flow["id"] for flow in faulted.list_flows()] == clean
    assert rule_now(faults, rule["id"])["hits"] == TRIES  # the first call's five tries all failed


def test_a_page_that_keeps_failing_is_raised_after_its_resumes(faults: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "PAGE_RESUME_WAIT", 0.0)  # no pause between the resumes: a quick test
    rule = add_fault(faults, status=503, retryAfterSeconds=0, methods=["GET"], path=FLOWS)
    with quick_client(faults) as faulted, pytest.raises(ServerError) as caught:
        faulted.list_flows()
    assert caught.value.status == 503
    assert rule_now(faults, rule["id"])["hits"] == TRIES * (1 + PAGE_RESUMES)


def test_an_error_that_calling_again_cannot_mend_is_raised_at_once(faults: Api) -> None:
    rule = add_fault(faults, status=500, methods=["GET"], path=FLOWS)
    with quick_client(faults) as faulted, pytest.raises(ServerError) as caught:
        faulted.list_flows()
    assert caught.value.status == 500
    assert rule_now(faults, rule["id"])["hits"] == 1
