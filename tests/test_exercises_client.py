"""``zen_nb.exercises`` in a trainee's cell, against a real class sandbox: names, check, prepare.

A trainee joins with their code, as in the room, and checks exercises on their own tenant. A
check that fails is a result (what is missing and a hint), not an error; one that passes says
what was found. The text of a result is exactly the sandbox's message (and ``Hint: …`` on a
second line), with no time in it, so a saved notebook shows the same output on every run; its
HTML has the tick or the cross, in JupyterLab's theme colours. A name that is no exercise is
refused before any request; a service without the class surface says exercises need the sandbox.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

import zen_nb
from zen_nb import ZenClient, ZenConfig, exercises
from zen_nb.errors import ForbiddenError, NoClassSandbox, UnknownExercise, ZenConfigError
from zen_nb.exercise_catalog import EXERCISES, PLANE_ID, TARGET_NAME, TARGET_URL
from zen_nb.exercises import CheckResult, PrepareResult

from class_helpers import assert_not_shown, enroll, free_port, service_without_a_class
from helpers import ZEN_VARIABLES

PASSED_TARGET = f"✓ target '{TARGET_NAME}' (http) exists on {PLANE_ID} and delivers to {TARGET_URL}"


@pytest.fixture
def trainee(api, sandbox) -> dict[str, Any]:
    """A trainee of a fresh class who has joined: their row, with ``env`` (the five ZEN_* join set)."""
    (row,) = enroll(sandbox, "ada")
    env: dict[str, str] = {}
    zen_nb.join(row["joinCode"], sandbox.base_url, environ=env)
    return {**row, "env": env, "config": ZenConfig(environ=env)}


def raw_check(env: dict[str, str], name: str) -> dict[str, Any]:
    """The sandbox's own answer to a check, without the kit."""
    response = requests.post(
        f"{env['ZEN_API_BASE']}/_sandbox/class/exercises/{name}/check",
        headers={"Authorization": f"Bearer {env['ZEN_API_TOKEN']}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- names, with no sandbox -----------------------------------------------------------------------


def test_names_are_the_session_in_order_with_no_sandbox():
    assert exercises.names() == [exercise.name for exercise in EXERCISES]
    assert exercises.names()[:2] == ["create-a-target", "create-a-flow"]
    assert exercises.task("create-a-target") == EXERCISES[0].task


def test_a_name_that_is_no_exercise_is_a_value_error_before_any_request():
    dead = ZenConfig(environ={**dict.fromkeys(ZEN_VARIABLES, "x"), "ZEN_API_BASE": f"http://127.0.0.1:{free_port()}"})
    for call in (exercises.check, exercises.prepare):
        with pytest.raises(UnknownExercise) as raised:
            call("create-a-flwo", config=dead)  # a request would be a ZenConnectionError
        assert isinstance(raised.value, ValueError)
        assert "create-a-flwo" in raised.value.message and "create-a-flow" in raised.value.message
        assert "`zen_nb.exercises.names()`" in raised.value.fix


# -- check ---------------------------------------------------------------------------------------------


def test_a_failed_check_is_a_result_whose_text_is_the_message_and_the_hint(trainee):
    result = exercises.check("create-a-target", config=trainee["config"])
    assert isinstance(result, CheckResult)
    assert not result.passed and not result
    assert result.exercise == "create-a-target" and result.passed_at is None and result.checks == 1
    assert result.message.startswith("✗ ")
    assert result.hint
    assert repr(result) == f"{result.message}\nHint: {result.hint}"
    assert str(result) == repr(result)
    raw = raw_check(trainee["env"], "create-a-target")  # the sandbox's own words, exactly
    assert (raw["message"], raw["hint"], raw["checks"]) == (result.message, result.hint, 2)


def test_a_passed_check_says_what_was_found_and_when_it_first_passed(trainee):
    before = datetime.now(UTC).replace(microsecond=0)
    with ZenClient(trainee["config"]) as client:
        client.create_target(name=TARGET_NAME, type="http", url=TARGET_URL)
    result = exercises.check("create-a-target", config=trainee["config"])
    assert result.passed and result
    assert repr(result) == PASSED_TARGET  # the words: no hint line, no time
    assert result.hint is None
    assert result.passed_at is not None and result.passed_at.tzinfo is not None
    assert before <= result.passed_at <= datetime.now(UTC)
    again = exercises.check("create-a-target", config=trainee["config"])
    assert (again.passed_at, again.checks, repr(again)) == (result.passed_at, result.checks + 1, PASSED_TARGET)


def test_check_reads_the_environment_that_join_set(trainee, monkeypatch):
    for name, value in trainee["env"].items():
        monkeypatch.setenv(name, value)
    assert exercises.check("create-a-flow").checks == 1
    assert raw_check(trainee["env"], "create-a-flow")["checks"] == 2  # it was this tenant's check


def test_the_text_is_the_same_on_every_run_so_saved_notebooks_do_not_change(trainee):
    with ZenClient(trainee["config"]) as client:
        client.create_target(name=TARGET_NAME, type="http", url=TARGET_URL)
    for name in ("pause-and-resume", "create-a-target"):  # failed, then passed
        first = exercises.check(name, config=trainee["config"])
        second = exercises.check(name, config=trainee["config"])
        assert repr(first) == repr(second) and first._repr_html_() == second._repr_html_()
        assert first.checks != second.checks  # the answers differ; what a notebook shows does not


def test_in_a_notebook_the_outputs_are_the_text_and_a_themed_html(trainee, shell):
    with ZenClient(trainee["config"]) as client:
        client.create_target(name=TARGET_NAME, type="http", url=TARGET_URL)
    passed = exercises.check("create-a-target", config=trainee["config"])
    failed = exercises.check("create-a-flow", config=trainee["config"])
    for result, mark, colour in ((passed, "✓", "--jp-success-color1"), (failed, "✗", "--jp-error-color1")):
        data, _ = shell.display_formatter.format(result)
        assert data["text/plain"] == repr(result)
        html = data["text/html"]
        assert f">{mark}</span>" in html and f"var({colour}, #" in html
        assert html.count(mark) == 1  # the sandbox's own mark, coloured, not a second one
        # The theme's text colour, over a faint tint: no light background of its own in a dark theme.
        assert "color:var(--jp-content-font-color1, inherit)" in html
        assert "background:#" not in html.replace(" ", "") and "white" not in html
    assert "<b>Hint:</b>" in failed._repr_html_() and "Hint" not in passed._repr_html_()


def test_html_escapes_what_a_message_repeats():
    result = CheckResult("create-a-target", False, "✗ target '<b>x</b>' & more", "look <here>", None, 1)
    html = result._repr_html_()
    assert (
        "&#x27;&lt;b&gt;x&lt;/b&gt;&#x27; &amp; more" in html and "look &lt;here&gt;" in html and "<b>x</b>" not in html
    )


def test_the_admin_token_is_refused_for_a_check(api, sandbox):
    env = {**sandbox.env(), "ZEN_API_TOKEN": sandbox.admin_token}
    with pytest.raises(ForbiddenError) as raised:
        exercises.check("create-a-target", config=ZenConfig(environ=env))
    assert "tenant" in raised.value.message
    assert_not_shown(
        {"admin token": sandbox.admin_token}, {"str": str(raised.value), "html": raised.value._repr_html_()}
    )


def test_not_configured_says_to_join_first(no_zen_environ):
    with pytest.raises(ZenConfigError) as raised:
        exercises.check("create-a-target")
    assert '`zen_nb.join("CODE")`' in raised.value.fix


def test_a_service_without_a_class_says_exercises_need_the_sandbox():
    with service_without_a_class() as base:
        config = ZenConfig(environ={**dict.fromkeys(ZEN_VARIABLES, "x"), "ZEN_API_BASE": base})
        for call in (exercises.check, exercises.prepare):
            with pytest.raises(NoClassSandbox) as raised:
                call("create-a-target", config=config)
            assert "not a zen_nb class sandbox" in raised.value.message
            assert "zen_nb sandbox" in raised.value.fix and '`zen_nb.join("CODE")`' in raised.value.fix


# -- prepare -------------------------------------------------------------------------------------------


def test_prepare_puts_the_material_once_and_says_so(trainee):
    first = exercises.prepare("retry-the-failing-flow", config=trainee["config"])
    assert isinstance(first, PrepareResult) and first.prepared
    assert repr(first) == first.message and "retry-the-failing-flow" in first.message
    with ZenClient(trainee["config"]) as client:
        flows = client.list_flows()
    again = exercises.prepare("retry-the-failing-flow", config=trainee["config"])
    assert not again.prepared and "already" in repr(again)
    with ZenClient(trainee["config"]) as client:
        assert [flow["id"] for flow in client.list_flows()] == [flow["id"] for flow in flows]
    nothing = exercises.prepare("create-a-target", config=trainee["config"])
    assert not nothing.prepared and "needs no material" in nothing.message
    assert "✓" in nothing._repr_html_()
