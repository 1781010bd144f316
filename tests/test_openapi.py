"""The served /openapi.json is exact: valid OpenAPI, and true to what the server answers.

Users generate clients and run contract tests from this document, so each point below is one a
generated client or a contract test would get wrong otherwise: the security schemes, every
operation's real error statuses in the one error shape (and no FastAPI 422), the headers, the
response schemas, PATCH fields that are not nullable where the server refuses null, and the
admin surface marked as the sandbox's own. ``test_schemathesis.py`` holds the server to it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from openapi_spec_validator import OpenAPIV31SpecValidator

from zen_nb.vocabulary import ATTEMPT_STATUSES, FLOW_STATUSES, MAX_PAGE_SIZE, NAME_PATTERN, PLANS, TARGET_TYPES

from helpers import Api, admin, assert_error

ERROR_REF = "#/components/schemas/Error"
PROBLEM_REF = "#/components/schemas/Problem"
TENANT_SECURITY = [{"tenantToken": []}, {"tenantApiKey": []}]
EVERY_RESPONSE = ("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
FLOWS = "/tenants/{tenantId}/clusters/{planeId}/delivery-flows"
TARGETS = "/tenants/{tenantId}/clusters/{planeId}/destinations"
ALIAS = "/tenants/{tenantId}/clusters/{planeId}/targets"
STRIPE = "dest_stripe_prod_us_east_1"


def of_a_tenant(path: str) -> bool:
    return path.startswith(("/tenants/", "/v1/tenants/"))


@pytest.fixture(scope="module")
def spec(sandbox) -> dict[str, Any]:
    response = requests.get(f"{sandbox.base_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def schema_of(spec: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    """A schema, with a ``$ref`` to a component followed."""
    ref = ref_or_schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def nullable(schema: dict[str, Any]) -> bool:
    types = schema.get("type")
    return (
        types == "null" or (isinstance(types, list) and "null" in types) or any(map(nullable, schema.get("anyOf", [])))
    )


def headers_of(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resolved = {}
    for name, header in response.get("headers", {}).items():
        if "$ref" in header:
            header = spec["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
        resolved[name] = header
    return resolved


def error_codes(response: dict[str, Any]) -> str:
    return response["description"]


def test_the_document_is_valid_openapi_with_no_error(spec: dict[str, Any]) -> None:
    errors = [error.message for error in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []
    assert spec["openapi"].startswith("3.1")


def test_tenant_id_is_declared_on_every_operation_of_every_path_that_has_it(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for name in (part[1:-1] for part in path.split("/") if part.startswith("{")):
            declared = [p for p in op.get("parameters", []) if p["in"] == "path" and p["name"] == name]
            assert declared and declared[0]["required"] is True, (method, path, name)


# A training class's operations that do not take the admin token as a bearer token alone: a trainee
# joins with no token, checks exercises with the tenant's; a browser opens the board with Basic.
CLASS_SECURITY = {
    ("post", "/_sandbox/class/join"): [],
    ("get", "/_sandbox/class/exercises"): [],
    ("post", "/_sandbox/class/exercises/{name}/check"): [{"tenantToken": []}],
    ("post", "/_sandbox/class/exercises/{name}/prepare"): [{"tenantToken": []}],
    ("get", "/_sandbox/class"): [{"adminToken": []}, {"adminBasic": []}],
}


def test_bearer_schemes_for_tenants_and_for_the_admin_none_on_health(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert {name: (s["type"], s.get("scheme") or s["name"]) for name, s in schemes.items()} == {
        "tenantToken": ("http", "bearer"),
        "tenantApiKey": ("apiKey", "X-API-Key"),
        "adminToken": ("http", "bearer"),
        "adminBasic": ("http", "basic"),
    }
    assert schemes["tenantApiKey"]["in"] == "header"
    for path, method, op in operations(spec):
        if of_a_tenant(path):
            assert op["security"] == TENANT_SECURITY, (method, path)
        elif path in ("/_sandbox/simulate", "/_sandbox/clock"):  # a tenant's token too, for its own tenant
            assert op["security"] == [{"adminToken": []}, {"tenantToken": []}], (method, path)
        elif (method, path) in CLASS_SECURITY:
            assert op["security"] == CLASS_SECURITY[method, path], (method, path)
        elif path.startswith("/_sandbox/"):
            assert op["security"] == [{"adminToken": []}], (method, path)
        else:
            assert path in ("/health", "/v1/health") and op["security"] == [], (method, path)


def test_no_422_validation_error_of_fastapi_anywhere(spec: dict[str, Any]) -> None:
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and "ValidationError" not in spec["components"]["schemas"]
    for path, method, op in operations(spec):
        if "422" in op["responses"]:  # only the idempotency key's, on the tenant's POSTs
            assert method == "post" and error_codes(op["responses"]["422"]).endswith(": `idempotency_key_reused`")
            assert path.startswith("/tenants/")


def test_every_error_response_is_the_error_schema_of_its_path(spec: dict[str, Any]) -> None:
    """The family's Error outside /v1/, RFC 9457's Problem as application/problem+json under it."""
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "code", "status", "message", "field", "request_id"}
    assert nullable(error["properties"]["field"]) and not nullable(error["properties"]["code"])
    assert error["properties"]["error"]["type"] == "string"
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code", "field", "request_id"}
    assert error["additionalProperties"] is False and problem["additionalProperties"] is False
    v1_errors = 0
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                if path.startswith("/v1/"):
                    v1_errors += 1
                    expected = {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
                else:
                    expected = {"application/json": {"schema": {"$ref": ERROR_REF}}}
                assert response["content"] == expected, (method, path, status)
    assert v1_errors, "no operation under /v1/ to check"


def test_each_operation_lists_what_its_middlewares_and_route_answer(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        answers = op["responses"]
        statuses = set(answers)
        assert "429" in statuses
        if of_a_tenant(path):
            assert {"401", "403", "404"} <= statuses, (method, path)
            assert "tenant_not_found" in answers["404"]["description"]
            if "{planeId}" in path:
                assert "plane_not_found" in answers["404"]["description"]
        if path.startswith("/_sandbox/"):
            assert ("401" in statuses) == bool(op["security"]), (method, path)
        assert ("413" in statuses) == (method != "get"), (method, path)
        if "requestBody" in op:
            assert "invalid_json" in answers["400"]["description"]
        query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        if "cursor" in query:
            assert "invalid_cursor" in answers["400"]["description"]
        posts_of_a_tenant = of_a_tenant(path) and method == "post"
        keys = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert bool(keys) == posts_of_a_tenant, (method, path)
        if posts_of_a_tenant:
            assert keys[0]["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
            assert "invalid_idempotency_key" in answers["400"]["description"]
            assert "idempotency_key_in_use" in answers["409"]["description"]
            reused = "409" if path.startswith("/v1/") else "422"  # another body with the same key
            assert "idempotency_key_reused" in answers[reused]["description"], (method, path)
    flows = spec["paths"][FLOWS]["post"]["responses"]
    assert "flow_name_conflict" in flows["409"]["description"]
    assert "plan_upgrade_required" in flows["403"]["description"]
    assert "target_type_mismatch" in flows["400"]["description"]
    assert "target_in_use" in spec["paths"][TARGETS + "/{targetId}"]["delete"]["responses"]["409"]["description"]


def test_the_headers_of_every_response(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            headers = headers_of(spec, response)
            for name in EVERY_RESPONSE:
                assert headers[name]["required"] is True, (method, path, status, name)
            assert ("Retry-After" in headers) == (status == "429")
            if status == "401":
                assert headers["WWW-Authenticate"]["required"] is True
            if status == "201" and path.startswith("/tenants/"):
                assert headers["Location"]["required"] is True
            if path.startswith("/tenants/") and method == "post" and status.startswith("2"):
                assert headers["Idempotent-Replayed"]["required"] is False


def test_every_answer_has_its_schema(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        (status,) = [status for status in op["responses"] if status.startswith("2")]
        content = op["responses"][status].get("content")
        if status == "204":
            assert content is None
        elif (method, path) == ("get", "/_sandbox/class"):  # the class board: a page
            assert content == {"text/html": {"schema": {"type": "string"}}}
        else:
            assert content["application/json"]["schema"]["$ref"].startswith("#/components/schemas/"), (method, path)
    schemas = spec["components"]["schemas"]
    lists = {
        "FlowList": "deliveryFlows",
        "TargetList": "destinations",
        "PlaneList": "clusters",
        "AdapterList": "adapters",
        "IngesterList": "ingesters",
        "AttemptList": "deliveryAttempts",
        "ClassTraineeList": "trainees",
        "EnrolledTrainees": "trainees",
        "ExerciseList": "exercises",
    }
    for name, key in lists.items():
        assert "data" not in schemas[name]["properties"], name
        assert key in schemas[name]["required"], name
    for name in ("FlowList", "TargetList", "PlaneList", "AdapterList", "IngesterList", "AttemptList"):
        assert set(schemas[name]["required"]) == {lists[name], "hasMore", "nextCursor"}
        assert nullable(schemas[name]["properties"]["nextCursor"])
    attempt = schemas["Attempt"]
    assert {key for key, value in attempt["properties"].items() if nullable(value)} == {
        "responseStatus",
        "errorCode",
        "latencyMs",
        "nextAttemptAt",
    }
    assert (
        "nextAttemptAt" in attempt["required"]
        and "dead letters" in attempt["properties"]["nextAttemptAt"]["description"]
    )
    assert attempt["properties"]["status"]["enum"] == list(ATTEMPT_STATUSES)
    flow, target = schemas["Flow"], schemas["Target"]
    assert {"description", "targets"}.isdisjoint(flow["required"]) and not nullable(flow["properties"]["description"])
    assert "url" in target["required"] and nullable(target["properties"]["url"])
    assert {"status", "config"} <= set(target["required"])
    assert target["properties"]["status"]["enum"] == ["provisioning", "active", "disabled"]
    assert schemas["Plane"]["properties"]["status"]["const"] == "ready"
    assert "retryPolicy" not in flow["required"] and "retryPolicy" in flow["properties"]
    assert flow["properties"]["status"]["enum"] == list(FLOW_STATUSES)
    assert schemas["Tenant"]["properties"]["plan"]["enum"] == list(PLANS)
    for name in ("Flow", "Target", "Attempt", "Error"):
        assert schemas[name]["additionalProperties"] is False


def test_patch_fields_are_nullable_exactly_where_the_server_takes_null(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    flow, target = schemas["FlowUpdate"]["properties"], schemas["TargetUpdate"]["properties"]
    assert {name for name, value in flow.items() if nullable(value)} == {"description", "retryPolicy"}
    assert {name for name, value in target.items() if nullable(value)} == {"description", "url"}
    assert "http" in target["url"]["description"]  # null clears a url, except on an http target
    for value in (*flow.values(), *target.values()):
        assert value.get("default", "none") is not None


def test_request_schemas_carry_the_contracts_rules(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for model in ("FlowCreate", "FlowUpdate", "TargetCreate", "TargetUpdate"):
        assert schemas[model]["properties"]["name"]["pattern"] == NAME_PATTERN
        assert schemas[model]["additionalProperties"] is False
    assert schemas["TargetRef"]["properties"]["type"]["enum"] == list(TARGET_TYPES)
    (url,) = [branch for branch in schemas["TargetCreate"]["properties"]["url"]["anyOf"] if branch["type"] == "string"]
    assert url["format"] == "uri" and url["pattern"].startswith("^[Hh][Tt][Tt][Pp][Ss]?://")
    assert schemas["FlowCreate"]["not"] == {"required": ["target", "targets"]}
    url_or_config_url = [branch["required"] for branch in schemas["TargetCreate"]["then"]["anyOf"]]
    assert url_or_config_url == [["url"], ["config"]]
    assert schemas["TargetCreate"]["properties"]["config"]["type"] == "object"
    assert schemas["TargetCreate"]["properties"]["config"]["maxProperties"] == 50
    assert {"status", "config"} <= set(schemas["TargetUpdate"]["properties"])
    listing = {p["name"]: p["schema"] for p in spec["paths"][FLOWS]["get"]["parameters"] if p["in"] == "query"}
    assert (listing["limit"]["minimum"], listing["limit"]["maximum"]) == (1, MAX_PAGE_SIZE)
    assert listing["status"]["enum"] == list(FLOW_STATUSES) and listing["targetType"]["enum"] == list(TARGET_TYPES)
    attempts = spec["paths"]["/tenants/{tenantId}/clusters/{planeId}/delivery-attempts"]["get"]["parameters"]
    times = {p["name"]: p["schema"] for p in attempts if p["name"] in ("since", "until")}
    assert times == {
        "since": {**times["since"], "format": "date-time"},
        "until": {**times["until"], "format": "date-time"},
    }


def test_the_batch_retry_and_the_clock_are_documented_as_they_answer(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    batch = spec["paths"]["/tenants/{tenantId}/clusters/{planeId}/delivery-attempts/retry"]["post"]
    assert batch["operationId"] == "retryAttempts"
    body = schema_of(spec, batch["requestBody"]["content"]["application/json"]["schema"])
    ids = body["properties"]["attemptIds"]
    assert body["required"] == ["attemptIds"] and body["additionalProperties"] is False
    assert (ids["type"], ids["minItems"], ids["maxItems"], ids["items"]["type"]) == ("array", 1, 100, "string")
    answer = batch["responses"]["202"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/BatchRetried"}
    assert set(schemas["BatchRetried"]["required"]) == {"queued", "attempts"}
    item = schemas["BatchRetryItem"]
    assert set(item["required"]) == {"attemptId", "status"} and set(item["properties"]) == {
        "attemptId",
        "status",
        "retryAttemptId",
    }
    assert item["properties"]["status"]["enum"] == ["queued", "skipped", "not_found"]
    assert "delivery_queue_full" in batch["responses"]["429"]["description"]
    assert "idempotency_key_reused" in batch["responses"]["422"]["description"]
    clock = spec["paths"]["/_sandbox/clock"]
    assert {clock["post"]["operationId"], clock["get"]["operationId"]} == {"advanceClock", "getClock"}
    advance = schema_of(spec, clock["post"]["requestBody"]["content"]["application/json"]["schema"])
    seconds = advance["properties"]["advanceSeconds"]
    assert advance["required"] == ["advanceSeconds"] and set(advance["properties"]) == {"advanceSeconds", "tenantId"}
    assert (seconds["type"], seconds["exclusiveMinimum"], seconds["maximum"]) == ("number", 0, 30 * 24 * 3600)
    for op, name, keys in (
        (clock["post"], "ClockAdvanced", {"advancedSeconds", "moved", "dueNow", "queued", "nextDueAt"}),
        (clock["get"], "Clock", {"dueNow", "queued", "nextDueAt"}),
    ):
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/" + name)
        assert set(schemas[name]["required"]) == set(schemas[name]["properties"]) == keys
        assert nullable(schemas[name]["properties"]["nextDueAt"])
        assert "forbidden" in op["responses"]["403"]["description"]
        assert "tenant_not_found" in op["responses"]["404"]["description"]
        assert "unauthenticated" in op["responses"]["401"]["description"]
    assert [p["name"] for p in clock["get"]["parameters"]] == ["tenantId"]


def test_the_admin_surface_is_marked_as_the_sandboxs_own(spec: dict[str, Any]) -> None:
    tags = {tag["name"]: tag["description"] for tag in spec["tags"]}
    assert "not part of the Zen Mesh API" in tags["sandbox admin"]
    assert "not part of the Zen Mesh API" in tags["training class"]
    for path, method, op in operations(spec):
        admin_surface = path.startswith("/_sandbox/")
        own = "training class" if path.startswith("/_sandbox/class") else "sandbox admin"
        assert len(op["tags"]) == 1, (method, path)  # Swagger UI and ReDoc show an operation once per tag
        assert (own in op["tags"]) == admin_surface, (method, path)
        assert op.get("description", "").startswith("Sandbox only") == admin_surface


def test_targets_are_at_destinations_and_targets_is_a_deprecated_alias_of_every_operation(spec: dict[str, Any]) -> None:
    for suffix in ("", "/{targetId}"):
        canonical, alias = spec["paths"][TARGETS + suffix], spec["paths"][ALIAS + suffix]
        assert set(canonical) == set(alias) and canonical
        for method, op in canonical.items():
            assert "deprecated" not in op, (method, suffix)
            twin = alias[method]
            assert twin["deprecated"] is True and twin["operationId"] == op["operationId"] + "Alias"
            assert twin["responses"].keys() == op["responses"].keys()
    assert "links" in spec["paths"][TARGETS]["post"]["responses"]["201"]


def test_links_lead_from_a_created_object_to_the_operations_on_it(spec: dict[str, Any]) -> None:
    ids = {op["operationId"] for _, _, op in operations(spec)}
    assert len(ids) == len(operations(spec))
    links = spec["paths"][FLOWS]["post"]["responses"]["201"]["links"]
    assert set(links) == {"getFlow", "updateFlow", "deleteFlow", "pauseFlow", "resumeFlow"}
    assert links["getFlow"]["parameters"] == {
        "tenantId": "$request.path.tenantId",
        "planeId": "$request.path.planeId",
        "flowId": "$response.body#/id",
    }
    assert {link["operationId"] for link in links.values()} <= ids


# What the document says of request bodies is what the server enforces: strict types, no null.


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"seed": 0}, "seed", "true or false"),
        ({"seed": "yes"}, "seed", "true or false"),
        ({"plan": None}, "plan", "cannot be null"),
        ({"name": 5}, "name", "must be a string"),
    ],
)
def test_admin_tenant_bodies_are_strict(api: Api, body: dict[str, Any], field: str, words: str) -> None:
    error = assert_error(admin(api, "POST", "tenants", json=body), 400, "invalid_field", field=field)
    assert words in error["message"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"events": 1.5}, "events", "whole number"),
        ({"events": "3"}, "events", "whole number"),
        ({"events": True}, "events", "whole number"),
        ({"days": True}, "days", "must be a number"),
        ({"seed": None}, "seed", "cannot be null"),
    ],
)
def test_admin_simulate_bodies_are_strict(api: Api, body: dict[str, Any], field: str, words: str) -> None:
    error = assert_error(admin(api, "POST", "simulate", json=body), 400, "invalid_field", field=field)
    assert words in error["message"]


def test_a_whole_number_written_with_a_point_is_a_whole_number(api: Api) -> None:
    """JSON Schema's integer takes 3.0; so does the server (a client in JavaScript cannot tell them apart)."""
    response = admin(api, "PUT", "delivery", json={"retrySchedule": [1, 2.5]})
    assert response.status_code == 200, response.text
    outcome = {"failures": [503.0, "timeout"]}
    path = "tenants/tenant_demo/clusters/plane_dev_us_east_1/targets/dest_slack_ops_alerts/outcome"
    response = admin(api, "PUT", path, json=outcome)
    assert response.status_code == 200, response.text
    assert response.json()["failures"] == [503, "timeout"]


@pytest.mark.parametrize("field", ["name", "status", "target", "targets", "source"])
def test_null_on_a_flow_field_that_takes_none_says_to_leave_it_out(api: Api, field: str) -> None:
    flow = api.create_flow("null-check").json()
    response = api.patch(f"{{plane}}/delivery-flows/{flow['id']}", json={field: None})
    error = assert_error(response, 400, "invalid_field", field=field)
    assert error["message"] == f"{field} cannot be null; leave it out to keep its current value"


def test_null_description_clears_it(api: Api) -> None:
    flow = api.create_flow("null-description", description="x").json()
    response = api.patch(f"{{plane}}/delivery-flows/{flow['id']}", json={"description": None})
    assert response.status_code == 200, response.text
    assert "description" not in response.json()


def test_a_v1_flow_put_offers_no_source_as_the_server_takes_none_but_its_own(spec: dict[str, Any], api: Api) -> None:
    """A schema that offered ``source_id`` would offer every value, and the server refuses all but the stored
    one (Schemathesis's walk met it now and then: a valid request refused). It is left out of the document,
    and the server still takes the flow's own source, so that a client sending it back keeps working."""
    put = spec["paths"]["/v1/tenants/{tenantId}/delivery-flows/{flowId}"]["put"]
    body = schema_of(spec, put["requestBody"]["content"]["application/json"]["schema"])
    assert "source_id" not in body["properties"] and body["additionalProperties"] is False
    assert "source_immutable" in body["description"] and "source_immutable" in put["responses"]["400"]["description"]
    v1 = f"{api.base_url}/v1/tenants/{api.tenant_id}/delivery-flows"
    made = api.session.post(v1, json={"name": "fixed", "source_id": "ingester_stripe", "destination_id": STRIPE})
    assert made.status_code == 201, made.text
    own = api.session.put(f"{v1}/{made.json()['id']}", json={"source_id": "ingester_stripe", "name": "still"})
    assert own.status_code == 200 and own.json()["name"] == "still", own.text
    other = api.session.put(f"{v1}/{made.json()['id']}", json={"source_id": "ingester_github"})
    assert other.status_code == 400 and other.json()["code"] == "source_immutable", other.text
