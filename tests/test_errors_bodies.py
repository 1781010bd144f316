"""Bodies the write paths refuse, produced for real: not JSON, not an object, not sent as JSON (400),
over 1 MiB (413), hostile (deep nesting, huge numbers), and a property test that throws arbitrary
JSON and bytes at the write paths and asserts that no request is a 5xx and every failure is the
error shape. How the error tests work: ``error_cases.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from error_cases import (
    BODY_ENDPOINTS,
    FLOWS,
    MIB,
    STRIPE,
    WRITE_ENDPOINTS,
    flow_body,
    post_raw,
    write_endpoint,
)
from helpers import Api, assert_error

# --- 400: not a JSON object --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": ',
        b"{name: 'x'}",
        b'{"name": "a",}',
        b'{"name": "a"} trailing',
        b"\xff\xfe{}",
        b'{"name": "\xff"}',
    ],
    ids=["truncated", "single-quotes", "trailing-comma", "trailing-garbage", "bom-junk", "invalid-utf8"],
)
def test_malformed_json_is_invalid_json(api: Api, raw: bytes) -> None:
    assert_error(post_raw(api, FLOWS, raw), 400, "invalid_json", field=None)


def test_empty_body_is_invalid_json(api: Api) -> None:
    assert_error(post_raw(api, FLOWS, b""), 400, "invalid_json", field=None)


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"5", b"true", b'[{"name": "a"}]'])
def test_body_that_is_not_a_json_object_is_invalid_json(api: Api, raw: bytes) -> None:
    error = assert_error(post_raw(api, FLOWS, raw), 400, "invalid_json", field=None)
    assert "object" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    [None, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
    ids=["no-content-type", "form", "multipart", "text-plain"],
)
def test_body_not_sent_as_json_is_invalid_json(api: Api, content_type: str | None) -> None:
    """A perfectly good flow body is still refused unless it is sent as application/json."""
    headers = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps(flow_body()).encode()
    error = assert_error(api.post(FLOWS, data=raw, headers=headers), 400, "invalid_json", field=None)
    assert "Content-Type" in error["message"]
    assert api.all_pages(FLOWS) == []


# --- 413 ---------------------------------------------------------------------------------


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_body_over_1_mib_is_payload_too_large(api: Api, endpoint: str, chunked: bool) -> None:
    method, path = write_endpoint(api, endpoint)
    raw = b"x" * (MIB + 1)
    response = post_raw(api, path, _chunks(raw) if chunked else raw, method=method)
    assert_error(response, 413, "payload_too_large", field=None)
    assert api.get("").status_code == 200  # the sandbox still answers afterwards


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_valid_json_over_1_mib_is_payload_too_large(api: Api, chunked: bool) -> None:
    raw = json.dumps(flow_body()).encode().ljust(MIB + 1)
    response = post_raw(api, FLOWS, _chunks(raw) if chunked else raw)
    assert_error(response, 413, "payload_too_large")
    assert api.all_pages(FLOWS) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_junk_of_exactly_1_mib_is_400_not_413(api: Api, chunked: bool) -> None:
    raw = b"x" * MIB
    assert_error(post_raw(api, FLOWS, _chunks(raw) if chunked else raw), 400, "invalid_json")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_valid_json_of_exactly_1_mib_is_accepted(api: Api, chunked: bool) -> None:
    raw = json.dumps(flow_body()).encode().ljust(MIB)
    assert len(raw) == MIB
    response = post_raw(api, FLOWS, _chunks(raw) if chunked else raw)
    assert response.status_code == 201, response.text


def test_body_over_1_mib_with_idempotency_key_is_413(api: Api) -> None:
    response = post_raw(api, FLOWS, b"x" * (MIB + 1), **{"Idempotency-Key": str(uuid.uuid4())})
    assert_error(response, 413, "payload_too_large")


# --- hostile bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000,
        b'{"name": "x", "description": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
    ids=["open-arrays", "balanced-arrays", "open-objects", "deep-field"],
)
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_deeply_nested_json_is_400(api: Api, endpoint: str, raw: bytes) -> None:
    method, path = write_endpoint(api, endpoint)
    response = post_raw(api, path, raw, method=method)
    assert response.status_code == 400, response.text[:500]
    assert_error(response, 400, response.json()["code"])


HUGE = "9" * 5000  # past Python's default int-from-text limit of 4300 digits


@pytest.mark.parametrize(
    "raw",
    [
        HUGE,
        "-" + HUGE,
        '{"name": ' + HUGE + "}",
        json.dumps(flow_body())[:-1] + ', "description": ' + HUGE + "}",
        json.dumps(flow_body(name=10**100)),
        json.dumps(flow_body(target={"id": 10**300, "type": "stripe"})),
        json.dumps(flow_body(description=1e308 * 10)),  # Infinity
        "1e999999",
    ],
    ids=[
        "top-level",
        "negative",
        "name-5000-digits",
        "description-5000-digits",
        "name-101-digits",
        "target-id-301-digits",
        "infinity",
        "float-overflow",
    ],
)
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_huge_numbers_are_400(api: Api, endpoint: str, raw: str) -> None:
    method, path = write_endpoint(api, endpoint)
    response = post_raw(api, path, raw.encode(), method=method)
    assert response.status_code == 400, response.text[:500]
    error = assert_error(response, 400, response.json()["code"])
    assert error["code"] in {"invalid_json", "invalid_field", "unknown_field", "missing_field"}


def test_huge_limit_is_400(api: Api) -> None:
    assert_error(api.get(FLOWS, params={"limit": HUGE}), 400, "invalid_field", field="limit")


# --- property test: nothing makes the sandbox answer 5xx --------------------------------

FIELD_NAMES = ["name", "source", "target", "targets", "id", "type", "description", "status", "url"]
PLAUSIBLE = [
    "invoice-flow",
    "ingester_stripe",
    "dest_stripe_prod_us_east_1",
    "dest_http_orders_webhook",
    "stripe",
    "http",
    "slack",
    "active",
    "paused",
    "https://example.com/hook",
    "",
]
TEXT = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates included
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT | st.sampled_from(PLAUSIBLE)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, children, max_size=5)
    ),
    max_leaves=20,
)
#: Bodies shaped like requests (known keys, arbitrary values), so the checks past parsing run too.
OBJECTS = st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, JSON_VALUES, max_size=6)
TARGET_REFS = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["dest_stripe_prod_us_east_1", "dest_slack_payments_alerts", "dest_nope"]) | SCALARS,
        "type": st.sampled_from(["stripe", "http", "slack", "s3"]) | SCALARS,
    }
)
VALID_BODIES = {
    "create-flow": flow_body("fuzz-flow"),
    "create-target": {"name": "fuzz-target", "type": "http", "url": "https://example.com/hook"},
    "patch-flow": {"name": "fuzz-flow", "description": "x", "status": "paused", "target": STRIPE},
    "ingest-event": {"type": "invoice.paid", "data": {"object": {"id": "in_1", "amount_paid": 4200}}},
}


def near_valid(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with up to two fields set to arbitrary values, and maybe one field dropped."""
    values = JSON_VALUES | TARGET_REFS | st.lists(TARGET_REFS, max_size=3)
    changes = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=2)
    dropped = st.sets(st.sampled_from(sorted(base)), max_size=1)
    return st.builds(lambda new, gone: {k: v for k, v in {**base, **new}.items() if k not in gone}, changes, dropped)


RAW_BYTES = st.binary(max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v).encode()).flatmap(
    lambda raw: st.integers(0, len(raw)).map(lambda cut: raw[:cut])  # truncated JSON
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", None]
)
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_no_fault(response: requests.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 300:
        assert_error(response, response.status_code, response.json()["code"])


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_arbitrary_json_never_faults(api: Api, endpoint: str) -> None:
    method, path = write_endpoint(api, endpoint)

    @FUZZ
    @given(body=JSON_VALUES | OBJECTS | near_valid(VALID_BODIES[endpoint]))
    def check(body: Any) -> None:
        _assert_no_fault(post_raw(api, path, json.dumps(body).encode(), method=method))

    check()


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize("raw", [b'{"\\uda7c": 1}', b'{"name": "\\udfff"}', b'{"source": {"\\ud800x": null}}'])
def test_a_lone_surrogate_in_a_key_or_value_is_a_400_whose_message_can_be_sent(
    api: Api, endpoint: str, raw: bytes
) -> None:
    """JSON may escape half of a UTF-16 pair (``"\\uda7c"``), which Python decodes to a string that has no
    UTF-8 form: the error that names it must still be sent (seen once by the fuzzer above, as a 500)."""
    method, path = write_endpoint(api, endpoint)
    response = post_raw(api, path, raw, method=method)
    assert response.status_code == 400, response.text[:500]
    assert_error(response, 400, response.json()["code"])


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_arbitrary_bytes_never_fault(api: Api, endpoint: str) -> None:
    method, path = write_endpoint(api, endpoint)

    @FUZZ
    @given(raw=RAW_BYTES, content_type=CONTENT_TYPES)
    def check(raw: bytes, content_type: str | None) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        _assert_no_fault(api.request(method, path, data=raw, headers=headers))

    check()
