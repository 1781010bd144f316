"""The forms, driven from Python against the real session sandbox: ``SetupForm`` and ``FlowForm``.

``SetupForm`` must leave ``os.environ`` exactly as the published recipe's code expects it
("Use local sandbox", "Check connection", "Apply"), show what it found or the error and its
fix, and set nothing when a value is missing. ``FlowForm`` must create exactly the flow it
shows (for every kind of target), explain a taken name, an unknown plane and a bad name, and
never send twice (not while a request runs, not the same payload right after a success).

The token must appear nowhere a notebook could save or show it: not in any widget's state
(the manager state of every widget of the process, and each widget reachable from a form),
not in the status, result or code HTML, not in ``repr(form)``. The demo token is checked,
and so is a tenant's random token, pieces of it included.

No mocks: the only stand-in is a spy around ``client.create_flow`` that records the form's
state and then calls the real method. ``os.environ`` is controlled with ``monkeypatch``
(every ``ZEN_*`` removed first, and restored after each test even when "Apply" set it). A
sandbox that "Use local sandbox" starts is always stopped by the test that starts it.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable, Iterator
from html import unescape
from typing import Any

import ipywidgets
import pytest

import zen_nb
from zen_nb import local_sandbox
from zen_nb.display import code_html
from zen_nb.fixes import BY_CODE as FIXES
from zen_nb.names import name_problem

from helpers import ZEN_VARIABLES as NAMES
from helpers import Api
from shown_code import shown_code

DEV = "plane_dev_us_east_1"
PROD = "plane_prod_eu_west_1"
# One seeded target of each type on the demo plane.
TARGETS = {
    "stripe": "dest_stripe_prod_us_east_1",
    "http": "dest_http_orders_webhook",
    "slack": "dest_slack_payments_alerts",
    "s3": "dest_s3_events_archive",
}

# The Python snippet of the published recipe, copied as it is but for its missing "]".
RECIPE_PYTHON = """
import os
import requests

base_url = os.environ["ZEN_API_BASE"].rstrip("/")
token = os.environ["ZEN_API_TOKEN"]
tenant_id = os.environ["ZEN_TENANT_ID"]
plane_id = os.environ["ZEN_PLANE_ID"]

payload = {
    "name": "production-invoice-claims-flow",
    "source": "ingester_stripe",
    "target": {
        "id": "dest_stripe_prod_us_east_1",
        "type": "stripe"
    }
}

response = requests.post(
    f"{base_url}/tenants/{tenant_id}/clusters/{plane_id}/delivery-flows",
    headers={
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    },
    json=payload,
    timeout=30,
)
response.raise_for_status()
print(response.json())
"""


# -- helpers ----------------------------------------------------------------------------------------


def text(html: str) -> str:
    """An HTML value as the user reads it (entities decoded)."""
    return unescape(html)


def secret_pieces(token: str) -> set[str]:
    """The token, its secret part, and every 10-character piece of that part."""
    secret = token.removeprefix("zen_test_")
    return {token, secret} | {secret[i : i + 10] for i in range(len(secret) - 9)}


def widget_tree(root: ipywidgets.Widget) -> Iterator[ipywidgets.Widget]:
    """Every widget reachable from ``root`` through ``.children``, with their layouts and styles."""
    stack = [root]
    while stack:
        widget = stack.pop()
        yield widget
        for part in ("layout", "style"):
            if isinstance(getattr(widget, part, None), ipywidgets.Widget):
                yield getattr(widget, part)
        stack.extend(getattr(widget, "children", ()))


def assert_token_hidden(form: ipywidgets.Widget, *tokens: str) -> None:
    """No piece of any token in any widget state, in the form's HTML outputs, or in its repr."""
    exposed = {
        "the manager state": json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False), default=str),
        "repr(form)": repr(form),
    }
    for number, widget in enumerate(widget_tree(form)):
        exposed[f"get_state() of {type(widget).__name__} #{number}"] = json.dumps(widget.get_state(), default=str)
    for name in ("status", "result", "code", "name_hint", "target_type"):
        if hasattr(form, name):
            exposed[f"form.{name}.value"] = getattr(form, name).value
    for token in tokens:
        for where, shown in exposed.items():
            leaked = sorted(piece for piece in secret_pieces(token) if piece in shown)
            assert not leaked, f"token pieces {leaked} in {where}"


def flows_on(api: Api, plane: str = DEV) -> list[dict[str, Any]]:
    """Every flow of a plane, read through the raw API."""
    return api.all_pages(f"clusters/{plane}/delivery-flows")


def all_flows(api: Api) -> list[dict[str, Any]]:
    return flows_on(api, DEV) + flows_on(api, PROD)


def fill(form: Any, name: str, target: str = TARGETS["stripe"], source: str = "ingester_stripe") -> None:
    """Type a name and pick a source and a target, as a user would."""
    form.source_picker.value = source
    form.target_picker.value = target
    form.name_field.value = name


def free_port() -> int:
    """A loopback port that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CreateSpy:
    """Stands in for ``client.create_flow``: records the form's state at call time, then calls the real method."""

    def __init__(self, form: Any, during: Callable[[], None] | None = None) -> None:
        self.form = form
        self.real = form.client.create_flow
        self.during = during
        self.calls: list[dict[str, Any]] = []
        form.client.create_flow = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append({"button_disabled": self.form.create_button.disabled, "kwargs": kwargs})
        if self.during is not None:
            self.during()
        return self.real(*args, **kwargs)


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``ZEN_*`` variable set; each one restored after the test, even when "Apply" wrote it."""
    for name in NAMES:
        monkeypatch.setenv(name, "")  # records the original, so what Apply sets is undone too
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def form(client: zen_nb.ZenClient) -> zen_nb.FlowForm:
    return zen_nb.flow_form(client)


@pytest.fixture
def stop_started_sandbox() -> Iterator[None]:
    """Whatever "Use local sandbox" started in this test is stopped after it."""
    try:
        yield
    finally:
        local_sandbox.stop()


# -- SetupForm --------------------------------------------------------------------------------------


def test_sandbox_check_apply_then_the_recipe_creates_a_flow(api, sandbox, monkeypatch, capsys):
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)  # where "Use local sandbox" looks first
    form = zen_nb.setup()
    assert form.base_field.value == sandbox.base_url

    form.sandbox_button.click()
    assert "found the sandbox running at" in text(form.status.value)
    assert form.tenant_field.value == sandbox.tenant_id
    form.check_button.click()
    assert "Connected to" in text(form.status.value), form.status.value
    form.apply_button.click()
    assert "Applied" in text(form.status.value)

    assert {name: os.environ.get(name) for name in NAMES} == sandbox.env()
    namespace: dict[str, Any] = {}
    exec(compile(RECIPE_PYTHON, "recipe-create-a-flow.py", "exec"), namespace)
    assert namespace["response"].status_code == 201
    created = namespace["response"].json()
    assert str(created) in capsys.readouterr().out
    assert created["name"] == "production-invoice-claims-flow"
    assert [(flow["id"], flow["name"]) for flow in flows_on(api)] == [(created["id"], created["name"])]
    assert form.token_field.value == ""
    assert_token_hidden(form, sandbox.token)


def test_fields_typed_by_hand_then_check_shows_tenant_plan_and_plane(sandbox):
    form = zen_nb.setup()
    form.base_field.value = sandbox.base_url + "/"
    form.token_field.value = sandbox.token
    assert form.token_field.value == "", "the typed token must leave the widget at once"
    form.tenant_field.value = sandbox.tenant_id
    form.plane_field.value = sandbox.plane_id
    form.adapter_field.value = sandbox.adapter_id

    form.check_button.click()

    status = text(form.status.value)
    assert "Connected to" in status, status
    assert "tenant_demo" in status and "plan team" in status and "plane_dev_us_east_1" in status
    assert all(name not in os.environ for name in NAMES), "Check connection must not set the environment"
    assert_token_hidden(form, sandbox.token)


def typed_form(sandbox, **overrides: str) -> zen_nb.SetupForm:
    """A setup form over ``os.environ`` with the sandbox's values typed in (some overridden)."""
    values = {**sandbox.env(), **overrides}
    form = zen_nb.setup()
    form.base_field.value = values["ZEN_API_BASE"]
    form.token_field.value = values["ZEN_API_TOKEN"]
    form.tenant_field.value = values["ZEN_TENANT_ID"]
    form.plane_field.value = values["ZEN_PLANE_ID"]
    form.adapter_field.value = values["ZEN_ADAPTER_ID"]
    return form


def test_check_with_a_wrong_token_shows_unauthorized_and_its_fix(sandbox):
    wrong = "zen_test_wrongTokenNobodyHas123456"
    form = typed_form(sandbox, ZEN_API_TOKEN=wrong)

    form.check_button.click()

    status = text(form.status.value)
    assert "UnauthorizedError" in status, status
    assert "Paste a valid API token of your tenant into ZEN_API_TOKEN above" in status
    assert_token_hidden(form, wrong, sandbox.token)


def test_check_with_a_wrong_plane_shows_plane_not_found_naming_zen_plane_id(sandbox):
    form = typed_form(sandbox, ZEN_PLANE_ID="plane_nope")

    form.check_button.click()

    status = text(form.status.value)
    assert "PlaneNotFound" in status, status
    assert "ZEN_PLANE_ID" in status
    assert_token_hidden(form, sandbox.token)


@pytest.mark.parametrize("missing", NAMES)
def test_apply_with_a_missing_value_names_it_and_sets_nothing(sandbox, missing):
    form = typed_form(sandbox, **{missing: ""})

    form.apply_button.click()

    status = text(form.status.value)
    assert "ZenConfigError" in status, status
    assert f"{missing} is not set" in status
    assert [name for name in NAMES if name in os.environ] == []
    assert_token_hidden(form, sandbox.token)


def test_apply_to_a_given_environ_sets_only_that_mapping(sandbox):
    environ: dict[str, str] = {}
    form = zen_nb.SetupForm(environ=environ)
    form.base_field.value = sandbox.base_url
    form.token_field.value = sandbox.token
    form.tenant_field.value = sandbox.tenant_id
    form.plane_field.value = sandbox.plane_id
    form.adapter_field.value = sandbox.adapter_id

    form.apply_button.click()

    assert environ == sandbox.env()
    assert [name for name in NAMES if name in os.environ] == []


def test_a_complete_environment_is_reported_without_any_click(sandbox, monkeypatch):
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)

    form = zen_nb.setup()

    status = text(form.status.value)
    assert "Environment complete" in status, status
    assert sandbox.base_url in status and sandbox.tenant_id in status and sandbox.plane_id in status
    assert form.token_field.value == ""
    assert_token_hidden(form, sandbox.token)


def test_after_apply_the_password_field_is_empty(sandbox):
    form = typed_form(sandbox)

    form.apply_button.click()

    assert os.environ["ZEN_API_TOKEN"] == sandbox.token
    assert form.token_field.value == ""
    assert "set (hidden)" in form.token_field.placeholder
    assert_token_hidden(form, sandbox.token)


def test_use_local_sandbox_starts_one_when_none_runs(monkeypatch, tmp_path, stop_started_sandbox):
    default = f"http://127.0.0.1:{local_sandbox.DEFAULT_PORT}"
    if local_sandbox.is_sandbox(default):
        pytest.skip(f"a sandbox already runs at {default}: there is nothing to start")
    # The started sandbox keeps its database in the user's data dir: make that a temporary one.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("ZEN_API_BASE", f"http://127.0.0.1:{free_port()}")
    form = zen_nb.setup()

    form.sandbox_button.click()

    status = text(form.status.value)
    assert "started a sandbox at" in status, status
    started = form.base_field.value
    assert local_sandbox.is_sandbox(started)
    assert (tmp_path / "data" / "zen-nb" / "sandbox.sqlite3").exists()
    form.check_button.click()
    assert "Connected to" in text(form.status.value), form.status.value
    form.apply_button.click()
    assert os.environ["ZEN_API_BASE"] == started
    assert_token_hidden(form, zen_nb.sandbox.DEMO_TOKEN)

    local_sandbox.stop()
    assert not local_sandbox.is_sandbox(started)


# -- FlowForm: creating -----------------------------------------------------------------------------


def test_create_is_disabled_until_the_form_is_valid(form):
    assert form.plane_picker.value == DEV
    assert form.source_picker.value is not None and form.target_picker.value is not None
    assert form.create_button.disabled is True  # no name yet
    assert "starting with a letter" in text(form.name_hint.value)

    form.name_field.value = "valid-name"

    assert form.create_button.disabled is False


@pytest.mark.parametrize("target_type", sorted(TARGETS))
def test_creates_exactly_the_flow_shown_for_each_kind_of_target(form, api, sandbox, target_type):
    fill(form, f"{target_type}-widget-flow", target=TARGETS[target_type])
    form.description_field.value = "made by the form"
    assert form.create_button.disabled is False

    form.create_button.click()

    flows = flows_on(api)
    assert len(flows) == 1, flows
    flow = flows[0]
    assert flow["name"] == f"{target_type}-widget-flow"
    assert flow["source"] == "ingester_stripe"
    assert flow["target"] == {"id": TARGETS[target_type], "type": target_type}
    assert flow["description"] == "made by the form"
    assert flows_on(api, PROD) == []
    assert [created["id"] for created in form.created] == [flow["id"]]
    assert "Created flow" in text(form.result.value) and flow["id"] in text(form.result.value)
    assert_token_hidden(form, sandbox.token)


@pytest.mark.parametrize(("taken", "suggested"), [(["x"], "x-2"), (["x", "x-2"], "x-3")])
def test_a_taken_name_shows_the_conflict_its_fix_and_a_free_name(form, api, sandbox, taken, suggested):
    for name in taken:
        assert api.create_flow(name).status_code == 201
    before = all_flows(api)
    fill(form, "x")

    form.create_button.click()

    result = text(form.result.value)
    assert "FlowNameConflict" in result, result
    assert code_html(FIXES["flow_name_conflict"]) in result
    # The fix adds what the message does not say: a name that is free, in code, to type in the form.
    assert re.search(rf"<p[^>]*><code[^>]*>{suggested}</code> is free: type it in Name above", form.result.value)
    assert all_flows(api) == before
    assert form.created == []
    assert_token_hidden(form, sandbox.token)


def test_an_unknown_plane_in_the_config_still_lists_the_real_planes(api, sandbox):
    config = zen_nb.ZenConfig(environ={**sandbox.env(), "ZEN_PLANE_ID": "plane_nope"})
    with zen_nb.ZenClient(config) as lost:
        form = zen_nb.flow_form(lost)

        assert [value for _, value in form.plane_picker.options] == [DEV, PROD]
        assert form.plane_picker.value is None
        assert form.create_button.disabled is True
        form.create_button.click()
        assert all_flows(api) == []

        form.plane_picker.value = DEV  # picking a real plane makes the form usable
        assert "ingester_stripe" in [value for _, value in form.source_picker.options]
        assert_token_hidden(form, sandbox.token)


def test_a_plane_that_does_not_exist_shows_plane_not_found_and_creates_nothing(form, api, sandbox):
    spy = CreateSpy(form)
    fill(form, "lost-flow")
    form.plane_picker.options = [*form.plane_picker.options, ("gone (plane_gone)", "plane_gone")]
    form.plane_picker.value = "plane_gone"

    result = text(form.result.value)
    assert "PlaneNotFound" in result, result
    assert code_html(FIXES["plane_not_found"]) in result
    # The previous plane's sources and targets are gone with it: nothing can be sent.
    assert form.source_picker.options == () and form.target_picker.options == ()
    assert form.create_button.disabled is True
    form.create_button.click()
    assert spy.calls == []
    assert all_flows(api) == []
    assert form.created == []
    assert_token_hidden(form, sandbox.token)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Bad", "must start with a lowercase letter, not 'B'"),
        ("bad-Name", "use lowercase letters only ('N' is uppercase)"),
        ("1abc", "must start with a lowercase letter"),
        ("a_b", "'_' is not allowed"),
        ("a" * 65, "at most 64 characters"),
    ],
)
def test_a_bad_name_shows_why_and_keeps_create_disabled(form, api, sandbox, name, reason):
    spy = CreateSpy(form)
    fill(form, name)

    hint = text(form.name_hint.value)
    assert reason in hint and name_problem(name) in hint, hint
    assert form.create_button.disabled is True
    form.create_button.click()  # clicked anyway

    assert spy.calls == []
    assert all_flows(api) == []
    assert_token_hidden(form, sandbox.token)


def test_create_is_disabled_while_the_request_is_in_flight(form, api, sandbox):
    # A second click while the first request runs (made from inside the spy) sends nothing.
    spy = CreateSpy(form, during=lambda: form.create_button.click())
    fill(form, "in-flight-flow")

    form.create_button.click()

    assert [call["button_disabled"] for call in spy.calls] == [True]
    assert [flow["name"] for flow in flows_on(api)] == ["in-flight-flow"]
    assert_token_hidden(form, sandbox.token)


def test_a_second_click_right_after_a_success_creates_nothing(form, api, sandbox):
    spy = CreateSpy(form)
    fill(form, "once-only-flow")

    form.create_button.click()
    assert form.create_button.disabled is True
    form.create_button.click()

    assert len(spy.calls) == 1
    assert [flow["name"] for flow in flows_on(api)] == ["once-only-flow"]
    form.name_field.value = "once-more-flow"  # a changed form may be sent again
    assert form.create_button.disabled is False
    assert_token_hidden(form, sandbox.token)


# -- FlowForm: choices ------------------------------------------------------------------------------


def test_changing_the_plane_reloads_sources_and_targets_from_it(form, api, sandbox):
    made = api.post(
        f"clusters/{PROD}/targets", json={"name": "eu-widget-hook", "type": "http", "url": "http://127.0.0.1:9/eu"}
    )
    assert made.status_code == 201, made.text

    form.plane_picker.value = PROD

    targets = api.all_pages(f"clusters/{PROD}/targets")
    ingesters = api.all_pages(f"clusters/{PROD}/ingesters")
    assert [value for _, value in form.target_picker.options] == [target["id"] for target in targets]
    assert [value for _, value in form.source_picker.options] == [ingester["id"] for ingester in ingesters]
    assert made.json()["id"] in [value for _, value in form.target_picker.options]
    assert TARGETS["slack"] not in [value for _, value in form.target_picker.options]

    fill(form, "eu-flow", target=made.json()["id"])
    form.create_button.click()
    assert [(flow["name"], flow["target"]["id"]) for flow in flows_on(api, PROD)] == [("eu-flow", made.json()["id"])]
    assert flows_on(api, DEV) == []
    assert_token_hidden(form, sandbox.token)


def test_the_target_type_follows_the_picked_target(form, api):
    targets = api.all_pages("{plane}/targets")
    assert {target["type"] for target in targets} == set(TARGETS)

    for target in targets:
        form.target_picker.value = target["id"]
        assert f"<code>{target['type']}</code>" in form.target_type.value
        assert form.payload()["target"] == {"id": target["id"], "type": target["type"]}


def test_show_as_code_writes_a_request_that_creates_the_same_flow(form, api, sandbox, monkeypatch, capsys):
    fill(form, "coded-flow", target=TARGETS["slack"])
    assert form.code.value == ""

    form.code_toggle.value = True

    assert [title for title in form.code.tabs.titles] == ["curl", "Python", "JavaScript"]
    curl, python, javascript = shown_code(form).values()
    assert curl.startswith("curl ") and "requests.post" in python and "fetch(" in javascript
    assert all("coded-flow" in code for code in (curl, python, javascript))
    assert_token_hidden(form, sandbox.token)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    # The code as the Copy button takes it (the text of the highlighted block) is run, not just read.
    exec(compile(python, "shown-code.py", "exec"), {})
    assert "coded-flow" in capsys.readouterr().out
    slack = {"id": TARGETS["slack"], "type": "slack"}
    assert [(flow["name"], flow["target"]) for flow in flows_on(api)] == [("coded-flow", slack)]
    form.code_toggle.value = False
    assert form.code.value == ""


# -- the token, with a tenant's random one ----------------------------------------------------------


def test_a_random_token_appears_nowhere_after_every_step(new_tenant, sandbox):
    tenant = new_tenant(plan="team", seed=True)
    token = tenant.token
    environ: dict[str, str] = {}
    setup = zen_nb.SetupForm(environ=environ)
    setup.base_field.value = sandbox.base_url
    setup.token_field.value = token
    assert_token_hidden(setup, token)
    setup.tenant_field.value = tenant.tenant_id
    setup.plane_field.value = DEV
    setup.adapter_field.value = "adapter_stripe_ingester"
    setup.check_button.click()
    assert tenant.tenant_id in text(setup.status.value), setup.status.value
    assert_token_hidden(setup, token)
    setup.apply_button.click()
    assert environ["ZEN_API_TOKEN"] == token
    assert_token_hidden(setup, token)

    with zen_nb.ZenClient(zen_nb.ZenConfig(environ=environ)) as own:
        form = zen_nb.flow_form(own)
        fill(form, "secret-check-flow")
        form.code_toggle.value = True
        form.create_button.click()
        assert "Created flow" in text(form.result.value), form.result.value
        assert_token_hidden(form, token)
        form.name_field.value = "secret-check-flow-2"
        form.create_button.click()
        form.name_field.value = "secret-check-flow"
        form.create_button.click()  # a conflict: the error and its fix are shown
        assert "FlowNameConflict" in text(form.result.value)
        assert_token_hidden(form, token)
        assert_token_hidden(setup, token)
    assert [flow["name"] for flow in tenant.all_pages("{plane}/delivery-flows")] == [
        "secret-check-flow",
        "secret-check-flow-2",
    ]


def test_use_local_sandbox_looks_first_at_the_base_typed_in_the_form(sandbox):
    """os.environ has no ZEN_API_BASE: the sandbox is found at the URL typed into the form, not started."""
    form = zen_nb.setup(environ={})
    form.base_field.value = sandbox.base_url

    form.use_sandbox()

    assert "found the sandbox running at" in form.status.value
    assert form.base_field.value == sandbox.base_url
    assert zen_nb.local_sandbox._started is None
