"""The recipe family's error shape on every status the sandbox answers, whoever answers it.

The vendor's "Handle Errors and Rate Limits" recipe reads ``{error: "<Type>", message,
request_id}``; the kit keeps its finer ``code``, ``status`` and ``field`` beside them (contract
section 4). A route, a middleware (auth, hosts, body limit, idempotency, rate limit) and
Starlette's own 404/405 all answer through ``errors.error_document``: each is produced here for
real, over HTTP, and checked by :func:`helpers.assert_error` (exactly those six keys, the type name
of the status, ``request_id`` equal to ``X-Request-Id``). Under ``/v1/`` the same producers answer
RFC 9457 problem details instead (:func:`helpers.assert_problem`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.errors import error_document
from zen_nb.sandbox.seed import NEIGHBOUR_TENANT_ID

from error_cases import FLOWS, MIB, flow_body, post_raw, without_session_auth
from helpers import TYPE_NAMES, Api, admin_post, assert_error, assert_problem, start_of_a_fresh_window

DESTINATIONS = "{plane}/destinations"


def _conflict(api: Api) -> requests.Response:
    api.post(DESTINATIONS, json={"name": "taken-name", "type": "slack"})
    return api.post(DESTINATIONS, json={"name": "taken-name", "type": "slack"})


def _reused_key(api: Api) -> requests.Response:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert api.post(FLOWS, json=flow_body("first-body"), headers=key).status_code == 201
    return api.post(FLOWS, json=flow_body("second-body"), headers=key)


def _revoked_code(api: Api) -> requests.Response:
    added = admin_post(api.box, "class/trainees", json={"names": ["ada"]})
    assert added.status_code == 201, added.text
    code = added.json()["trainees"][0]["joinCode"]
    assert admin_post(api.box, "class/trainees/ada/revoke-code").status_code == 200
    return requests.post(f"{api.base_url}/_sandbox/class/join", json={"code": code}, timeout=30)


# (what answers, the request, its status, its code)
CASES: list[tuple[str, Callable[[Api], requests.Response], int, str]] = [
    ("pydantic (a route's body)", lambda api: api.post(FLOWS, json={"name": 5}), 400, "invalid_field"),
    ("Starlette's 400 (bad JSON)", lambda api: post_raw(api, FLOWS, b"{"), 400, "invalid_json"),
    ("auth middleware", lambda api: without_session_auth(api, "GET", FLOWS, None), 401, "unauthenticated"),
    (
        "auth middleware (another tenant)",
        lambda api: Api(api.box, tenant_id=NEIGHBOUR_TENANT_ID).get(""),
        403,
        "forbidden",
    ),
    (
        "hosts middleware",
        lambda api: api.get("", headers={"Host": "rebinding.example"}),
        403,
        "host_not_allowed",
    ),
    ("a route (unknown flow)", lambda api: api.get(f"{FLOWS}/flow_nope"), 404, "flow_not_found"),
    ("Starlette's 404 (no route)", lambda api: requests.get(f"{api.base_url}/nope", timeout=30), 404, "not_found"),
    ("Starlette's 405", lambda api: api.request("PUT", FLOWS), 405, "method_not_allowed"),
    ("the data layer (a name taken)", _conflict, 409, "target_name_conflict"),
    ("a class route (revoked code)", _revoked_code, 410, "join_code_revoked"),
    ("body limit middleware", lambda api: post_raw(api, FLOWS, b"x" * (MIB + 1)), 413, "payload_too_large"),
    ("idempotency middleware", _reused_key, 422, "idempotency_key_reused"),
]


@pytest.mark.parametrize(("producer", "call", "status", "code"), CASES, ids=[case[0] for case in CASES])
def test_every_producer_answers_the_family_shape(
    api: Api, producer: str, call: Callable[[Api], requests.Response], status: int, code: str
) -> None:
    body = assert_error(call(api), status, code)
    assert body["error"] == TYPE_NAMES[status]


def test_a_rate_limited_request_is_a_rate_limit_error_with_retry_after() -> None:
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(2, 60)) as box:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {box.token}"
        start_of_a_fresh_window()
        answers = [session.get(f"{box.base_url}/tenants/{box.tenant_id}", timeout=30) for _ in range(3)]
        v1 = session.get(f"{box.base_url}/v1/tenants/{box.tenant_id}/destinations", timeout=30)
    body = assert_error(answers[-1], 429, "rate_limited")
    assert body["error"] == "RateLimitError" and int(answers[-1].headers["Retry-After"]) >= 1
    assert_problem(v1, 429, "rate_limited")
    assert v1.json()["type"] == "https://docs.zen-mesh.io/errors/rate-limited"


V1_CASES: list[tuple[str, Callable[[Api], requests.Response], int, str, str]] = [
    (
        "auth middleware",
        lambda api: requests.get(f"{api.base_url}/v1/tenants/{api.tenant_id}/destinations", timeout=30),
        401,
        "unauthenticated",
        "authentication",
    ),
    (
        "Starlette's 404 (no route)",
        lambda api: requests.get(f"{api.base_url}/v1/nope", timeout=30),
        404,
        "not_found",
        "not-found",
    ),
    (
        "Starlette's 405",
        lambda api: api.session.request("PATCH", f"{api.base_url}/v1/health", timeout=30),
        405,
        "method_not_allowed",
        "method-not-allowed",
    ),
    (
        "body limit middleware",
        lambda api: api.session.post(
            f"{api.base_url}/v1/tenants/{api.tenant_id}/destinations",
            data=b"x" * (MIB + 1),
            headers={"Content-Type": "application/json"},
            timeout=30,
        ),
        413,
        "payload_too_large",
        "payload-too-large",
    ),
]


@pytest.mark.parametrize(("producer", "call", "status", "code", "slug"), V1_CASES, ids=[c[0] for c in V1_CASES])
def test_under_v1_the_same_producers_answer_problem_details(
    api: Api, producer: str, call: Callable[[Api], requests.Response], status: int, code: str, slug: str
) -> None:
    response = call(api)
    body = assert_problem(response, status, code)
    assert body["type"] == f"https://docs.zen-mesh.io/errors/{slug}"
    assert body["instance"] == requests.utils.urlparse(response.url).path


def test_a_problems_instance_is_the_path_as_a_uri_reference(api: Api) -> None:
    """A path that holds a space, a control character or an emoji comes back percent-encoded, once."""
    response = api.session.get(f"{api.base_url}/v1/nope/a%20b%07%F0%9F%98%80%2Fc%25d", timeout=30)
    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == "/v1/nope/a%20b%07%F0%9F%98%80%2Fc%25d"


def test_the_document_of_each_status_names_its_type_and_its_problem_slug() -> None:
    """The statuses no request can produce here on demand (a 500, a 503, one the recipe does not name)."""
    for status, name, slug in [
        (500, "InternalServerError", "internal-error"),
        (503, "ServiceUnavailableError", "service-unavailable"),
        (418, "HTTPError", "error"),
    ]:
        family, media = error_document("/tenants/t", status, "internal", "the fix", None, "req_1")
        assert (family["error"], family["status"], media) == (name, status, "application/json")
        problem, media = error_document("/v1/tenants/t", status, "internal", "the fix", None, "req_1")
        assert (problem["type"].rsplit("/", 1)[1], problem["instance"], media) == (
            slug,
            "/v1/tenants/t",
            "application/problem+json",
        )


def test_a_lone_surrogate_in_a_message_is_sent_as_the_replacement_character() -> None:
    family, _ = error_document("/x", 400, "invalid_field", "got '\ud800'", "na\udfffme", "req_1")
    problem, _ = error_document("/v1/\ud800", 400, "invalid_field", "got '\ud800'", None, "req_1")
    assert (family["message"], family["field"]) == ("got '\ufffd'", "na\ufffdme")
    assert (problem["detail"], problem["instance"]) == ("got '\ufffd'", "/v1/%EF%BF%BD")
