"""The setup form while it waits, and after: busy buttons, a time-out that says what it tried, stale results.

Driven from Python, as the front end drives it: a click runs the handler in the kernel, and every
trait change it makes is sent to the browser at once. So the sequence of the button's
``disabled``/``description`` changes, observed here, is what the user sees: disabled and
"Checking…" before the request goes out, back after. The silent server is a real socket on
127.0.0.1 that listens and never answers (the kernel completes the TCP handshake from its
backlog; nothing ever reads or writes), closed by the test.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import ipywidgets
import pytest
from test_widgets import assert_token_hidden, text, typed_form

import zen_nb
from zen_nb.widgets.setup_messages import CHECK_TIMEOUT, STALE

pytestmark = pytest.mark.usefixtures("no_zen_environ")


@pytest.fixture
def silent_base() -> Iterator[str]:
    """The URL of a server that accepts connections and never answers a byte."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def record(*widgets_and_traits: tuple[ipywidgets.Widget, str]) -> list[tuple[str, Any]]:
    """Every change of these traits, in order, as ``(name, new value)``."""
    seen: list[tuple[str, Any]] = []
    for widget, name in widgets_and_traits:
        label = name if widget is widgets_and_traits[0][0] else f"{type(widget).__name__}.{name}"
        widget.observe(lambda change, label=label: seen.append((label, change["new"])), names=name)
    return seen


def invalid(field: ipywidgets.DOMWidget) -> bool:
    return "zen-invalid" in field._dom_classes


def test_check_against_a_silent_server_is_busy_at_once_and_times_out_in_about_5_s(sandbox, silent_base):
    form = typed_form(sandbox, ZEN_API_BASE=silent_base)
    seen = record(
        (form.check_button, "description"),
        (form.check_button, "disabled"),
        (form.apply_button, "disabled"),
        (form.status, "value"),
    )

    started = time.monotonic()
    form.check_button.click()
    elapsed = time.monotonic() - started

    assert CHECK_TIMEOUT * 0.9 <= elapsed < CHECK_TIMEOUT + 4, f"took {elapsed:.1f} s"
    names = [name for name, _ in seen]
    # Disabled and relabelled before anything else happens; the other buttons held; all back after.
    assert seen[:2] == [("description", "Checking…"), ("disabled", True)], seen
    assert ("Button.disabled", True) in seen[:4]
    busy_at = names.index("HTML.value")
    assert "zen-busy" in seen[busy_at][1] and "Checking " + silent_base in text(seen[busy_at][1])
    assert seen[-4][0] == "HTML.value" and "zen-error" in seen[-4][1], "the answer, then the buttons back"
    assert seen[-3:] == [("description", "Check connection"), ("disabled", False), ("Button.disabled", False)]
    assert form.check_button.description == "Check connection" and not form.check_button.disabled
    assert not form.apply_button.disabled and not form.sandbox_button.disabled

    status = text(form.status.value)
    assert 'role="alert"' in status
    assert f"No answer from {silent_base} within 5 s (GET /tenants/{sandbox.tenant_id})." in status, status
    assert "Check ZEN_API_BASE above" in status and "then click Check connection again" in status
    assert "export" not in status and "terminal" not in status
    assert invalid(form.base_field)
    assert_token_hidden(form, sandbox.token)


def test_a_refused_connection_ends_at_once_with_the_forms_fix(sandbox):
    form = typed_form(sandbox, ZEN_API_BASE="http://127.0.0.1:9")

    started = time.monotonic()
    form.check_button.click()

    assert time.monotonic() - started < CHECK_TIMEOUT * 0.9
    status = text(form.status.value)
    assert "ZenConnectionError" in status and "could not reach the API at http://127.0.0.1:9" in status, status
    assert "No answer" not in status  # refused is not silent: the message is the error's own
    assert "Check ZEN_API_BASE above" in status and "export" not in status
    assert invalid(form.base_field)


def test_use_local_sandbox_and_join_class_are_busy_while_they_wait(sandbox, monkeypatch):
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)
    form = zen_nb.setup()
    seen = record(
        (form.sandbox_button, "description"), (form.sandbox_button, "disabled"), (form.join_button, "disabled")
    )
    form.sandbox_button.click()
    assert seen[:3] == [("description", "Starting…"), ("disabled", True), ("Button.disabled", True)], seen
    assert form.sandbox_button.description == "Use local sandbox" and not form.join_button.disabled
    assert "found the sandbox running at" in text(form.status.value)

    seen = record((form.join_button, "description"), (form.join_button, "disabled"), (form.check_button, "disabled"))
    form.code_field.value = "ab"  # no code's shape: refused before anything is sent, so no wrong code counts
    form.join_button.click()
    assert seen[:3] == [("description", "Joining…"), ("disabled", True), ("Button.disabled", True)], seen
    assert form.join_button.description == "Join class" and not form.join_button.disabled
    assert "JoinCodeInvalid" in text(form.status.value)


@pytest.mark.parametrize(
    "field",
    ["base_field", "tenant_field", "plane_field", "adapter_field", "token_field"],
)
def test_typing_in_any_field_makes_an_environment_complete_message_stale(sandbox, monkeypatch, field):
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    form = zen_nb.setup()
    assert "Environment complete" in text(form.status.value)

    getattr(form, field).value = "something-else"

    status = text(form.status.value)
    assert "Environment complete" not in status and STALE in status, status
    assert 'role="status"' in status and "zen-info" in status


def test_a_connected_message_goes_stale_when_the_plane_changes(sandbox):
    form = typed_form(sandbox)
    form.check_button.click()
    assert "Connected to" in text(form.status.value)

    form.plane_field.value = "plane_prod_eu_west_1"

    assert "Connected to" not in text(form.status.value) and STALE in text(form.status.value)


def test_the_forms_own_filling_does_not_make_its_result_stale(sandbox, monkeypatch):
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)
    form = zen_nb.setup()
    form.sandbox_button.click()  # fills four fields, then says what it found
    assert "found the sandbox running at" in text(form.status.value)


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        ("ZEN_TENANT_ID", "Fill ZEN_TENANT_ID above, then click Apply."),
        ("ZEN_PLANE_ID", "Fill ZEN_PLANE_ID above, then click Apply."),
        ("ZEN_API_TOKEN", "Paste your API token into ZEN_API_TOKEN and press Enter, then click Apply."),
    ],
)
def test_a_missing_value_is_marked_on_its_field_and_the_fix_names_the_field(sandbox, missing, says):
    form = typed_form(sandbox, **{missing: ""})
    form.apply_button.click()

    status = text(form.status.value)
    assert f"{missing} is not set" in status and says in status, status
    assert "export" not in status and "shell" not in status and "`" not in status
    field = form.fields[missing]
    assert invalid(field)
    assert [name for name, other in form.fields.items() if invalid(other)] == [missing]

    field.value = "typed-now" if missing != "ZEN_API_TOKEN" else sandbox.token
    assert not invalid(field)
    assert STALE in text(form.status.value)


def test_a_base_that_is_no_url_is_marked_and_its_fix_says_what_a_url_is(sandbox):
    form = typed_form(sandbox, ZEN_API_BASE="ftp://example")
    form.check_button.click()

    status = text(form.status.value)
    assert "ZEN_API_BASE must be an http:// or https:// URL" in status
    assert "Correct ZEN_API_BASE above to an http:// or https:// address" in status
    assert "then click Check connection." in status
    assert invalid(form.base_field) and not invalid(form.tenant_field)


def test_the_first_line_of_an_empty_form_speaks_of_the_form_not_a_shell():
    form = zen_nb.SetupForm(environ={})

    status = text(form.status.value)
    assert "Not set yet: ZEN_API_BASE, ZEN_API_TOKEN, ZEN_TENANT_ID, ZEN_PLANE_ID, ZEN_ADAPTER_ID." in status
    assert "Fill the fields above (or click Use local sandbox), then click Apply." in status
    assert "export" not in status and "shell" not in status
    assert not any(invalid(field) for field in form.fields.values()), "a fresh form is not in error"
    # Its message is paragraphs in the theme's colours, not <br>s or <i>.
    assert "<br" not in status and status.count("<p ") == 2 and "<i>" not in status


def test_the_buttons_and_status_sit_under_the_inputs_in_a_themed_form():
    form = zen_nb.SetupForm(environ={})
    assert {"zen-form", "zen-form-setup"} <= set(form._dom_classes)
    assert "zen-stylesheet" in form.children[0]._dom_classes
    assert "zen-title" in form.children[1]._dom_classes
    buttons = next(child for child in form.children if form.check_button in getattr(child, "children", ()))
    assert "zen-under-inputs" in buttons._dom_classes and "zen-under-inputs" in form.status._dom_classes
    assert re.fullmatch(r"min\(calc\(100% - 4px\), 560px\)", form.base_field.layout.width)
