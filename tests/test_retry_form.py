"""The retry form driven from Python as a user drives it: type, pick, click, wait (with a bound).

Against the session's real sandbox: a flow whose ``http`` target is a loopback port where nothing
listens (as recipe 07's webhook), so every attempt fails; with :data:`deliveries.FAST` the
sandbox gives up on each event within a fraction of a second, and the events are dead letters
for the form to retry. What the form shows is checked against what the API then holds (attempts
made by hand, per event). The plans' journals go to a folder of the test's own.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from test_widgets import assert_token_hidden, free_port

import zen_nb
from zen_nb.errors import ZenError
from zen_nb.widgets.retry_form import RAN, STALE

from deliveries import QUIET, attempts, http_target, ingest_ok, make_flow, wait_attempts
from helpers import ZEN_VARIABLES, Api, wait_until

MAX_ATTEMPTS = 4  # deliveries.FAST: three automatic retries
BOUND = 60.0  # seconds a run may take on 2 shared cores before a test gives up on it


@pytest.fixture(autouse=True)
def own_state(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No ``ZEN_*`` variable set, and the plans' journals in this test's folder (a plan made twice in a
    session, on a sandbox reset in between, must not find the other test's journal)."""
    for name in ZEN_VARIABLES:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("ZEN_NB_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def down(fast: Api) -> dict[str, Any]:
    """A flow (from the Stripe ingester) to an ``http`` target on a loopback port where nothing listens."""
    target = http_target(fast, "down-webhook", f"http://127.0.0.1:{free_port()}/hook")
    return make_flow(fast, "retry-form-down-flow", target=target)


def dead_letters(api: Api, flow: dict[str, Any], count: int) -> list[str]:
    """``count`` events sent, each failed on every attempt the schedule allows; their ids."""
    events = [ingest_ok(api, {"type": "invoice.paid", "n": n})["id"] for n in range(count)]
    wait_attempts(
        api,
        lambda found: len(found) == count * MAX_ATTEMPTS and all(a["status"] == "failed" for a in found),
        deadline=BOUND,
        flowId=flow["id"],
    )
    return events


def manual_retries(api: Api, flow: dict[str, Any]) -> Counter[str]:
    """How many attempts were made by hand, per event, on ``flow``."""
    return Counter(a["eventId"] for a in attempts(api, flowId=flow["id"]) if a["trigger"] == "manual")


def form_on(client: zen_nb.ZenClient, flow: dict[str, Any], **run_options: Any) -> Any:
    """The retry form, with the flow picked as a user picks it."""
    form = zen_nb.retry_form(client, **run_options)
    form.flow_picker.value = flow["id"]
    return form


def finished(form: Any) -> None:
    """The run has returned (within the bound), and not on an exception (shown with its traceback if so)."""
    assert form.wait(BOUND), f"the run did not return within {BOUND} s"
    if form.run_error is not None:
        raise AssertionError(f"the run stopped on {form.run_error!r}") from form.run_error


# -- preview ------------------------------------------------------------------------------------


def test_preview_shows_the_plan_and_changes_nothing(fast, client, down):
    events = dead_letters(fast, down, 3)
    before = attempts(fast, flowId=down["id"])
    form = form_on(client, down)
    assert form.run_button.disabled, "Run is off before any plan is shown"
    assert form.flow_id.value.endswith(f"<code>{down['id']}</code>")
    form.preview_button.click()
    assert form.plan is not None, form.status.value
    assert form.view.value == form.plan._repr_html_()
    assert form.plan.id in form.view.value
    assert form.plan.to_retry == 3
    assert sorted(form.plan.sample(10)["event_id"]) == sorted(events)
    assert not form.run_button.disabled and form.why_off.value == ""
    assert attempts(fast, flowId=down["id"]) == before, "a preview changes nothing"
    # The form as it was planned, then changed: Run goes off and says why; changed back, it is on again.
    form.undelivered_box.value = False
    assert form.run_button.disabled and "click Preview" in form.status.value
    assert STALE.split(":")[0] in form.status.value
    form.undelivered_box.value = True
    assert not form.run_button.disabled and form.status.value == ""


# -- run ----------------------------------------------------------------------------------------


def test_run_retries_each_event_once_and_the_bar_reaches_the_total(fast, client, down):
    events = dead_letters(fast, down, 5)
    form = form_on(client, down)
    form.preview_button.click()
    form.run_button.click()
    assert form.running and form.run_button.disabled and not form.cancel_button.disabled
    assert form.preview_button.disabled, "no second plan while one runs"
    finished(form)
    assert form.progress.bar.max == 5 and form.progress.bar.value == 5, form.progress.line.value
    assert form.progress.line.value == "5 of 5"
    assert form.run_result is not None and not form.run_result.cancelled, form.status.value
    assert form.view.value == form.run_result._repr_html_()
    assert form.run_result.summary["retried"] == 5, form.run_result.summary
    assert manual_retries(fast, down) == Counter({event: 1 for event in events})
    # The plan has run: Run is off (clicking it does nothing), Cancel off, Preview on for the next plan.
    assert form.run_button.disabled and RAN in form.why_off.value
    assert form.cancel_button.disabled and not form.preview_button.disabled
    form.run_button.click()
    assert not form.running
    time.sleep(QUIET)
    assert manual_retries(fast, down) == Counter({event: 1 for event in events})


def test_a_second_preview_retries_nothing_twice_and_a_new_plan_name_retries_again(fast, client, down):
    events = dead_letters(fast, down, 2)
    form = form_on(client, down)
    form.preview_button.click()
    form.run_button.click()
    finished(form)
    settled_again(fast, down)
    form.preview_button.click()
    assert form.plan.to_retry == 0, form.plan.deliveries
    assert form.run_button.disabled and "type a new Plan name to retry them again" in form.why_off.value
    assert manual_retries(fast, down) == Counter({event: 1 for event in events})
    form.name_field.value = "after-the-fix"
    assert form.run_button.disabled, "the plan shown is the old name's"
    form.preview_button.click()
    assert form.plan.to_retry == 2 and not form.run_button.disabled, form.plan.deliveries
    form.run_button.click()
    finished(form)
    assert manual_retries(fast, down) == Counter({event: 2 for event in events})


def settled_again(api: Api, flow: dict[str, Any]) -> None:
    """Every attempt of ``flow`` made, failed, and none to come (a retry by hand may bring automatic ones)."""
    wait_attempts(
        api,
        lambda found: all(a["status"] == "failed" and not a.get("nextAttemptAt") for a in found),
        deadline=BOUND,
        flowId=flow["id"],
    )


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_stops_a_run_and_no_request_is_sent_after_it(fast, client, down, sandbox):
    events = dead_letters(fast, down, 24)
    # One request at a time, 3 events each, each answered 0.4 s late: 8 requests, over 3 s in all.
    form = form_on(client, down, workers=1, batch_size=3)
    form.preview_button.click()
    assert form.plan.to_retry == 24
    slow = {"methods": ["POST"], "path": "/tenants/*/clusters/*/delivery-attempts/**", "latency_ms": 400}
    with sandbox.faults(slow):
        form.run_button.click()
        wait_until(lambda: form.progress.done, lambda done: done >= 3, BOUND, "a first request answered")
        form.cancel_button.click()
        assert form.cancel_button.disabled and form.cancel_button.description == "Cancelling…"
        finished(form)
    result = form.run_result
    assert result is not None and result.cancelled, form.status.value
    assert 0 < result.summary["cancelled"] < 24, result.summary
    assert form.progress.bar.value < form.progress.bar.max == 24
    assert "Cancelled after" in form.status.value
    made = manual_retries(fast, down)
    assert sum(made.values()) == result.summary["retried"] < 24 and set(made.values()) == {1}
    time.sleep(QUIET + 0.4)  # longer than a request takes: one sent after the cancel would show now
    assert manual_retries(fast, down) == made
    assert set(made) < set(events)
    assert form.cancel_button.description == "Cancel" and form.cancel_button.disabled
    assert not form.preview_button.disabled


# -- problems: shown with their fix, nothing lost -------------------------------------------------


def test_until_before_since_is_shown_on_its_field_with_the_fix_and_nothing_is_lost(fast, client, down):
    dead_letters(fast, down, 1)
    form = form_on(client, down)
    form.preview_button.click()
    shown = form.view.value
    plan = form.plan
    form.since_field.value = "2026-12-02"
    form.until_field.value = "2026-12-01T12:00:00Z"
    assert "zen-invalid" in form.until_field._dom_classes and "zen-problem" in form.until_hint._dom_classes
    assert "is not after Since" in form.until_hint.value and "make Until later than Since" in form.until_hint.value
    assert form.preview_button.disabled and "Preview is off: Until" in form.why_off.value
    assert form.run_button.disabled
    form.preview_button.click()  # a click that gets through anyway sends nothing
    assert 'role="alert"' not in form.status.value, "nothing was sent, so nothing was refused"
    assert form.plan is plan and form.view.value == shown, "the plan shown before stays"
    assert (form.since_field.value, form.until_field.value) == ("2026-12-02", "2026-12-01T12:00:00Z")
    assert form.flow_picker.value == down["id"], "the rest of the form is as it was"
    form.since_field.value = "yesterday"
    assert "zen-invalid" in form.since_field._dom_classes
    assert "not a date or a time: type one such as 2026-12-01" in form.since_hint.value
    # Emptied again, the form is the one planned: its plan is good again.
    form.since_field.value = form.until_field.value = ""
    assert "zen-invalid" not in form.until_field._dom_classes and "zen-problem" not in form.until_hint._dom_classes
    assert not form.preview_button.disabled and not form.run_button.disabled


def test_an_error_from_the_api_is_shown_with_its_fix_and_nothing_is_lost(fast, client, down, sandbox):
    dead_letters(fast, down, 1)
    form = form_on(client, down)
    form.preview_button.click()
    shown, plan = form.view.value, form.plan
    form.since_field.value = "2020-01-01"
    refused = {"status": 403, "methods": ["GET"], "path": "/tenants/*/clusters/*/delivery-attempts", "count": 1}
    with sandbox.faults(refused) as rule:
        form.preview_button.click()
        assert rule.hits == 1
    with pytest.raises(ZenError) as raised:  # what the same call raises in a cell, for the comparison
        with sandbox.faults(refused):
            client.plan_retry(flow=down["id"], since="2020-01-01")
    error = raised.value
    assert type(error).__name__ in form.status.value and 'role="alert"' in form.status.value
    assert "<b>Fix:</b>" in form.status.value and error.fix.split("`")[0][:40] in form.status.value
    assert form.plan is plan and form.view.value == shown
    assert form.since_field.value == "2020-01-01" and form.flow_picker.value == down["id"]
    assert form.run_button.disabled, "the plan shown is for the form before Since was typed"
    form.preview_button.click()  # the fault is gone: the same form plans
    assert form.plan is not plan and form.status.value == "" and not form.run_button.disabled


def test_an_option_the_form_does_not_pass_on_is_refused_with_the_fix(client):
    with pytest.raises(ZenError, match="no option progress") as raised:
        zen_nb.retry_form(client, progress=True)
    assert "workers, batch_size, wait, timeout" in raised.value.fix


# -- no token anywhere ----------------------------------------------------------------------------


def test_no_widget_state_holds_the_token_after_preview_and_run(fast, client, down, sandbox):
    dead_letters(fast, down, 2)
    form = form_on(client, down)
    form.preview_button.click()
    assert_token_hidden(form, sandbox.token, sandbox.admin_token)
    form.run_button.click()
    finished(form)
    assert_token_hidden(form, sandbox.token, sandbox.admin_token)
    for shown in (form.view.value, form.status.value, repr(form), repr(form.plan), repr(form.run_result)):
        assert sandbox.token not in shown
