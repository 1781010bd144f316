"""The exercises' checks over HTTP: each fails before its solution and passes after, and each
mistake a trainee makes on the way gets its own message (never the solution).

Every test works as a trainee does, with ``ZenClient`` on a tenant of its own
(:class:`exercise_trainee.Trainee`), and checks with that tenant's token. The two exercises
with prepared material are in ``test_exercise_material.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from zen_nb.errors import FlowNameConflict
from zen_nb.exercise_catalog import (
    FLOW_NAME,
    FLOW_SOURCE,
    FLOW_TARGET,
    PLANE_ID,
    SECOND_FLOW_NAME,
    TARGET_NAME,
    TARGET_URL,
    names,
)

from exercise_trainee import EXERCISES_PATH, STRIPE_TARGET, Trainee
from helpers import admin, admin_post, assert_error

EU = "plane_prod_eu_west_1"
PASSES = {
    "create-a-target": f"✓ target '{TARGET_NAME}' (http) exists on {PLANE_ID} and delivers to {TARGET_URL}",
    "create-a-flow": f"✓ flow '{FLOW_NAME}' exists and targets {FLOW_TARGET}",
    "handle-a-name-conflict": f"✓ creating '{FLOW_NAME}' again was refused (409 flow_name_conflict), and flow "
    f"'{SECOND_FLOW_NAME}' exists with the same source and target",
    "pause-and-resume": f"✓ flow '{FLOW_NAME}' was paused, then resumed, and is active",
}


@pytest.fixture
def trainee(new_tenant) -> Iterator[Trainee]:
    one = Trainee(new_tenant())
    yield one
    one.close()


def solve_target(trainee: Trainee) -> None:
    trainee.client.create_target(TARGET_NAME, "http", url=TARGET_URL)


def solve_flow(trainee: Trainee):
    return trainee.create_invoice_flow(FLOW_NAME)


def solve_conflict(trainee: Trainee) -> None:
    try:
        trainee.create_invoice_flow(FLOW_NAME)
    except FlowNameConflict:
        trainee.create_invoice_flow(SECOND_FLOW_NAME)


def solve_pause(trainee: Trainee, flow) -> None:
    trainee.client.pause_flow(flow)
    trainee.client.resume_flow(flow)


def test_the_exercises_are_listed_without_a_token_in_the_session_order(api):
    response = requests.get(f"{api.base_url}{EXERCISES_PATH}", timeout=30)
    assert response.status_code == 200, response.text
    listed = response.json()["exercises"]
    assert [item["name"] for item in listed] == names()
    assert all(set(item) == {"name", "title", "task", "prepared"} for item in listed)
    assert [item["name"] for item in listed if item["prepared"]] == ["retry-the-failing-flow", "flows-as-a-dataframe"]


def test_each_seed_exercise_fails_before_its_solution_and_passes_after(trainee):
    before = {name: trainee.message(name) for name in PASSES}
    assert before == {
        "create-a-target": f"✗ there is no target named '{TARGET_NAME}' on {PLANE_ID}\n"
        "Hint: create an http target with client.create_target (recipe 01-create-a-target)",
        "create-a-flow": f"✗ there is no flow named '{FLOW_NAME}' on {PLANE_ID}\n"
        "Hint: create it with client.create_flow (recipe 02-create-a-flow)",
        "handle-a-name-conflict": f"✗ there is no flow '{FLOW_NAME}' on {PLANE_ID} to conflict with, and no create "
        "of it was refused\nHint: do the exercise create-a-flow first, then create the same flow a second time",
        "pause-and-resume": f"✗ there is no flow named '{FLOW_NAME}' on {PLANE_ID}\n"
        "Hint: do the exercise create-a-flow first: this one pauses and resumes that flow",
    }
    solve_target(trainee)
    assert trainee.message("create-a-target") == PASSES["create-a-target"]
    flow = solve_flow(trainee)
    assert trainee.message("create-a-flow") == PASSES["create-a-flow"]
    solve_conflict(trainee)
    assert trainee.message("handle-a-name-conflict") == PASSES["handle-a-name-conflict"]
    solve_pause(trainee, flow)
    assert trainee.message("pause-and-resume") == PASSES["pause-and-resume"]
    # Passed checks stay passed as the session goes on (a later exercise does not undo an earlier one).
    assert {name: trainee.check(name)["message"] for name in PASSES} == PASSES


def test_a_target_of_another_type_url_plane_or_name_is_told_apart(trainee):
    client = trainee.client
    wrong = client.create_target(TARGET_NAME, "slack")
    assert trainee.message("create-a-target") == (
        f"✗ target '{TARGET_NAME}' exists on {PLANE_ID} but is of type 'slack', not 'http'\nHint: a target's type "
        "cannot change: delete this target (client.delete_target) and create it again as an http target with the "
        "task's URL (recipe 01-create-a-target)"
    )
    client.delete_target(wrong)
    target = client.create_target(TARGET_NAME, "http", url="http://127.0.0.1:9/hooks/training/")
    assert trainee.message("create-a-target") == (
        f"✗ target '{TARGET_NAME}' (http) exists on {PLANE_ID} but delivers to http://127.0.0.1:9/hooks/training/, "
        f"not to {TARGET_URL}\nHint: a target's url can change: look at client.update_target, or compare your url "
        "with the task's character by character"
    )
    client.update_target(target, url=TARGET_URL)
    assert trainee.message("create-a-target") == PASSES["create-a-target"]
    client.delete_target(target)

    elsewhere = client.create_target(TARGET_NAME, "http", url=TARGET_URL, plane=EU)
    assert trainee.message("create-a-target") == (
        f"✗ target '{TARGET_NAME}' exists on {EU}, not on {PLANE_ID}\nHint: a target belongs to one plane: create it "
        f"on {PLANE_ID} (ZEN_PLANE_ID, or the plane argument of client.create_target)"
    )
    client.delete_target(elsewhere, plane=EU)
    client.create_target("training-hook", "http", url=TARGET_URL)
    assert trainee.message("create-a-target") == (
        f"✗ there is no target named '{TARGET_NAME}' on {PLANE_ID}; target 'training-hook' delivers to the task's "
        f"URL\nHint: the task's target is called '{TARGET_NAME}': rename yours (client.update_target) or create it "
        "again"
    )


def test_a_flow_on_the_other_plane_from_another_source_or_to_another_target_is_told_apart(trainee):
    client = trainee.client
    renamed = trainee.create_invoice_flow("invoice-claim")
    assert trainee.message("create-a-flow") == (
        f"✗ there is no flow named '{FLOW_NAME}' on {PLANE_ID}; flow 'invoice-claim' goes from {FLOW_SOURCE} to "
        f"{FLOW_TARGET}\nHint: the task's flow is called '{FLOW_NAME}': rename yours (client.update_flow) or create "
        "it again"
    )
    client.delete_flow(renamed)
    eu = client.create_flow(FLOW_NAME, FLOW_SOURCE, {"id": "dest_stripe_prod_eu_west_1", "type": "stripe"}, plane=EU)
    assert trainee.message("create-a-flow") == (
        f"✗ flow '{FLOW_NAME}' exists on {EU}, not on {PLANE_ID}\nHint: a flow belongs to one plane: create it on "
        f"{PLANE_ID} (ZEN_PLANE_ID, or the plane argument of client.create_flow)"
    )
    client.delete_flow(eu, plane=EU)
    flow = trainee.create_invoice_flow(FLOW_NAME, target={"id": "dest_stripe_staging_us_east_1", "type": "stripe"})
    assert trainee.message("create-a-flow") == (
        f"✗ flow '{FLOW_NAME}' exists but it targets dest_stripe_staging_us_east_1, not {FLOW_TARGET}\nHint: a "
        "flow's target can change: look at client.update_flow (or delete the flow and create it again)"
    )
    client.update_flow(flow, target=STRIPE_TARGET)
    assert trainee.message("create-a-flow") == PASSES["create-a-flow"]
    client.delete_flow(flow)
    client.create_flow(FLOW_NAME, "ingester_github", {"id": "dest_s3_events_archive", "type": "s3"})
    assert trainee.message("create-a-flow") == (
        f"✗ flow '{FLOW_NAME}' exists but its source is ingester_github, not {FLOW_SOURCE} and it targets "
        f"dest_s3_events_archive, not {FLOW_TARGET}\nHint: a flow's source cannot change: delete the flow "
        "(client.delete_flow) and create it again"
    )


def test_a_name_conflict_needs_the_409_seen_and_the_second_flow_made(trainee):
    solve_flow(trainee)
    trainee.create_invoice_flow(SECOND_FLOW_NAME)  # straight to the other name: the conflict was never met
    assert trainee.message("handle-a-name-conflict") == (
        f"✗ flow '{SECOND_FLOW_NAME}' exists, but no second create of '{FLOW_NAME}' was refused yet (no 409 "
        f"flow_name_conflict seen)\nHint: create '{FLOW_NAME}' once more, as if it did not exist, and catch the "
        "FlowNameConflict the client raises (recipe 05-common-errors)"
    )
    trainee.client.delete_flow(trainee.client.list_flows()[1])
    with pytest.raises(FlowNameConflict):
        trainee.create_invoice_flow(FLOW_NAME)
    assert trainee.message("handle-a-name-conflict") == (
        f"✗ the second create of '{FLOW_NAME}' was refused (409), but there is no flow named '{SECOND_FLOW_NAME}' on "
        f"{PLANE_ID}\nHint: in the handler of FlowNameConflict, create the flow under the task's other name "
        "(recipe 05-common-errors)"
    )
    second = trainee.create_invoice_flow(SECOND_FLOW_NAME, target={"id": "dest_slack_ops_alerts", "type": "slack"})
    assert trainee.message("handle-a-name-conflict") == (
        f"✗ flow '{SECOND_FLOW_NAME}' exists but it targets dest_slack_ops_alerts, not {FLOW_TARGET}\nHint: the flow "
        f"under the other name has the same source and target as '{FLOW_NAME}'; a flow's target can change: look at "
        "client.update_flow (or delete the flow and create it again)"
    )
    trainee.client.update_flow(second, target=STRIPE_TARGET)
    assert trainee.message("handle-a-name-conflict") == PASSES["handle-a-name-conflict"]


def test_a_pause_without_a_resume_or_of_another_flow_does_not_pass(trainee):
    client = trainee.client
    flow = solve_flow(trainee)
    other = trainee.create_invoice_flow("other-flow")
    client.pause_flow(other)
    client.resume_flow(other)
    assert trainee.message("pause-and-resume") == (
        f"✗ flow '{FLOW_NAME}' was never paused (another flow was: the task is about '{FLOW_NAME}')\nHint: pause it "
        "with client.pause_flow, then resume it (recipe 04-update-pause-resume-delete)"
    )
    client.pause_flow(flow)
    client.pause_flow(flow)  # a pause of a paused flow changes nothing
    assert trainee.message("pause-and-resume") == (
        f"✗ flow '{FLOW_NAME}' was paused but not resumed since: it is paused\nHint: resume it with "
        "client.resume_flow (recipe 04-update-pause-resume-delete)"
    )
    client.update_flow(flow, status="active")  # a PATCH of the status is a resume as well
    assert trainee.message("pause-and-resume") == PASSES["pause-and-resume"]
    client.update_flow(flow, status="paused")
    assert trainee.check("pause-and-resume")["passed"] is False


def test_a_flow_created_paused_then_resumed_was_never_paused(trainee):
    flow = trainee.create_invoice_flow(FLOW_NAME, status="paused")
    trainee.client.resume_flow(flow)
    assert trainee.message("pause-and-resume") == (
        f"✗ flow '{FLOW_NAME}' was resumed but never paused (it was created paused)\nHint: pause it with "
        "client.pause_flow, then resume it (recipe 04-update-pause-resume-delete)"
    )


def test_a_tenant_never_sees_another_tenants_objects(new_tenant):
    first, second = Trainee(new_tenant()), Trainee(new_tenant())
    try:
        solve_target(first)
        flow = solve_flow(first)
        solve_conflict(first)
        solve_pause(first, flow)
        assert {name: first.check(name)["message"] for name in PASSES} == PASSES
        assert all(not second.check(name)["passed"] for name in names())
        # Nor does the demo tenant (which may check too) see them.
        demo = Trainee(first.api.__class__(first.api.box))
        assert not any(demo.check(name)["passed"] for name in PASSES)
        demo.close()
    finally:
        first.close()
        second.close()


def test_the_admin_token_a_wrong_token_and_no_token_are_refused(trainee):
    box = trainee.api.box
    for action in ("check", "prepare"):
        error = assert_error(trainee.call("create-a-flow", action, box.admin_token), 403, "forbidden")
        assert "admin token" in error["message"] and "ZEN_API_TOKEN" in error["message"]
        assert box.admin_token not in error["message"]
        response = trainee.call("create-a-flow", action, "zen_test_not_a_token")
        error = assert_error(response, 401, "unauthenticated")
        assert "zen_test_not_a_token" not in response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        response = trainee.call("create-a-flow", action, None)
        assert_error(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_exercise_is_a_404_that_lists_the_exercises(trainee):
    for action in ("check", "prepare"):
        error = assert_error(trainee.call("create-a-flwo", action), 404, "exercise_not_found")
        assert error["message"] == f"there is no exercise 'create-a-flwo'; the exercises are: {', '.join(names())}"
    odd = trainee.call("a%2Fb%25c", "check")  # an encoded '/' and '%' stay in the name
    assert "'a/b%c'" in assert_error(odd, 404, "exercise_not_found")["message"]
    long_name = "x" * 500
    assert len(assert_error(trainee.call(long_name, "check"), 404, "exercise_not_found")["message"]) < 300


def test_checks_are_counted_and_the_first_pass_is_kept(trainee):
    first = trainee.check("create-a-target")
    assert (first["checks"], first["passedAt"]) == (1, None)
    solve_target(trainee)
    passed = trainee.check("create-a-target")
    assert passed["checks"] == 2 and passed["passedAt"]
    trainee.client.delete_target(trainee.client.list_targets()[-1])
    later = trainee.check("create-a-target")
    assert (later["passed"], later["checks"], later["passedAt"]) == (False, 3, passed["passedAt"])
    assert trainee.check("create-a-flow")["checks"] == 1  # counted per exercise


def test_a_reset_of_the_sandbox_forgets_the_activity(api, trainee):
    solve_flow(trainee)
    solve_conflict(trainee)
    assert trainee.check("handle-a-name-conflict")["passed"]
    assert admin_post(api.box, "reset").status_code == 200
    response = trainee.call("handle-a-name-conflict", "check")
    assert_error(response, 401, "unauthenticated")  # the tenant is gone with the reset


def test_a_trainees_checks_reach_the_class_progress_and_its_reset_brings_back_the_start(api):
    response = admin_post(api.box, "class/trainees", json={"names": ["ada", "grace"]})
    assert response.status_code == 201, response.text
    ada, grace = (
        Trainee(api.__class__(api.box, token=item["token"], tenant_id=item["tenantId"]))
        for item in response.json()["trainees"]
    )
    try:
        ada.check("create-a-target")
        solve_target(ada)
        passed = ada.check("create-a-target")
        grace.check("create-a-flow")
        progress = admin(api, "GET", "class/progress").json()
        rows = {row["trainee"]: row["exercises"] for row in progress["trainees"]}
        assert rows["ada"]["create-a-target"] == {
            "passed": True,
            "passedAt": passed["passedAt"],
            "checks": 2,
            "lastCheckedAt": passed["passedAt"],
        }
        assert rows["ada"]["create-a-flow"]["checks"] == 0
        assert rows["grace"]["create-a-flow"]["checks"] == 1 and not rows["grace"]["create-a-flow"]["passed"]
        assert rows["grace"]["create-a-target"]["checks"] == 0

        # The trainer's reset of ada: her objects and activity go, and prepare brings the material back.
        flow = solve_flow(ada)
        solve_conflict(ada)
        solve_pause(ada, flow)
        ada.prepare("flows-as-a-dataframe")
        assert admin_post(api.box, "class/trainees/ada/reset").status_code == 200
        assert [ada.check(name)["passed"] for name in names()] == [False] * len(names())
        solve_flow(ada)
        assert ada.check("handle-a-name-conflict")["message"].startswith("✗ no second create")
        assert ada.prepare("flows-as-a-dataframe")["message"].startswith("prepared the material")
        assert grace.check("create-a-flow")["checks"] == 2  # grace untouched
    finally:
        ada.close()
        grace.close()


def test_a_flow_deleted_and_made_again_starts_without_its_activity(trainee):
    flow = solve_flow(trainee)
    solve_conflict(trainee)
    solve_pause(trainee, flow)
    assert trainee.check("pause-and-resume")["passed"] and trainee.check("handle-a-name-conflict")["passed"]
    trainee.client.delete_flow(flow)
    solve_flow(trainee)
    assert trainee.check("pause-and-resume")["message"] == f"✗ flow '{FLOW_NAME}' was never paused"
    assert trainee.check("handle-a-name-conflict")["message"] == (
        f"✗ flow '{SECOND_FLOW_NAME}' exists, but no second create of '{FLOW_NAME}' was refused yet (no 409 "
        "flow_name_conflict seen)"
    )


def test_a_tenant_without_the_seed_gets_verdicts_and_a_409_for_material(new_tenant):
    bare = Trainee(new_tenant(seed=False))
    try:
        assert not any(bare.check(name)["passed"] for name in names())
        for name in ("retry-the-failing-flow", "flows-as-a-dataframe"):
            error = assert_error(bare.call(name, "prepare"), 409, "exercise_material_unavailable")
            assert "reset" in error["message"]
    finally:
        bare.close()
