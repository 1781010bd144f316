"""Schemathesis holds the sandbox to the document it serves at /openapi.json, over real HTTP.

Every operation is fuzzed (Schemathesis's examples, coverage and fuzzing phases, positive and
negative data) and then sequences of operations follow the document's links (the stateful phase:
create a flow, then get, patch, pause, resume or delete it by the id the answer gave). Every
check runs on every response: no 5xx, status codes, content types, headers and bodies as the
document says, schema-valid requests accepted and schema-invalid ones refused, auth not ignored,
unsupported methods refused, deleted objects gone and created ones there.

One check is narrowed, by :func:`accepts_schema_valid_data` and for a reason no schema can
express: a few schema-valid requests are refused because of what is *stored*, not because of
their shape (a cursor the API never issued, an Idempotency-Key already used for another
request, a flow's source or a target's type that differs from the stored one, a flow naming a
target of another type, a null url on a target of type http). Those answers are still checked
against the document like every other.

Two admin operations are not fuzzed, and the test says so rather than skipping them quietly:
``POST /_sandbox/reset`` wipes the database under the running scenarios (the stateful checks
would see their objects vanish), and ``POST /_sandbox/simulate`` may be asked for 200,000
events per call (its coverage phase would ask), minutes of work per request. Both have tests of
their own (every test's ``api`` fixture resets; ``test_simulate.py``).

The budget is bounded and the run reproducible: a fixed seed, derandomized generation, no
example database, a few examples per operation and a few short scenarios (well under two
minutes on two cores).
"""

from __future__ import annotations

import importlib
import pkgutil
import random
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.seed import INGESTERS, TARGETS

pytestmark = pytest.mark.slow


def _import_now(*packages: str) -> None:
    """Import every module of these packages while this file is collected, before any sandbox runs.

    Schemathesis and Hypothesis are pytest plugins, so pytest rewrites the asserts of their
    modules, parsing each one's source the first time it is imported (in a fresh venv). Left to
    the tests, that parse happens while this module's sandbox serves from threads of the same
    process, and CPython 3.11's AST construction keeps its recursion counter per interpreter, not
    per thread (python/cpython#106905): a parse racing another thread's compile fails with
    "SystemError: AST constructor recursion depth mismatch" (seen once in CI, on a fresh venv).
    """
    for package in packages:
        for module in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            try:
                importlib.import_module(module.name)
            except ImportError:  # a module for an optional dependency this venv does not have
                continue


_import_now("schemathesis.specs.openapi", "schemathesis.engine", "schemathesis.generation", "schemathesis.openapi")
importlib.import_module("hypothesis.stateful")

SEED = 20261201
MAX_EXAMPLES = 12  # per operation, in the fuzzing phase (examples and coverage add their own cases)
SCENARIOS = 100  # stateful sequences
V1_SCENARIOS = 40  # stateful sequences on the v1 form alone (15 operations)
V1 = "/v1/tenants/{tenantId}"
STEPS = 8  # calls per sequence, at most
NOT_FUZZED = {
    "POST /_sandbox/reset": "wipes the database under the running scenarios",
    "POST /_sandbox/simulate": "may be asked for 200,000 events per call",
    "POST /_sandbox/faults": "a rule it adds fails the requests of every other operation (tests/test_faults_*.py)",
}

OFF_THE_WALK = ("retryAttempts", "advanceClock", "getClock")  # no links: see the recipe form's walk

# Refusals that depend on the stored state, not on the request's shape: (status, code, field).
STATE_REFUSALS = {
    (400, "invalid_cursor", "cursor"),  # a cursor is valid only as a nextCursor the API issued
    (400, "source_immutable", "source"),  # PATCH: only the flow's stored source
    (400, "type_immutable", "type"),  # PATCH: only the target's stored type
    (400, "target_type_mismatch", "target.type"),  # the named target is stored with another type
    (400, "target_type_mismatch", "targets.type"),
    (400, "invalid_field", "url"),  # PATCH url null: refused only on a target stored as type http
    (422, "idempotency_key_reused", "Idempotency-Key"),  # the key was used for another request
}

SEED_TARGETS = [target[0] for target in TARGETS[sandbox_pkg.DEMO_PLANE_ID]]
TARGETS_BY_TYPE: dict[str, list[str]] = {}
for _id, _name, _type, _url in TARGETS[sandbox_pkg.DEMO_PLANE_ID]:
    TARGETS_BY_TYPE.setdefault(_type, []).append(_id)

CALLS: Counter[str] = Counter()  # requests per operation ("METHOD /path"), for the summary
CHECKED: Counter[str] = Counter()  # responses that went through every check
STATUSES: Counter[str] = Counter()  # answers per operation, status and error code
KEYS = [0]  # Idempotency-Keys seen, for fresh_idempotency_key


def accepts_schema_valid_data(ctx: schemathesis.CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """Schemathesis's positive_data_acceptance, except for the refusals in :data:`STATE_REFUSALS`."""
    if _state_refusal(response, case):
        return None
    return positive_data_acceptance(ctx, response, case)


def _state_refusal(response: Any, case: schemathesis.Case) -> bool:
    try:
        error = response.json()
        key = (response.status_code, error.get("code"), error.get("field"))
    except (ValueError, AttributeError):
        return False
    if key == (400, "invalid_field", "url"):
        return case.method.upper() == "PATCH" and isinstance(case.body, dict) and case.body.get("url") is None
    return key in STATE_REFUSALS


def tally(case: schemathesis.Case, response: Any, prefix: str = "") -> None:
    try:
        code = response.json().get("code") or ""
    except (ValueError, AttributeError):
        code = ""
    STATUSES[f"{prefix}{case.method.upper()} {case.path} {response.status_code} {code}".rstrip()] += 1


def fresh_idempotency_key(case: schemathesis.Case) -> None:
    """Make three generated Idempotency-Keys in four unique, as a client makes them.

    Generated keys repeat ("0", "a", ...): left as they are, nearly every POST would be the 422
    of a key used for another request, and no flow would ever be created. Every fourth key is
    left alone, so replays and the 422 are still met; a key that is empty or too long (negative
    data) is never changed.
    """
    key = (case.headers or {}).get("Idempotency-Key")
    KEYS[0] += 1
    if isinstance(key, str) and 1 <= len(key) <= 240 and KEYS[0] % 4:
        case.headers["Idempotency-Key"] = f"{key}-{KEYS[0]}"


def in_the_seeded_tenant(case: schemathesis.Case, box: sandbox_pkg.Sandbox, ids: random.Random) -> None:
    """Point a scenario's call at the demo tenant's plane, and a new or patched flow at the seed's objects.

    The state machine takes no parameter overrides from the configuration, so this does what
    its ``parameters`` and ``dictionaries`` do for the fuzzing. Only well-formed strings that are
    no id of the seed are replaced (an id a link carried is kept), and bodies only of positive
    cases (negative data stays negative).
    """
    params = case.path_parameters or {}
    for name, value in (("tenantId", box.tenant_id), ("planeId", box.plane_id)):
        if name in params:
            params[name] = value
    if _unknown_id(params.get("ingesterId"), INGESTERS) and ids.random() < 0.8:
        params["ingesterId"] = ids.choice(list(INGESTERS))
    body = case.body
    creates_a_flow = case.method.upper() == "POST" and case.path.endswith("/delivery-flows")
    # A PATCH along the create's link names targets too: a random one is a 404 target_not_found,
    # which Schemathesis reads as "the flow just created is not found".
    patches_a_flow = case.method.upper() == "PATCH" and case.path.endswith("/delivery-flows/{flowId}")
    if (
        not (creates_a_flow or patches_a_flow)
        or not isinstance(body, dict)
        or (case.meta and case.meta.generation.mode.is_negative)
    ):
        return
    for field in ("target", "targets"):
        if isinstance(body.get(field), list) and len(body[field]) > 1:
            body[field] = body[field][:1]  # fan-out is for Business+: the demo tenant is on team
    if creates_a_flow and _unknown_id(body.get("source"), INGESTERS):
        body["source"] = ids.choice(list(INGESTERS))  # a PATCH's source is immutable: its 400 is right
    for field in ("target", "targets"):
        refs = body.get(field)
        for ref in refs if isinstance(refs, list) else [refs]:
            if (
                isinstance(ref, dict)
                and ref.get("type") in TARGETS_BY_TYPE
                and _unknown_id(ref.get("id"), SEED_TARGETS)
            ):
                ref["id"] = ids.choice(TARGETS_BY_TYPE[ref["type"]])


def _unknown_id(value: Any, known: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 128 and value not in known


@pytest.fixture(scope="module")
def box() -> Iterator[sandbox_pkg.Sandbox]:
    """A sandbox of this module's own: what the fuzzing writes stays out of the other tests' way."""
    with sandbox_pkg.start(
        port=0, db=":memory:", rate_limit=(1_000_000, 1), admin_token="admin-" + secrets.token_hex(8)
    ) as started:
        yield started
    _summarize()


def _summarize() -> None:
    requests_made = sum(CALLS.values())
    checked = sum(CHECKED.values())
    print(f"\nschemathesis: {requests_made} cases on {len(CALLS)} method-path pairs, {checked} through every check")
    for name, count in sorted(STATUSES.items()):
        print(f"  {count:5d} {name}")


@pytest.fixture(scope="module")
def api_schema(box: sandbox_pkg.Sandbox) -> schemathesis.BaseSchema:
    """The served document, with the demo tenant's token and plane, the admin token, and the budget."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"positive_data_acceptance": {"enabled": False}},
            # Requests reach the routes only for the token's own tenant and an existing plane; and
            # flows are made (and then followed along the links) only from the seed's ingesters and
            # to its targets, so most ids come from the seed: random ones would all be 404s.
            "parameters": {
                "path.tenantId": box.tenant_id,
                "path.planeId": box.plane_id,
                "path.ingesterId": {"dictionary": "ingesters", "probability": 0.8},
                "body.source": {"dictionary": "ingesters", "probability": 0.8},
                "body.target.id": {"dictionary": "targets", "probability": 0.8},
                "body.targets[*].id": {"dictionary": "targets", "probability": 0.8},
                "path.targetId": {"dictionary": "targets", "probability": 0.3},
            },
            "dictionaries": {"ingesters": {"values": list(INGESTERS)}, "targets": {"values": SEED_TARGETS}},
            "auth": {"openapi": {"tenantToken": {"bearer": box.token}, "adminToken": {"bearer": box.admin_token}}},
            "operations": [{"include-name": name, "enabled": False} for name in NOT_FUZZED],
            "phases": {"stateful": {"max-steps": STEPS}},
            "output": {"sanitization": {"enabled": False}},  # the tokens are the sandbox's own
        }
    )
    return schemathesis.openapi.from_url(f"{box.base_url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4.32 names its subtests from ``node._nodeid``, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
def test_every_operation_answers_as_its_document_says(case: schemathesis.Case) -> None:
    CALLS[f"{case.method.upper()} {case.path}"] += 1
    fresh_idempotency_key(case)
    response = case.call_and_validate(additional_checks=[accepts_schema_valid_data])
    tally(case, response)
    CHECKED[f"{case.method.upper()} {case.path}"] += 1


def walk(schema: schemathesis.BaseSchema, box: sandbox_pkg.Sandbox, scenarios: int) -> None:
    """Schemathesis's stateful phase on ``schema``: sequences of calls along its links, each checked."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from the seed, so that it answers the same when Hypothesis
            # replays it: what earlier scenarios stored (a taken name, a used key) cannot change
            # which links open, which Hypothesis would report as a flaky strategy.
            response = requests.post(
                f"{box.base_url}/_sandbox/reset", headers={"Authorization": f"Bearer {box.admin_token}"}, timeout=30
            )
            assert response.status_code == 200, response.text
            KEYS[0] = 0
            self.ids = random.Random(SEED)

        def before_call(self, case: schemathesis.Case) -> None:
            in_the_seeded_tenant(case, box, self.ids)
            fresh_idempotency_key(case)

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            CALLS[f"stateful {case.method.upper()} {case.path}"] += 1
            tally(case, response, "stateful ")
            super().validate_response(response, case, additional_checks=[accepts_schema_valid_data], **kwargs)
            CHECKED[f"stateful {case.method.upper()} {case.path}"] += 1

    Workflow.run(
        settings=hypothesis.settings(
            Workflow.TestCase.settings,
            max_examples=scenarios,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
        )
    )


def answered(api_schema: schemathesis.BaseSchema, operation_id: str, status: str = "2") -> bool:
    """Whether the stateful phase got an answer of ``status`` (a prefix: "2" is any success) from an operation."""
    prefix = f"stateful {operation_path(api_schema, operation_id)} {status}"
    return any(name.startswith(prefix) for name in STATUSES)


def test_sequences_along_the_documents_links_answer_as_it_says(
    api_schema: schemathesis.BaseSchema, box: sandbox_pkg.Sandbox
) -> None:
    # The recipe form and the sandbox's own surface; the v1 form is walked on its own (below), so
    # that neither walk is thinned by the other's operations into 404s of made-up ids.
    # The batch retry and the delivery clock are left out of this walk too: no link leads to them or from
    # them, and with them in it the derandomized walk followed no created flow to its operations (every
    # step on them is a step not taken along a link). They are fuzzed above, through every check.
    walk(api_schema.exclude(path_regex="^/v1/").exclude(operation_id=list(OFF_THE_WALK)), box, SCENARIOS)

    # The links were followed from created objects to answers about them, not only to 404s.
    assert answered(api_schema, "createFlow", "201") and answered(api_schema, "createTarget", "201")
    flow_links = ("getFlow", "updateFlow", "pauseFlow", "resumeFlow", "deleteFlow")
    assert any(answered(api_schema, name) for name in flow_links)
    assert any(answered(api_schema, name) for name in ("getTarget", "updateTarget", "deleteTarget"))


def test_v1_sequences_along_its_links_answer_as_it_says(
    api_schema: schemathesis.BaseSchema, box: sandbox_pkg.Sandbox
) -> None:
    # The v1 creates link their objects' operations, by the tenant and the created id, as the
    # recipe form's do. (Which links a short derandomized walk reaches with a 2xx varies with the
    # machine, so the walk is held to its checks, and the links to their shape, not to a path.)
    paths = api_schema.raw_schema["paths"]
    for create, linked in (
        (
            "/v1/tenants/{tenantId}/delivery-flows",
            ("v1GetDeliveryFlow", "v1UpdateDeliveryFlow", "v1DeleteDeliveryFlow"),
        ),
        ("/v1/tenants/{tenantId}/destinations", ("v1GetDestination", "v1UpdateDestination", "v1DeleteDestination")),
    ):
        links = paths[create]["post"]["responses"]["201"]["links"]
        assert sorted(links) == sorted(linked)
        for name in linked:
            method, path = operation_path(api_schema, name).split(" ", 1)
            (id_name,) = [part[1:-1] for part in path.split("/") if part.startswith("{") and part != "{tenantId}"]
            assert links[name]["parameters"] == {"tenantId": "$request.path.tenantId", id_name: "$response.body#/id"}

    walk(api_schema.include(path_regex="^/v1/"), box, V1_SCENARIOS)
    # Every answer on the way passed every check (which operations a walk reaches varies with the
    # machine and with Schemathesis's version: the lowest-versions run reached no flow create).
    assert sum(count for name, count in CHECKED.items() if name.startswith("stateful ") and "/v1/" in name) >= 10


V1_FLOW_PUT = ("/v1/tenants/{tenantId}/delivery-flows/{flowId}", "PUT")


def test_no_schema_valid_v1_flow_put_is_refused_for_the_stored_source(
    api_schema: schemathesis.BaseSchema, box: sandbox_pkg.Sandbox
) -> None:
    """The flake this module had (ST202 in the v1 walk, now and then): the PUT's schema offered
    ``source_id``, so Schemathesis sent made-up sources and the server refused each for differing
    from the stored one. The document leaves it out now; no body it allows meets that 400."""
    path, method = V1_FLOW_PUT
    headers = {"Authorization": f"Bearer {box.token}"}
    v1_flows = f"{box.base_url}/v1/tenants/{box.tenant_id}/delivery-flows"
    made = requests.post(
        v1_flows,
        json={"name": "walked", "source_id": "ingester_stripe", "destination_id": SEED_TARGETS[0]},
        headers=headers,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    answers: Counter[str] = Counter()

    @hypothesis.given(case=api_schema[path][method].as_strategy())
    @hypothesis.settings(max_examples=60, derandomize=True, database=None, deadline=None)
    def put(case: schemathesis.Case) -> None:
        case.path_parameters = {"tenantId": box.tenant_id, "flowId": made.json()["id"]}
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        code = response.json().get("code", "") if response.status_code >= 400 else ""
        answers[f"{response.status_code} {code}".strip()] += 1
        assert code != "source_immutable", (case.body, response.text)

    put()
    assert sum(answers.values()) >= 20 and any(name.startswith("200") for name in answers), answers


def operation_path(api_schema: schemathesis.BaseSchema, operation_id: str) -> str:
    """``METHOD /path`` of an operation of the document, by its operationId."""
    for path, item in api_schema.raw_schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return f"{method.upper()} {path}"
    raise KeyError(operation_id)


def test_every_operation_but_the_named_two_was_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    """No operation of the document went untested unnoticed (runs after the fuzzing above)."""
    documented = {
        f"{method.upper()} {path}" for path, item in api_schema.raw_schema["paths"].items() for method in item
    }
    fuzzed = {name for name in CALLS if not name.startswith("stateful ")}
    assert documented - fuzzed == set(NOT_FUZZED)
    assert all(CHECKED[name] == CALLS[name] for name in CALLS)
