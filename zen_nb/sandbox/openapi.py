"""The served OpenAPI document, exact: FastAPI's document of the routes, completed once.

FastAPI knows the paths, parameters and request bodies; it does not know what the middlewares
answer (401/403/404 from auth, 413, 429, the idempotency errors), the headers every response
carries, the security schemes, or the shapes of the routes' dicts. This module adds them:
:data:`OPERATIONS` lists each operation's id, answer schema (``responses.py``) and its route's
own error codes; the rules in :func:`_error_codes` add what the middlewares answer on every
operation they cover. FastAPI's 422 (``HTTPValidationError``), which the server never sends, goes.
An error answer's schema follows its path, as ``errors.error_document`` does: the family's
``Error`` (``application/json``), or under ``/v1/`` RFC 9457's ``Problem``
(``application/problem+json``). An operation this module does not list (the v1 surface's) keeps
the success schema its route declares (``response_model``).
Users generate clients and run contract tests from this document (``tests/test_openapi.py``
validates it and ``tests/test_schemathesis.py`` holds the server to it).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from . import responses
from .idempotency import MAX_KEY_LENGTH, NOT_STORED_STATUSES
from .v1 import OPERATION_ERRORS as V1_OPERATION_ERRORS

TENANT = "/tenants/{tenantId}"
V1_TENANT = "/v1" + TENANT
PLANE = TENANT + "/clusters/{planeId}"
FLOWS = PLANE + "/delivery-flows"
FLOW = FLOWS + "/{flowId}"
TARGETS = PLANE + "/destinations"
TARGET = TARGETS + "/{targetId}"
ALIAS_TARGETS = PLANE + "/targets"  # the alias of TARGETS (routes_targets.py)
ATTEMPTS = PLANE + "/delivery-attempts"
ADMIN = "/_sandbox"
OUTCOME = ADMIN + "/tenants/{tenantId}/clusters/{planeId}/targets/{targetId}/outcome"
CLASS = ADMIN + "/class"
FAULTS = ADMIN + "/faults"
TRAINEE = CLASS + "/trainees/{trainee}"
EXERCISE = CLASS + "/exercises/{name}"

ADMIN_TAG = "sandbox admin"
CLASS_TAG = "training class"
TAGS = [
    {"name": "tenant", "description": "Your tenant, its planes (clusters), adapters and ingesters (flow sources)."},
    {"name": "targets", "description": "The destinations of delivery flows."},
    {"name": "delivery flows", "description": "One source to one target (several on business_plus)."},
    {"name": "events", "description": "Ingest an event: each active flow from the ingester delivers it."},
    {"name": "delivery attempts", "description": "Every attempt to deliver an event, and retrying one by hand."},
    {"name": "health", "description": "Liveness, without a token."},
    {
        "name": ADMIN_TAG,
        "description": "The sandbox's own surface, not part of the Zen Mesh API: a real service has none of "
        "these paths. They need the sandbox's admin token (printed when it starts); simulating traffic "
        "also takes a tenant's token, for its own tenant.",
    },
    {
        "name": CLASS_TAG,
        "description": "The sandbox's own too, not part of the Zen Mesh API: a training class served by the "
        "sandbox (`zen-nb class start`). Trainees join with a "
        "join code (no token) and get a tenant of their own; they check exercises with their tenant's token; "
        "the trainer manages the class and watches the board with the admin token.",
    },
]
SANDBOX_ONLY = "Sandbox only (not part of the Zen Mesh API)."

SECURITY_SCHEMES = {
    "tenantToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The tenant's API token (ZEN_API_TOKEN), for every path under /tenants/{tenantId} "
        "and /v1/tenants/{tenantId}.",
    },
    "tenantApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same token in the X-API-Key header, as some of the vendor's pages send it.",
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The sandbox's admin token, printed when it starts, for /_sandbox/ (sandbox only).",
    },
    "adminBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "The admin token as the password of HTTP Basic (any user name): how a browser opens the "
        "class board, /_sandbox/class (sandbox only).",
    },
}


def _header(description: str, schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


HEADERS = {
    "X-Request-Id": _header("The request's id; an error body's request_id is the same.", {"type": "string"}),
    "X-RateLimit-Limit": _header("Requests allowed per window, per token.", {"type": "integer", "minimum": 1}),
    "X-RateLimit-Remaining": _header("Requests left in this window.", {"type": "integer", "minimum": 0}),
    "X-RateLimit-Reset": _header("When the window ends, in Unix seconds.", {"type": "integer", "minimum": 0}),
    "Retry-After": _header(
        "Seconds to wait before retrying (0 only from a sandbox fault rule that says so).",
        {"type": "integer", "minimum": 0},
    ),
    "WWW-Authenticate": _header(
        "The scheme that would be accepted: Bearer (Basic on the class board, so that a browser asks for it).",
        {"type": "string"},
    ),
    "Cache-Control": _header("no-store: the answer holds a secret or changes by the second.", {"type": "string"}),
    "Content-Security-Policy": _header(
        "default-src 'none'; style-src 'unsafe-inline': the page loads nothing and runs no script.",
        {"type": "string"},
    ),
    "Location": _header("The path of the object created.", {"type": "string", "format": "uri-reference"}),
    "Idempotent-Replayed": _header(
        "Present (true) when this is the stored answer to an earlier request with the same Idempotency-Key.",
        {"type": "string", "enum": ["true"]},
        required=False,
    ),
}
EVERY_RESPONSE = ("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
TENANT_SECURITY = [{"tenantToken": []}, {"tenantApiKey": []}]
PROBLEM_MEDIA = "application/problem+json"

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retried POST safe: the same key with the same request within 24 hours replays the "
    "first answer if it was a success (with Idempotent-Replayed: true; an error is not kept, so the key can be "
    "sent again once the cause is fixed); with another request it is a 422 (a 409 under /v1/); while the first "
    "is still running, a 409. Keys are scoped to the token.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}

BODY_CODES = ("invalid_json", "invalid_field", "missing_field", "unknown_field")


@dataclass(frozen=True)
class Operation:
    """What FastAPI cannot know of one operation: its id, its answer's schema, its route's own errors."""

    operation_id: str
    answer: str | None  # a component of responses.py; None: no body (204)
    errors: dict[int, tuple[str, ...]] = field(default_factory=dict)
    links: tuple[str, ...] = ()  # operations that take this answer's id (see _links)
    # The security schemes, any one of which opens it; None: the path's (see _security). () is none.
    security: tuple[str, ...] | None = None
    media: str = "application/json"  # an answer that is a page: "text/html" (its schema: a string)
    headers: tuple[str, ...] = ()  # of the success answer, beyond those of every response


_NO_STORE = ("Cache-Control",)
_ADMIN_OR_TENANT = ("adminToken", "tenantToken")  # the admin token, or a tenant's for its own (tenant_scope.py)
_TRAINEE_NOT_FOUND = {404: ("trainee_not_found",)}
_EXERCISE_ERRORS = {403: ("forbidden",), 404: ("exercise_not_found",)}


_FLOW_LINKS = ("getFlow", "updateFlow", "deleteFlow", "pauseFlow", "resumeFlow")
_TARGET_LINKS = ("getTarget", "updateTarget", "deleteTarget")

# The v1 routes' own operations (named by their routes) that take a created object's id, as the
# recipe form's creates link theirs: Schemathesis's stateful phase walks them the same way.
V1_LINKS: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", V1_TENANT + "/delivery-flows"): ("v1GetDeliveryFlow", "v1UpdateDeliveryFlow", "v1DeleteDeliveryFlow"),
    ("post", V1_TENANT + "/destinations"): ("v1GetDestination", "v1UpdateDestination", "v1DeleteDestination"),
}

_RECIPE_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("get", "/health"): Operation("getHealth", "Health"),
    ("get", "/v1/health"): Operation("v1Health", "Health"),
    ("get", TENANT): Operation("getTenant", "Tenant"),
    ("get", TENANT + "/clusters"): Operation("listPlanes", "PlaneList"),
    ("get", PLANE): Operation("getPlane", "Plane"),
    ("get", PLANE + "/adapters"): Operation("listAdapters", "AdapterList"),
    ("get", PLANE + "/ingesters"): Operation("listIngesters", "IngesterList"),
    ("get", PLANE + "/ingesters/{ingesterId}"): Operation("getIngester", "Ingester", {404: ("ingester_not_found",)}),
    ("post", TARGETS): Operation(
        "createTarget", "Target", {400: ("invalid_field",), 409: ("target_name_conflict",)}, _TARGET_LINKS
    ),
    ("get", TARGETS): Operation("listTargets", "TargetList"),
    ("get", TARGET): Operation("getTarget", "Target", {404: ("target_not_found",)}),
    ("patch", TARGET): Operation(
        "updateTarget",
        "Target",
        {400: ("type_immutable", "invalid_field"), 404: ("target_not_found",), 409: ("target_name_conflict",)},
    ),
    ("delete", TARGET): Operation("deleteTarget", None, {404: ("target_not_found",), 409: ("target_in_use",)}),
    ("post", FLOWS): Operation(
        "createFlow",
        "Flow",
        {
            400: ("target_type_mismatch",),
            403: ("plan_upgrade_required",),
            404: ("ingester_not_found", "target_not_found"),
            409: ("flow_name_conflict",),
        },
        _FLOW_LINKS,
    ),
    ("get", FLOWS): Operation("listFlows", "FlowList"),
    ("get", FLOW): Operation("getFlow", "Flow", {404: ("flow_not_found",)}),
    ("patch", FLOW): Operation(
        "updateFlow",
        "Flow",
        {
            400: ("source_immutable", "target_type_mismatch"),
            403: ("plan_upgrade_required",),
            404: ("flow_not_found", "target_not_found"),
            409: ("flow_name_conflict",),
        },
    ),
    ("delete", FLOW): Operation("deleteFlow", None, {404: ("flow_not_found",)}),
    ("post", FLOW + "/pause"): Operation("pauseFlow", "Flow", {404: ("flow_not_found",)}),
    ("post", FLOW + "/resume"): Operation("resumeFlow", "Flow", {404: ("flow_not_found",)}),
    ("post", PLANE + "/ingesters/{ingesterId}/events"): Operation(
        "ingestEvent", "EventAccepted", {404: ("ingester_not_found",), 429: ("delivery_queue_full",)}
    ),
    ("get", ATTEMPTS): Operation("listAttempts", "AttemptList"),
    ("get", ATTEMPTS + "/{attemptId}"): Operation("getAttempt", "Attempt", {404: ("attempt_not_found",)}),
    ("post", ATTEMPTS + "/{attemptId}/retry"): Operation(
        "retryAttempt",
        "Attempt",
        {404: ("attempt_not_found", "flow_not_found"), 429: ("delivery_queue_full",)},
        ("getAttempt",),
    ),
    ("post", ATTEMPTS + "/retry"): Operation("retryAttempts", "BatchRetried", {429: ("delivery_queue_full",)}),
    ("post", ADMIN + "/reset"): Operation("resetSandbox", "ResetDone"),
    ("post", ADMIN + "/tenants"): Operation("createSandboxTenant", "CreatedTenant"),
    ("put", OUTCOME): Operation("setTargetOutcome", "Outcome", {404: ("target_not_found",)}),
    ("delete", OUTCOME): Operation("clearTargetOutcome", None),
    ("get", ADMIN + "/delivery"): Operation("getDeliverySettings", "DeliveryOverview"),
    ("put", ADMIN + "/delivery"): Operation("setDeliverySettings", "RetrySchedule"),
    ("get", FAULTS): Operation("listFaultRules", "FaultRuleList"),
    ("post", FAULTS): Operation("addFaultRule", "FaultRule", {409: ("too_many_fault_rules",)}, ("getFaultRule",)),
    ("delete", FAULTS): Operation("clearFaultRules", None),
    ("put", FAULTS): Operation("setFaultSeed", "FaultSeed"),
    ("get", FAULTS + "/{ruleId}"): Operation("getFaultRule", "FaultRule", {404: ("fault_rule_not_found",)}),
    ("delete", FAULTS + "/{ruleId}"): Operation("removeFaultRule", None, {404: ("fault_rule_not_found",)}),
    ("post", ADMIN + "/simulate"): Operation(
        "simulateTraffic",
        "Simulation",
        {
            400: ("invalid_field", "no_active_flow"),
            403: ("forbidden",),
            404: ("tenant_not_found", "plane_not_found", "flow_not_found"),
        },
    ),
    ("post", ADMIN + "/clock"): Operation(
        "advanceClock", "ClockAdvanced", {403: ("forbidden",), 404: ("tenant_not_found",)}, security=_ADMIN_OR_TENANT
    ),
    ("get", ADMIN + "/clock"): Operation(
        "getClock", "Clock", {403: ("forbidden",), 404: ("tenant_not_found",)}, security=_ADMIN_OR_TENANT
    ),
    ("post", CLASS + "/join"): Operation(
        "joinClass",
        "Joined",
        {400: ("invalid_field",), 404: ("join_code_not_found",), 410: ("join_code_revoked",)},
        security=(),
        headers=_NO_STORE,
    ),
    ("get", CLASS + "/trainees"): Operation("listClassTrainees", "ClassTraineeList", headers=_NO_STORE),
    ("post", CLASS + "/trainees"): Operation(
        "addClassTrainees", "EnrolledTrainees", {400: ("invalid_field",), 409: ("class_full",)}, headers=_NO_STORE
    ),
    ("post", TRAINEE + "/reset"): Operation("resetClassTrainee", "ClassReset", _TRAINEE_NOT_FOUND),
    ("post", CLASS + "/reset"): Operation("resetClass", "ClassReset"),
    ("post", TRAINEE + "/revoke-code"): Operation("revokeJoinCode", "TraineeCode", _TRAINEE_NOT_FOUND),
    ("post", TRAINEE + "/new-code"): Operation("newJoinCode", "TraineeCode", _TRAINEE_NOT_FOUND, headers=_NO_STORE),
    ("get", CLASS + "/progress"): Operation("getClassProgress", "ClassProgress", headers=_NO_STORE),
    ("get", CLASS): Operation(
        "getClassBoard",
        None,
        security=("adminToken", "adminBasic"),
        media="text/html",
        headers=("Cache-Control", "Content-Security-Policy"),
    ),
    ("get", CLASS + "/exercises"): Operation("listExercises", "ExerciseList", security=()),
    ("post", EXERCISE + "/check"): Operation(
        "checkExercise", "CheckResult", {401: ("unauthenticated",), **_EXERCISE_ERRORS}, security=("tenantToken",)
    ),
    ("post", EXERCISE + "/prepare"): Operation(
        "prepareExercise",
        "Prepared",
        {401: ("unauthenticated",), **_EXERCISE_ERRORS, 409: ("exercise_material_unavailable",)},
        security=("tenantToken",),
    ),
}


def _with_target_alias(operations: dict[tuple[str, str], Operation]) -> dict[tuple[str, str], Operation]:
    """The operations, and each one of ``.../destinations`` again at its alias ``.../targets`` (ids ``...Alias``)."""
    out = dict(operations)
    for (method, path), known in operations.items():
        if path == TARGETS or path.startswith(TARGETS + "/"):
            alias = ALIAS_TARGETS + path.removeprefix(TARGETS)
            out[method, alias] = replace(known, operation_id=known.operation_id + "Alias", links=())
    return out


OPERATIONS = _with_target_alias(_RECIPE_OPERATIONS)


def install_openapi(app: FastAPI) -> None:
    """Serve the exact document at /openapi.json: FastAPI's, built once, then completed."""
    fastapi_document = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(copy.deepcopy(fastapi_document()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add to FastAPI's document what the middlewares, headers and route answers make true."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _, answers = models_json_schema(
        [(model, "serialization") for model in responses.MODELS], ref_template="#/components/schemas/{model}"
    )
    schemas.update(answers.get("$defs", {}))
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = HEADERS
    document["tags"] = TAGS
    ids = {(method, path): op.operation_id for (method, path), op in OPERATIONS.items()}
    for path, item in document.get("paths", {}).items():  # the v1 routes name their own operations
        ids.update({(method, path): op["operationId"] for method, op in item.items() if _is_v1(path)})
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            _complete_operation(path, method, operation, OPERATIONS.get((method, path)), ids)
    return document


def _complete_operation(
    path: str, method: str, operation: dict[str, Any], known: Operation | None, ids: dict[tuple[str, str], str]
) -> None:
    admin, tenant = path.startswith(ADMIN + "/"), _of_a_tenant(path)
    if path in ("/health", "/v1/health"):
        operation["tags"] = ["health"]
        operation["security"] = []
    elif admin:
        operation["description"] = f"{SANDBOX_ONLY} {operation.get('description', '')}".strip()
        operation["security"] = [{name: []} for name in _security(path, known)]
        if path == CLASS or path.startswith(CLASS + "/"):
            operation["tags"] = [CLASS_TAG]  # one tag each: Swagger UI and ReDoc list an operation under every tag
    elif tenant:
        operation["security"] = copy.deepcopy(TENANT_SECURITY)
    if known is not None:
        operation["operationId"] = known.operation_id
    _complete_parameters(path, method, operation, idempotent=tenant and method == "post")
    _complete_body(operation)
    answers = operation.setdefault("responses", {})
    answers.pop("422", None)
    success = next(status for status in answers if status.startswith("2"))
    answers[success] = _success(path, method, int(success), known, ids, tenant, answers[success])
    for status, codes in sorted(_error_codes(path, method, operation, known).items()):
        answers[str(status)] = _error(path, status, codes, replayable=tenant and method == "post")


def _is_v1(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def _of_a_tenant(path: str) -> bool:
    """Whether the path is a tenant's (recipe form or v1): the tenant's token opens it."""
    return path.startswith((TENANT, V1_TENANT))


def _security(path: str, known: Operation | None) -> tuple[str, ...]:
    """The schemes of an admin path: the operation's own, else the admin token (or a tenant's, to simulate)."""
    if known is not None and known.security is not None:
        return known.security
    return ("adminToken", "tenantToken") if path == ADMIN + "/simulate" else ("adminToken",)


def _complete_parameters(path: str, method: str, operation: dict[str, Any], idempotent: bool) -> None:
    parameters = operation.setdefault("parameters", [])
    declared = {(p["in"], p["name"]) for p in parameters}
    for name in re.findall(r"{(\w+)}", path):
        if ("path", name) not in declared:  # a route that never names it: it is in the path all the same
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    for parameter in parameters:
        schema = parameter.get("schema", {})
        if parameter["in"] == "path":
            schema.setdefault("minLength", 1)
        if parameter["in"] == "query" and "anyOf" in schema:  # `x | None = None`: a query has no null
            (real,) = [branch for branch in schema.pop("anyOf") if branch.get("type") != "null"]
            schema.update(real)
        if parameter["name"] in ("since", "until", "from", "to"):  # from/to: the v1 aliases of since/until
            schema["format"] = "date-time"
    if idempotent:
        parameters.append(IDEMPOTENCY_KEY)
    if not parameters:
        del operation["parameters"]


def _complete_body(operation: dict[str, Any]) -> None:
    body = operation.get("requestBody")
    if body is None:
        return
    # `body: X | None = None` stays as FastAPI writes it, null included: no body, or null, means defaults.
    media = body["content"]["application/json"]
    schema = media["schema"]
    if "$ref" not in schema and "anyOf" not in schema:  # an ingested event: any JSON object
        media["schema"] = {"type": "object", "description": schema.get("description", "a JSON object")}


def _error_codes(path: str, method: str, operation: dict[str, Any], known: Operation | None) -> dict[int, set[str]]:
    """Each error status the operation answers, with its codes: the middlewares' and the route's."""
    codes: dict[int, set[str]] = {429: {"rate_limited"}}

    def add(status: int, *names: str) -> None:
        codes.setdefault(status, set()).update(names)

    add(403, "host_not_allowed")  # hosts.py: a Host the sandbox does not serve, on every operation
    query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    if _of_a_tenant(path):
        add(401, "unauthenticated")
        add(403, "forbidden")
        add(404, "tenant_not_found")
        if "{planeId}" in path:
            add(404, "plane_not_found")
        if method == "post":
            add(400, "invalid_idempotency_key")
            add(409, "idempotency_key_in_use", "idempotency_answer_too_large", "idempotency_answer_lost")
            add(409 if _is_v1(path) else 422, "idempotency_key_reused")
    elif path.startswith(ADMIN + "/") and _security(path, known):
        add(401, "unauthenticated")
    if method not in ("get", "head", "options"):
        add(413, "payload_too_large")
    if "requestBody" in operation:
        add(400, *BODY_CODES)
    if query:
        add(400, "invalid_field")
    if "cursor" in query:
        add(400, "invalid_cursor")
    for status, names in (known.errors if known else {}).items():
        add(status, *names)
    for status, names in V1_OPERATION_ERRORS.get((method, path), {}).items():  # the v1 routes' own
        add(status, *names)
    return codes


def _error(path: str, status: int, codes: set[str], replayable: bool) -> dict[str, Any]:
    names = list(EVERY_RESPONSE)
    if status == 429:
        names.append("Retry-After")
    if status == 401:
        names.append("WWW-Authenticate")
    if replayable and status not in NOT_STORED_STATUSES:
        names.append("Idempotent-Replayed")
    return {
        "description": f"{HTTPStatus(status).phrase}: {', '.join(f'`{code}`' for code in sorted(codes))}",
        "headers": _headers(names),
        "content": _error_content(path),
    }


def _error_content(path: str) -> dict[str, Any]:
    """An error's media type and schema at ``path``, as ``errors.error_document`` chooses them."""
    if _is_v1(path):
        return {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _success(
    path: str,
    method: str,
    status: int,
    known: Operation | None,
    ids: dict[tuple[str, str], str],
    tenant: bool,
    declared: dict[str, Any],
) -> dict[str, Any]:
    names = list(EVERY_RESPONSE)
    if status == 201 and path.startswith(TENANT):
        names.append("Location")
    if tenant and method == "post":
        names.append("Idempotent-Replayed")
    names += known.headers if known is not None else ()
    answer: dict[str, Any] = {"description": HTTPStatus(status).phrase, "headers": _headers(names)}
    if known is not None and known.media != "application/json":
        answer["content"] = {known.media: {"schema": {"type": "string"}}}
    elif known is not None and known.answer is not None:
        answer["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{known.answer}"}}}
    elif known is None and status != 204 and _declares_a_schema(declared):
        answer["content"] = declared["content"]  # the route's own response_model (the v1 surface's)
    links = known.links if known is not None else V1_LINKS.get((method, path), ())
    if links:
        answer["links"] = _links(links, ids)
    return answer


def _declares_a_schema(answer: dict[str, Any]) -> bool:
    """Whether FastAPI's success answer has a real schema (a route's ``response_model``), not the empty ``{}``."""
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    return bool(schema)


def _links(targets: tuple[str, ...], ids: dict[tuple[str, str], str]) -> dict[str, Any]:
    """Links from a created object to the operations on it: the same tenant (and plane, on the recipe form), its id."""
    links = {}
    for operation_id in targets:
        (path,) = [p for (_, p), known in ids.items() if known == operation_id]
        parameters = {name: f"$request.path.{name}" for name in ("tenantId", "planeId") if f"{{{name}}}" in path}
        parameters[re.findall(r"{(\w+)}", path)[-1]] = "$response.body#/id"
        links[operation_id] = {"operationId": operation_id, "parameters": parameters}
    return links


def _headers(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}
