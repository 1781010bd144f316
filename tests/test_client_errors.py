"""``ZenClient`` against the real sandbox: every error class it raises, and its happy paths.

Each error is produced for real (HTTP to the sandbox, no mocks) through the client's own
methods; the two that the client's methods cannot send (changing a flow's source, reusing an
idempotency key with another body) go through its transport, ``client._http``. For every error
:func:`check_error` asserts the exact class and its parents, ``status``, ``code``, ``field``,
the ``req_`` request id, the message, a fix in the words of the recipe's "Common Errors", and
how it shows: ``str(error)`` holds the message and the fix, and ``_render_traceback_()`` (what
IPython prints) is at most four lines, "ClassName: message" first, with no traceback frames.

The happy paths follow, one test per group of calls: the catalog, targets, creating flows
(the recipe's payload, the three ways to name a target, ``plane=``), lists and their filters,
updates, pause/resume, delete, and the objects the client returns.

The ``api`` fixture resets the sandbox to its seed: the demo tenant on plan ``team``, plane
``plane_dev_us_east_1`` (``ZEN_PLANE_ID``) and ``plane_prod_eu_west_1``.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid

import pytest

import zen_nb
from zen_nb.errors import ZenAPIError, ZenError
from zen_nb.objects import Adapter, Flow, Ingester, Plane, Target, Tenant
from zen_nb.sandbox.schemas import NAME_RULE

from forms import FORMS, client_in
from helpers import Api, client_for

PLANE = "plane_dev_us_east_1"
OTHER_PLANE = "plane_prod_eu_west_1"
RECIPE_NAME = "production-invoice-claims-flow"
STRIPE = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
SLACK = {"id": "dest_slack_payments_alerts", "type": "slack"}
S3 = {"id": "dest_s3_events_archive", "type": "s3"}
HTTP = {"id": "dest_http_orders_webhook", "type": "http"}
WRONG_TOKEN = "zen_test_WRONG_r8Tz3Qm5Nb"
PUBLIC_TOKEN_PREFIX = "zen_test_"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
FLOW_FIELDS = {"id", "name", "source", "target", "status", "createdAt", "updatedAt"}


# --- helpers and fixtures -------------------------------------------------------------------

both_forms = pytest.mark.parametrize("client", FORMS, indirect=True)
"""Runs a test once with a recipe-form client and once with a v1 client of the same sandbox."""


@pytest.fixture
def client(api: Api, request: pytest.FixtureRequest):
    """The demo tenant's client: the recipe form, or the form a test's ``both_forms`` gives."""
    with client_in(api, getattr(request, "param", "recipe")) as made:
        yield made


def rendered(error: ZenError) -> list[str]:
    """The lines IPython prints for the error."""
    return "\n".join(error._render_traceback_()).splitlines()


def assert_no_secret(text: str, token: str, *, every_piece: bool) -> None:
    """Neither the token, nor its last 8 characters, nor its secret part is in ``text``; with
    ``every_piece`` (for a fixed token, so the check cannot flake) no 4 characters of it either."""
    secret = token.removeprefix(PUBLIC_TOKEN_PREFIX)
    pieces = {token, token[-8:], secret}
    if every_piece:
        pieces |= {secret[i : i + 4] for i in range(len(secret) - 3)}
    leaked = sorted(piece for piece in pieces if piece in text)
    assert not leaked, f"token pieces {leaked} in {text!r}"


def check_error(
    error: BaseException,
    chain: tuple[type[ZenError], ...],
    *,
    status: int,
    code: str,
    field: str | None = None,
    message: tuple[str, ...] = (),
    fix: tuple[str, ...] = (),
) -> None:
    """The error is exactly ``chain[0]``, whose parents are the rest of ``chain``, with these
    attributes, a message holding every ``message`` piece and a fix holding every ``fix`` piece."""
    assert type(error) is chain[0], repr(error)
    assert type(error).__mro__[: len(chain) + 1] == (*chain, Exception)
    assert isinstance(error, ZenError)
    assert isinstance(error, ZenAPIError)
    assert error.status == status
    assert error.code == code
    assert error.field == field
    assert error.request_id is not None and error.request_id.startswith("req_"), error.request_id
    for piece in message:
        assert piece in error.message, (piece, error.message)
    for piece in fix:
        assert piece in error.fix, (piece, error.fix)
    assert error.message and error.fix
    assert error.message in str(error) and error.fix in str(error)
    lines = rendered(error)
    assert 2 <= len(lines) <= 4, lines
    assert lines[0] == f"{type(error).__name__}: {error.message}"
    assert any(line.lstrip().startswith(f"Fix: {error.fix}") for line in lines), lines
    assert any(error.request_id in line for line in lines), lines
    assert not any("Traceback" in line or 'File "' in line for line in lines), lines


def raised(call, *args, **kwargs) -> ZenError:
    """The ZenError that ``call(*args, **kwargs)`` raises."""
    with pytest.raises(ZenError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- 400 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Production Flow", "invoice_flow", "1-invoices", "-invoices", "a" * 65, ""])
def test_a_bad_flow_name_is_a_bad_request_with_the_name_rule(client, name):
    error = raised(client.create_flow, name, "ingester_stripe", STRIPE)
    check_error(
        error,
        (zen_nb.BadRequestError, ZenAPIError, ZenError),
        status=400,
        code="invalid_field",
        field="name",
        message=(NAME_RULE,),
        fix=("Invalid flow configuration",),
    )
    assert client.list_flows() == []


def test_a_wrong_target_type_is_a_target_type_mismatch(client):
    error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", {"id": STRIPE["id"], "type": "slack"})
    check_error(
        error,
        (zen_nb.TargetTypeMismatch, zen_nb.BadRequestError, ZenAPIError, ZenError),
        status=400,
        code="target_type_mismatch",
        field="target.type",
        message=(STRIPE["id"], "'stripe'", "'slack'"),
        fix=("Invalid flow configuration", "target type"),
    )


def test_changing_a_flows_source_is_a_bad_request_source_immutable(client):
    flow = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    path = f"/clusters/{PLANE}/delivery-flows/{flow.id}"
    error = raised(client._http.request, "PATCH", path, body={"source": "ingester_github"})
    check_error(
        error,
        (zen_nb.BadRequestError, ZenAPIError, ZenError),
        status=400,
        code="source_immutable",
        field="source",
        message=("ingester_stripe", "ingester_github"),
        fix=("source is fixed", "create a new flow"),
    )
    assert client.get_flow(flow).source == "ingester_stripe"


def test_update_flow_has_no_source_keyword(client):
    assert "source" not in inspect.signature(client.update_flow).parameters


# --- 401, 403 -------------------------------------------------------------------------------


def test_a_wrong_token_is_unauthorized_and_never_shown(api):
    with client_for(api, ZEN_API_TOKEN=WRONG_TOKEN) as client:
        error = raised(client.get_tenant)
    check_error(
        error,
        (zen_nb.UnauthorizedError, ZenAPIError, ZenError),
        status=401,
        code="unauthenticated",
        message=("ZEN_API_TOKEN",),
        fix=("ZEN_API_TOKEN",),
    )
    for text in (str(error), repr(error), *rendered(error), json.dumps(error.body)):
        assert_no_secret(text, WRONG_TOKEN, every_piece=True)


def test_a_token_of_another_tenant_is_forbidden(api, new_tenant):
    other_token = new_tenant().token
    with client_for(api, ZEN_API_TOKEN=other_token) as client:
        error = raised(client.get_tenant)
        assert_no_secret(repr(client), other_token, every_piece=False)
    check_error(
        error,
        (zen_nb.ForbiddenError, ZenAPIError, ZenError),
        status=403,
        code="forbidden",
        message=(api.box.tenant_id,),
        fix=("ZEN_TENANT_ID", "ZEN_API_TOKEN"),
    )
    for text in (str(error), repr(error), *rendered(error)):
        assert_no_secret(text, other_token, every_piece=False)


def test_fan_out_on_plan_team_needs_a_plan_upgrade(client):
    error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", [STRIPE, SLACK])
    check_error(
        error,
        (zen_nb.PlanUpgradeRequired, zen_nb.ForbiddenError, ZenAPIError, ZenError),
        status=403,
        code="plan_upgrade_required",
        field="targets",
        message=("Business+", "'team'"),
        fix=("Single target per flow", "one flow per target", "Business+"),
    )
    assert client.list_flows() == []


def test_fan_out_on_plan_business_plus_makes_a_flow_with_targets(api, new_tenant):
    tenant = new_tenant(plan="business_plus")
    with client_for(api, ZEN_API_TOKEN=tenant.token, ZEN_TENANT_ID=tenant.tenant_id) as client:
        assert client.get_tenant().plan == "business_plus"
        flow = client.create_flow("fan-out-flow", "ingester_stripe", [STRIPE, SLACK])
        assert isinstance(flow, Flow)
        assert flow["targets"] == [STRIPE, SLACK]
        assert flow.target == STRIPE
        assert client.get_flow(flow) == flow


# --- 404 ------------------------------------------------------------------------------------

PLANE_NOT_FOUND_FIX = ("The plane ID does not exist", "ZEN_PLANE_ID", "list_planes()")


@pytest.mark.parametrize("how", ["plane keyword on create_flow", "plane keyword on get_plane", "ZEN_PLANE_ID"])
def test_an_unknown_plane_is_plane_not_found(api, how):
    env = {"ZEN_PLANE_ID": "plane_nowhere"} if how == "ZEN_PLANE_ID" else {}
    with client_for(api, **env) as client:
        if how == "plane keyword on get_plane":
            error = raised(client.get_plane, "plane_nowhere")
        else:
            plane = {"plane": "plane_nowhere"} if how.startswith("plane keyword") else {}
            error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", STRIPE, **plane)
    check_error(
        error,
        (zen_nb.PlaneNotFound, zen_nb.NotFoundError, ZenAPIError, ZenError),
        status=404,
        code="plane_not_found",
        message=("plane_nowhere",),
        fix=PLANE_NOT_FOUND_FIX,
    )


def test_except_not_found_error_catches_plane_not_found(client):
    try:
        client.get_plane("plane_nowhere")
    except zen_nb.NotFoundError as error:
        assert isinstance(error, zen_nb.PlaneNotFound)
    else:
        pytest.fail("no NotFoundError")


@both_forms
def test_an_unknown_source_is_ingester_not_found(client):
    error = raised(client.create_flow, RECIPE_NAME, "ingester_nowhere", STRIPE)
    check_error(
        error,
        (zen_nb.IngesterNotFound, zen_nb.NotFoundError, ZenAPIError, ZenError),
        status=404,
        code="ingester_not_found",
        field=None if client.dialect.name == "recipe" else "source_id",  # v1 names its own field
        message=("ingester_nowhere",),
        fix=("The ingester ID does not exist", "source", "list_ingesters()"),
    )


def test_get_ingester_of_an_unknown_id_is_ingester_not_found(client):
    error = raised(client.get_ingester, "ingester_nowhere")
    assert type(error) is zen_nb.IngesterNotFound and error.code == "ingester_not_found"


@both_forms
@pytest.mark.parametrize("how", ["get_target", "create_flow to it"])
def test_an_unknown_target_is_target_not_found(client, how):
    if how == "get_target":
        error = raised(client.get_target, "dest_nowhere")
    else:
        error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", {"id": "dest_nowhere", "type": "stripe"})
    check_error(
        error,
        (zen_nb.TargetNotFound, zen_nb.NotFoundError, ZenAPIError, ZenError),
        status=404,
        code="target_not_found",
        field="destination_id" if (client.dialect.name, how) == ("v1", "create_flow to it") else None,
        message=("dest_nowhere",),
        fix=("target does not exist", "list_targets()"),
    )


@both_forms
@pytest.mark.parametrize("call", ["get_flow", "delete_flow", "pause_flow", "update_flow"])
def test_a_deleted_flow_is_flow_not_found(client, call):
    flow = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    assert client.delete_flow(flow) is None
    kwargs = {"name": "renamed-flow"} if call == "update_flow" else {}
    error = raised(getattr(client, call), flow.id, **kwargs)
    check_error(
        error,
        (zen_nb.FlowNotFound, zen_nb.NotFoundError, ZenAPIError, ZenError),
        status=404,
        code="flow_not_found",
        message=(flow.id,),
        fix=("flow does not exist", "list_flows()"),
    )


def test_an_unknown_tenant_is_tenant_not_found(api):
    with client_for(api, ZEN_TENANT_ID="tenant_nowhere") as client:
        error = raised(client.list_planes)
    check_error(
        error,
        (zen_nb.TenantNotFound, zen_nb.NotFoundError, ZenAPIError, ZenError),
        status=404,
        code="tenant_not_found",
        message=("tenant_nowhere",),
        fix=("tenant does not exist", "ZEN_TENANT_ID"),
    )


# --- 409 ------------------------------------------------------------------------------------


@both_forms
def test_the_same_flow_name_twice_is_a_flow_name_conflict(client):
    first = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    error = raised(client.create_flow, RECIPE_NAME, "ingester_github", SLACK)
    check_error(
        error,
        (zen_nb.FlowNameConflict, zen_nb.ConflictError, ZenAPIError, ZenError),
        status=409,
        code="flow_name_conflict",
        field="name",
        message=(RECIPE_NAME, PLANE),
        fix=("Pick a name not in use", "client.list_flows()", "client.update_flow"),
    )
    assert client.list_flows() == [first]


@both_forms
def test_renaming_a_flow_to_a_taken_name_is_a_flow_name_conflict(client):
    client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    other = client.create_flow("github-alerts", "ingester_github", SLACK)
    error = raised(client.update_flow, other, name=RECIPE_NAME)
    assert type(error) is zen_nb.FlowNameConflict and error.field == "name"


@both_forms
def test_the_same_target_name_twice_is_a_target_name_conflict(client):
    error = raised(client.create_target, "payments-alerts", "slack")  # a seed target's name
    check_error(
        error,
        (zen_nb.TargetNameConflict, zen_nb.ConflictError, ZenAPIError, ZenError),
        status=409,
        code="target_name_conflict",
        field="name",
        message=("payments-alerts", PLANE),
        fix=("Pick a name not in use", "client.list_targets()"),
    )


@both_forms
def test_deleting_a_target_that_a_flow_uses_is_target_in_use(client):
    flow = client.create_flow("payments-alerts-flow", "ingester_stripe", SLACK)
    error = raised(client.delete_target, SLACK["id"])
    check_error(
        error,
        (zen_nb.TargetInUse, zen_nb.ConflictError, ZenAPIError, ZenError),
        status=409,
        code="target_in_use",
        message=(SLACK["id"], "payments-alerts-flow"),
        fix=("A flow still uses this target", "delete those flows"),
    )
    client.delete_flow(flow)
    client.delete_target(SLACK["id"])
    assert SLACK["id"] not in [target.id for target in client.list_targets()]


# --- 413, 422 -------------------------------------------------------------------------------


def test_a_two_megabyte_description_is_payload_too_large(client):
    error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", STRIPE, description="x" * (2 * 1024 * 1024))
    check_error(
        error,
        (zen_nb.PayloadTooLargeError, ZenAPIError, ZenError),
        status=413,
        code="payload_too_large",
        message=("1 MiB",),
        fix=("under 1 MiB",),
    )
    assert client.list_flows() == []


def test_an_idempotency_key_reused_with_another_body_is_an_error(client):
    url = client._http.url(f"/clusters/{PLANE}/targets")
    headers = {"Idempotency-Key": f"test-{uuid.uuid4()}", "Content-Type": "application/json"}
    first = client._http.send("POST", url, data=json.dumps({"name": "hook-a", "type": "slack"}), headers=headers)
    assert first.status_code == 201, first.text
    second = client._http.send("POST", url, data=json.dumps({"name": "hook-b", "type": "slack"}), headers=headers)
    assert second.status_code == 422, second.text
    error = client._http.error(second)
    check_error(
        error,
        (zen_nb.IdempotencyKeyReusedError, ZenAPIError, ZenError),
        status=422,
        code="idempotency_key_reused",
        field="Idempotency-Key",
        message=("Idempotency-Key", "different request"),
        fix=("new Idempotency-Key",),
    )
    assert error.request_id == second.headers["X-Request-Id"]
    assert [target.name for target in client.list_targets(type="slack")].count("hook-b") == 0


# --- happy paths ----------------------------------------------------------------------------


@both_forms
def test_catalog_calls(client):
    tenant = client.get_tenant()
    assert isinstance(tenant, Tenant)
    assert tenant == {"id": "tenant_demo", "name": "Zen Mesh sandbox demo", "plan": "team"}
    planes = client.list_planes()
    assert all(isinstance(plane, Plane) for plane in planes)
    assert [plane.id for plane in planes] == [PLANE, OTHER_PLANE]
    assert client.get_plane() == planes[0]
    assert client.get_plane(OTHER_PLANE) == planes[1]
    assert planes[1].region == "eu-west-1"
    adapters = {adapter.id: adapter for adapter in client.list_adapters()}
    assert all(isinstance(adapter, Adapter) for adapter in adapters.values())
    assert adapters["adapter_stripe_ingester"].ingester_ids == ["ingester_stripe", "ingester_stripe_connect"]
    assert "adapter_stripe_ingester" in [adapter.id for adapter in client.list_adapters(OTHER_PLANE)]
    ingesters = client.list_ingesters()
    assert all(isinstance(ingester, Ingester) for ingester in ingesters)
    assert [ingester.id for ingester in ingesters] == [
        "ingester_stripe",
        "ingester_stripe_connect",
        "ingester_github",
        "ingester_shopify",
        "ingester_twilio",
    ]
    github = client.get_ingester("ingester_github")
    assert isinstance(github, Ingester)
    assert (github.adapter_id, github.type, github.name) == ("adapter_github_ingester", "github", "github")
    assert github == ingesters[2]


@both_forms
def test_target_calls(client):
    v1 = client.dialect.name == "v1"  # the v1 form's destinations have no description
    created = client.create_target("crm-webhook", "http", url="https://example.test/crm", description="CRM hooks")
    assert isinstance(created, Target)
    assert created.id.startswith("dest_")
    assert (created.name, created.type, created.url, created.get("description")) == (
        "crm-webhook",
        "http",
        "https://example.test/crm",
        None if v1 else "CRM hooks",
    )
    http_targets = client.list_targets(type="http")
    assert [target.id for target in http_targets] == [HTTP["id"], "dest_http_billing_webhook", created.id]
    assert {target.type for target in http_targets} == {"http"}
    assert len(client.list_targets()) == 9
    assert client.get_target(created.id) == created
    assert client.get_target(created) == created
    renamed = client.update_target(created, name="crm-hook", url="https://example.test/crm/v2")
    assert (renamed.name, renamed.url) == ("crm-hook", "https://example.test/crm/v2")
    assert renamed.get("description") == (None if v1 else "CRM hooks")
    cleared = client.update_target(created.id, description=None)
    assert "description" not in cleared
    assert cleared.name == "crm-hook"
    assert client.get_target(created) == cleared
    assert client.delete_target(created) is None
    assert created.id not in [target.id for target in client.list_targets()]
    assert type(raised(client.get_target, created.id)) is zen_nb.TargetNotFound


@both_forms
def test_create_flow_with_the_recipe_payload(client):
    flow = client.create_flow(
        name="production-invoice-claims-flow",
        source="ingester_stripe",
        target={"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
    )
    assert isinstance(flow, Flow)
    assert set(flow) == FLOW_FIELDS | ({"planeId"} if client.dialect.name == "v1" else set())
    assert flow.id.startswith("flow_")
    assert flow.name == RECIPE_NAME
    assert flow.source == "ingester_stripe"
    assert flow.target == STRIPE
    assert flow.status == "active"
    assert TIMESTAMP.fullmatch(flow.created_at) and flow.created_at == flow.updated_at
    assert client.get_flow(flow.id) == flow


@both_forms
@pytest.mark.parametrize("form", ["dict", "Target from list_targets", "bare id"])
def test_create_flow_takes_a_target_in_three_forms(client, form):
    if form == "dict":
        target = dict(S3)
    elif form == "bare id":
        target = S3["id"]
    else:
        (target,) = [found for found in client.list_targets(type="s3") if found.id == S3["id"]]
        assert isinstance(target, Target)
    flow = client.create_flow("archive-flow", "ingester_stripe", target)
    assert flow.target == S3


@both_forms
def test_a_one_element_target_list_is_a_single_target_flow(client):
    flow = client.create_flow("single-in-a-list", "ingester_stripe", [STRIPE])
    assert flow.target == STRIPE and "targets" not in flow


@both_forms
def test_create_flow_with_status_and_description(client):
    flow = client.create_flow("quiet-flow", "ingester_github", SLACK, description="held for now", status="paused")
    assert (flow.status, flow.description) == ("paused", "held for now")


@both_forms
def test_list_flows_with_filters(client):
    invoices = client.create_flow("invoices", "ingester_stripe", STRIPE)
    alerts = client.create_flow("github-alerts", "ingester_github", SLACK, status="paused")
    archive = client.create_flow("github-archive", "ingester_github", S3)
    names = lambda flows: [flow.name for flow in flows]  # noqa: E731
    assert client.list_flows() == [invoices, alerts, archive]
    assert all(isinstance(flow, Flow) for flow in client.list_flows())
    assert names(client.list_flows(status="paused")) == ["github-alerts"]
    assert names(client.list_flows(status="active")) == ["invoices", "github-archive"]
    assert names(client.list_flows(source="ingester_github")) == ["github-alerts", "github-archive"]
    assert names(client.list_flows(target_type="slack")) == ["github-alerts"]
    assert names(client.list_flows(source="ingester_github", status="active")) == ["github-archive"]
    assert client.list_flows(target_type="http") == []
    assert client.list_flows(OTHER_PLANE) == []


@both_forms
def test_iter_flows_is_lazy(client):
    flows = client.iter_flows()
    assert inspect.isgenerator(flows)
    late = client.create_flow("made-after-iter-flows", "ingester_stripe", STRIPE)  # nothing fetched yet
    assert list(flows) == [late]
    assert list(client.iter_flows(status="paused")) == []


@both_forms
def test_get_and_update_flow(client):
    flow = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE, description="first")
    assert client.get_flow(flow) == flow
    assert client.get_flow(flow.id) == flow
    renamed = client.update_flow(flow, name="invoice-claims", description="second")
    assert (renamed.id, renamed.name, renamed.description, renamed.source) == (
        flow.id,
        "invoice-claims",
        "second",
        "ingester_stripe",
    )
    assert renamed.updated_at >= flow.updated_at and renamed.created_at == flow.created_at
    retargeted = client.update_flow(flow.id, target=SLACK["id"])
    assert retargeted.target == SLACK
    retargeted = client.update_flow(flow, target=client.get_target(S3["id"]))
    assert retargeted.target == S3
    cleared = client.update_flow(flow, description=None)
    assert "description" not in cleared
    assert client.get_flow(flow) == cleared
    assert (cleared.name, cleared.target, cleared.status) == ("invoice-claims", S3, "active")


@both_forms
def test_pause_and_resume_are_idempotent(client):
    flow = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    paused = client.pause_flow(flow)
    assert isinstance(paused, Flow) and paused.status == "paused"
    assert client.pause_flow(flow.id).status == "paused"
    assert client.get_flow(flow).status == "paused"
    assert client.resume_flow(flow).status == "active"
    assert client.resume_flow(flow.id).status == "active"
    assert client.get_flow(flow).status == "active"


@both_forms
def test_delete_flow(client):
    kept = client.create_flow("kept-flow", "ingester_stripe", STRIPE)
    gone = client.create_flow("gone-flow", "ingester_github", SLACK)
    assert client.delete_flow(gone) is None
    assert client.list_flows() == [kept]


@both_forms
def test_plane_keyword_overrides_zen_plane_id(client):
    assert client.config.plane_id == PLANE
    flow = client.create_flow(
        "eu-invoices", "ingester_stripe", {"id": "dest_stripe_prod_eu_west_1", "type": "stripe"}, plane=OTHER_PLANE
    )
    assert client.list_flows(plane=OTHER_PLANE) == [flow]
    assert client.list_flows() == []
    assert client.get_flow(flow, plane=OTHER_PLANE) == flow
    if client.dialect.name == "recipe":  # a v1 id names its flow on every plane: no plane in its path
        assert type(raised(client.get_flow, flow)) is zen_nb.FlowNotFound
    by_id = client.create_flow("eu-archive", "ingester_stripe", "dest_s3_eu_archive", plane=OTHER_PLANE)
    assert by_id.target == {"id": "dest_s3_eu_archive", "type": "s3"}
    assert client.pause_flow(by_id, plane=OTHER_PLANE).status == "paused"
    client.delete_flow(by_id, plane=OTHER_PLANE)
    assert client.list_flows(plane=OTHER_PLANE) == [flow]


def test_objects_keep_every_field_read_as_attributes_and_show_in_one_line(api, client):
    flow = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE, description="recipe")
    raw = api.get(f"{{plane}}/delivery-flows/{flow.id}").json()
    assert isinstance(flow, dict)
    assert dict(flow) == raw
    assert flow.created_at == flow["createdAt"]
    assert flow.updated_at == flow["updatedAt"]
    assert flow.description == "recipe"
    with pytest.raises(AttributeError, match="createdAt"):
        flow.no_such_field  # noqa: B018
    shown = [repr(flow), repr(client.get_tenant()), repr(client.get_target(STRIPE["id"])), repr(client)]
    for text in shown:
        assert "\n" not in text
        assert_no_secret(text, api.box.token, every_piece=False)
    assert repr(flow).startswith("Flow(") and flow.id in repr(flow) and RECIPE_NAME in repr(flow)


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "field", "fix"),
    [
        ("PATCH", "/targets/dest_slack_ops_alerts", {"type": "s3"}, "type_immutable", "type", "type is fixed"),
        (
            "POST",
            "/delivery-flows",
            {"source": "ingester_stripe", "target": STRIPE},
            "missing_field",
            "name",
            "Add the",
        ),
        (
            "POST",
            "/delivery-flows",
            {"name": "x", "source": "ingester_stripe", "target": STRIPE, "colour": 1},
            "unknown_field",
            "colour",
            "Remove the field",
        ),
    ],
    ids=["type_immutable", "missing_field", "unknown_field"],
)
def test_bad_requests_about_fields_carry_a_fix_of_their_own(client, method, path, body, code, field, fix):
    error = raised(client._http.request, method, f"/clusters/{PLANE}{path}", body=body)
    chain = (zen_nb.BadRequestError, ZenAPIError, ZenError)
    check_error(error, chain, status=400, code=code, field=field, fix=(fix,))


def test_an_invalid_target_field_speaks_of_the_target_not_a_flow(client):
    error = raised(client.create_target, "bad-target", "webhook")
    check_error(
        error,
        (zen_nb.BadRequestError, ZenAPIError, ZenError),
        status=400,
        code="invalid_field",
        field="type",
        fix=("Invalid target configuration",),
    )
    assert "flow" not in error.fix


@pytest.mark.parametrize("target", [42, None, 3.5], ids=["int", "None", "float"])
def test_a_target_of_the_wrong_kind_is_refused_with_the_fix_before_sending(client, target):
    error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", target)
    assert type(error) is ZenError and error.status is None
    assert "target={'id': 'dest_...', 'type': 'stripe'}" in error.fix
    assert client.list_flows() == []


def test_an_error_shown_as_plain_text_keeps_its_fix_and_details(client):
    from IPython.lib.pretty import pretty

    client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    error = raised(client.create_flow, RECIPE_NAME, "ingester_stripe", STRIPE)
    lines = pretty(error).splitlines()
    assert lines[0] == f"FlowNameConflict: {error.message}"
    assert lines[1] == f"  Fix: {error.fix}"
    assert lines[2].startswith("  (HTTP 409, flow_name_conflict, field name, request id req_")
