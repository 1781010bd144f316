"""The setup form's "Join code" field and "Join class" button, driven from Python against a real class.

A trainee types the code and clicks "Join class": the form joins the class at its ZEN_API_BASE
field (or the environment's, or a sandbox on this machine), fills the fields with the trainee's
values, sets the environment at once (no Apply needed), empties the code field and says who
joined. Neither the token the join brings nor the code typed is in any widget's state (of the
form's widgets and of the whole kernel's manager), in the status, or in ``repr(form)``: the code
field is taken and emptied like the token field, and never echoed to other front ends.
A wrong code shows its error and fix as the form shows others, and sets nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from html import unescape

import ipywidgets
import pytest
from test_widgets import assert_token_hidden, widget_tree

import zen_nb
from zen_nb import sandbox as sandbox_pkg
from zen_nb.widgets.setup_form import JoinCodeField

from class_helpers import another_code, code_forms, enroll
from helpers import ZEN_VARIABLES

pytestmark = pytest.mark.usefixtures("no_zen_environ")  # a join writes os.environ: restored after each test


@pytest.fixture(scope="module")
def own_box() -> Iterator[sandbox_pkg.Sandbox]:
    """A sandbox for the wrong codes: failed joins must not count against the session's sandbox."""
    with sandbox_pkg.start(port=0, db=":memory:") as box:
        yield box


def assert_code_hidden(form: zen_nb.SetupForm, code: str) -> None:
    """No form of the join code in any widget state, the manager state, the status or the repr."""
    exposed = {
        "the manager state": json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False), default=str),
        "repr(form)": repr(form),
        "status": form.status.value,
    }
    for number, widget in enumerate(widget_tree(form)):
        exposed[f"get_state() of {type(widget).__name__} #{number}"] = json.dumps(widget.get_state(), default=str)
    leaks = sorted(
        f"{name} in {where}"
        for name, shown in code_forms(code).items()
        for where, text in exposed.items()
        if shown in text
    )
    assert not leaks, leaks


def test_typing_the_code_and_clicking_join_sets_everything_for_the_trainee(api, sandbox):
    (ada,) = enroll(sandbox, "ada")
    form = zen_nb.setup()
    assert "Join class" in unescape(form.status.value)  # the empty form says a trainee's one step
    form.base_field.value = sandbox.base_url
    form.code_field.value = ada["joinCode"]  # what the browser sends on Enter or leaving the field
    assert form.code_field.value == "" and "entered (hidden)" in form.code_field.placeholder
    form.join_button.click()

    assert {name: os.environ[name] for name in ZEN_VARIABLES} == {
        "ZEN_API_BASE": sandbox.base_url,
        "ZEN_API_TOKEN": ada["token"],
        "ZEN_TENANT_ID": ada["tenantId"],
        "ZEN_PLANE_ID": "plane_dev_us_east_1",
        "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
    }
    assert (form.tenant_field.value, form.plane_field.value, form.adapter_field.value) == (
        ada["tenantId"],
        "plane_dev_us_east_1",
        "adapter_stripe_ingester",
    )
    status = unescape(form.status.value)
    assert f"Joined the class as ada: tenant {ada['tenantId']}" in status and "token set, not shown" in status
    assert form.code_field.value == "" and "such as" in form.code_field.placeholder
    assert_token_hidden(form, ada["token"])
    assert_code_hidden(form, ada["joinCode"])
    # The recipe's code runs on the trainee's tenant next.
    with zen_nb.ZenClient() as client:
        assert client.get_tenant()["id"] == ada["tenantId"]


def test_join_uses_the_environments_base_when_the_field_is_empty(api, sandbox, monkeypatch):
    (ada,) = enroll(sandbox, "ada")
    form = zen_nb.setup()
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)  # set after the form was made: the field is empty
    form.code_field.value = ada["joinCode"]
    form.join_class()
    assert os.environ["ZEN_TENANT_ID"] == ada["tenantId"]
    assert form.base_field.value == sandbox.base_url


def test_a_wrong_code_shows_the_error_and_its_fix_and_sets_nothing(own_box):
    (ada,) = enroll(own_box, "ada")
    wrong = another_code(ada["joinCode"])
    env: dict[str, str] = {"ZEN_API_BASE": own_box.base_url}
    form = zen_nb.setup(environ=env)
    form.code_field.value = wrong
    form.join_class()
    status = unescape(form.status.value)
    assert "JoinCodeNotFound" in status and "check it with your trainer" in status and "HTTP 404" in status
    assert env == {"ZEN_API_BASE": own_box.base_url}
    assert form.code_field.value == ""
    assert_code_hidden(form, wrong)
    assert_code_hidden(form, ada["joinCode"])


def test_join_without_a_code_says_to_type_one(api, sandbox):
    env: dict[str, str] = {"ZEN_API_BASE": sandbox.base_url}
    form = zen_nb.setup(environ=env)
    form.join_class()
    assert "no join code was typed" in unescape(form.status.value)
    assert env == {"ZEN_API_BASE": sandbox.base_url}


def test_the_code_field_is_not_echoed_to_other_front_ends():
    """ipywidgets' own switch for a value the kernel must not send back (as for the token field)."""
    assert JoinCodeField.value.metadata.get("echo_update") is False
    assert isinstance(zen_nb.setup(environ={}).code_field, JoinCodeField)
