"""``FlowForm``'s states as a user sees them, against the real session sandbox.

A bad name is shown on its field (the ``zen-invalid`` class: a red border) and its hint turns
into the problem (``zen-problem``); "Create flow", when off, says why in its tooltip and in a
line under the buttons; a click shows the busy state ("Creating…", disabled, spinner) for as
long as the request runs, and the buttons come back after it; the result of a create or an
error goes as soon as a field changes; the pickers keep their ids visible (tooltip and the
line under them) with short option labels; "Show as code" explains itself while the form is
not valid. The only stand-in is a spy that records the button's state when the form calls
``client.create_flow``, then calls the real method.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

import zen_nb
from zen_nb.names import NAME_RULE
from zen_nb.widgets.flow_form import REPEAT

DEV = "plane_dev_us_east_1"
HTTP_TARGET = "dest_http_orders_webhook"


@pytest.fixture
def form(client: zen_nb.ZenClient) -> zen_nb.FlowForm:
    return zen_nb.flow_form(client)


def text(html: str) -> str:
    """What a reader sees of ``html``."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def classes(widget: Any) -> list[str]:
    return list(widget._dom_classes)


def test_a_bad_name_marks_its_field_and_turns_its_hint_into_the_problem(form):
    assert "zen-invalid" not in classes(form.name_field)
    assert "zen-problem" not in classes(form.name_hint) and text(form.name_hint.value) == NAME_RULE

    form.name_field.value = "Bad_Name"

    assert "zen-invalid" in classes(form.name_field)
    assert "zen-problem" in classes(form.name_hint)
    assert "must start with a lowercase letter, not 'B'" in text(form.name_hint.value)

    form.name_field.value = "good-name"

    assert "zen-invalid" not in classes(form.name_field)
    assert "zen-problem" not in classes(form.name_hint) and text(form.name_hint.value) == NAME_RULE


def test_create_flow_when_off_says_why_in_its_tooltip_and_under_the_buttons(form):
    assert form.create_button.disabled is True
    assert form.create_button.tooltip == "Create flow is off: the name is empty"
    assert text(form.why_off.value) == "Create flow is off: the name is empty."
    assert "zen-under-inputs" in classes(form.why_off)

    form.name_field.value = "a_b"
    why = "Create flow is off: the name is not valid — '_' is not allowed: use lowercase letters, digits and '-'"
    assert form.create_button.tooltip == why and text(form.why_off.value) == why + "."

    form.name_field.value = "why-flow"
    assert form.create_button.disabled is False
    assert form.why_off.value == "" and form.create_button.tooltip == "Create this flow"

    form.create_button.click()
    assert form.create_button.disabled is True
    assert text(form.why_off.value) == f"Create flow is off: {REPEAT}."


def test_create_shows_the_busy_state_while_the_request_runs(form, api):
    seen: list[tuple[str, Any]] = []
    for trait in ("description", "disabled", "icon"):
        form.create_button.observe(lambda change: seen.append((change["name"], change["new"])), names=trait)
    at_request: list[tuple[str, bool, str]] = []
    real = form.client.create_flow

    def spy(*args: Any, **kwargs: Any) -> Any:
        button = form.create_button
        at_request.append((button.description, button.disabled, button.icon))
        return real(*args, **kwargs)

    form.client.create_flow = spy
    form.name_field.value = "busy-flow"
    seen.clear()

    form.create_button.click()

    assert at_request == [("Creating…", True, "spinner")]
    assert seen[0] == ("disabled", True), seen  # disabled before anything else: a second click finds it off
    assert ("description", "Create flow") in seen and seen[-1] != ("disabled", False), seen
    assert (form.create_button.description, form.create_button.icon) == ("Create flow", "plus")
    assert "zen-busy-button" not in classes(form.create_button)
    assert [flow["name"] for flow in api.all_pages(f"clusters/{DEV}/delivery-flows")] == ["busy-flow"]


def test_a_result_goes_as_soon_as_the_form_changes(form, api):
    form.name_field.value = "stale-flow"
    form.create_button.click()
    assert "Created flow" in text(form.result.value)

    form.description_field.value = "changed after the create"
    assert form.result.value == ""

    assert api.create_flow("taken-flow").status_code == 201
    form.name_field.value = "taken-flow"
    form.create_button.click()
    assert "FlowNameConflict" in text(form.result.value)
    assert "taken-flow-2 is free" in text(form.result.value)

    form.name_field.value = "taken-flow-2"
    assert form.result.value == ""
    assert form.create_button.disabled is False


def test_pickers_keep_the_id_in_their_tooltip_and_the_line_under_them(form):
    form.target_picker.value = HTTP_TARGET

    assert text(form.target_type.value) == f"type http · id {HTTP_TARGET}"
    assert "<code>http</code>" in form.target_type.value
    assert form.target_picker.tooltip.endswith(f"· id {HTTP_TARGET}")
    labels = dict((value, label) for label, value in form.target_picker.options)
    assert labels[HTTP_TARGET].endswith("— http") and HTTP_TARGET not in labels[HTTP_TARGET]
    assert text(form.plane_id.value) == f"id {DEV}" and form.plane_picker.tooltip.endswith(f"id {DEV}")
    assert text(form.source_id.value) == f"id {form.source_picker.value}"
    for line in (form.plane_id, form.name_hint, form.source_id, form.target_type, form.why_off):
        assert {"zen-under-inputs", "zen-hint"} <= set(classes(line)), line


def test_the_form_is_themed_and_lined_up(form):
    assert {"zen-form", "zen-form-flow"} <= set(classes(form))
    assert "zen-stylesheet" in classes(form.children[0])
    assert ".zen-form-flow .zen-hint:not(.zen-problem) code" in form.children[1].value  # ids in hints at AA
    row = next(child for child in form.children if form.create_button in getattr(child, "children", ()))
    assert "zen-under-inputs" in classes(row)
    # The inputs leave room for their own margins: 100 % of a narrow cell would overflow it.
    assert form.name_field.layout.width == "min(calc(100% - 4px), 560px)"


def test_show_as_code_says_why_there_is_no_code_yet(form):
    form.code_toggle.value = True

    assert "Code appears once the form is valid: the name is empty." in text(form.code.value)
    assert "<pre" not in form.code.value

    form.name_field.value = "Nope"
    assert "Code appears once the form is valid: the name is not valid — must start with" in text(form.code.value)

    form.name_field.value = "coded-later"
    assert "Code appears once" not in form.code.value
    assert "coded-later" in text(form.code.blocks[0].value) and "$ZEN_API_TOKEN" in form.code.value
