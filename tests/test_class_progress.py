"""``zen_nb.class_progress()``: the trainer's DataFrame of a real class, trainee × exercise.

Trainees join with their codes and check exercises through the kit, as in the room; the frame
then has one row per trainee in roster order, one column per exercise in session order, each
cell the time of the first pass (``datetime64[ns, UTC]``) or ``NaT``, and agrees with the
sandbox's own progress answer (which the board draws). ``attrs`` hold who joined, the number of
checks and the tenants. The admin token comes from the argument or ``ZEN_SANDBOX_ADMIN_TOKEN``;
missing, it is a configuration error saying how to set it unseen; wrong, a 401 whose fix names
it; never is it in an error's text.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import requests

import zen_nb
from zen_nb import ZenClient, ZenConfig, exercises
from zen_nb.errors import NoClassSandbox, UnauthorizedError, ZenConfigError
from zen_nb.exercise_catalog import TARGET_NAME, TARGET_URL

from class_helpers import assert_not_shown, enroll, service_without_a_class, shown_forms


def sandbox_progress(box: Any) -> dict[str, Any]:
    response = requests.get(
        f"{box.base_url}/_sandbox/class/progress", headers={"Authorization": f"Bearer {box.admin_token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def room(api, sandbox) -> list[dict[str, Any]]:
    """A class of three: ``grace`` and ``ada`` joined, ``linus`` not; ``ada`` passed create-a-target, and
    checked create-a-flow twice without passing it."""
    rows = enroll(sandbox, "grace", "ada", "linus")
    for row in rows[:2]:
        row["env"] = {}
        zen_nb.join(row["joinCode"], sandbox.base_url, environ=row["env"])
    config = ZenConfig(environ=rows[1]["env"])
    with ZenClient(config) as client:
        client.create_target(name=TARGET_NAME, type="http", url=TARGET_URL)
    assert exercises.check("create-a-target", config=config).passed
    for _ in range(2):
        assert not exercises.check("create-a-flow", config=config).passed
    return rows


def test_the_frame_is_trainee_by_exercise_with_the_first_pass_times(room, sandbox):
    frame = zen_nb.class_progress(admin_token=sandbox.admin_token, api_base=sandbox.base_url)
    assert list(frame.index) == ["grace", "ada", "linus"]  # roster order, not sorted
    assert frame.index.name == "trainee"
    assert list(frame.columns) == exercises.names() and frame.columns.name == "exercise"
    assert {str(dtype) for dtype in frame.dtypes} == {"datetime64[ns, UTC]"}
    raw = sandbox_progress(sandbox)
    passed_at = raw["trainees"][1]["exercises"]["create-a-target"]["passedAt"]
    assert frame.loc["ada", "create-a-target"] == pd.Timestamp(passed_at)
    assert int(frame.notna().sum().sum()) == 1  # the one pass; everything else NaT
    assert frame.notna().sum().to_dict() == {name: int(name == "create-a-target") for name in exercises.names()}
    assert frame.attrs["joined"] == {"grace": True, "ada": True, "linus": False}
    assert frame.attrs["checks"]["ada"]["create-a-flow"] == 2
    assert frame.attrs["checks"]["grace"] == dict.fromkeys(exercises.names(), 0)
    assert frame.attrs["tenant_id"] == {row["trainee"]: row["tenantId"] for row in room}
    secrets = {f"{row['trainee']}'s token": row["token"] for row in room} | {"admin token": sandbox.admin_token}
    assert_not_shown(secrets, {"frame": frame.to_string(), "attrs": str(frame.attrs), "html": frame.to_html()})


def test_the_admin_token_and_address_come_from_the_environment(room, sandbox, monkeypatch):
    monkeypatch.setenv("ZEN_SANDBOX_ADMIN_TOKEN", sandbox.admin_token)
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)
    assert list(zen_nb.class_progress().index) == ["grace", "ada", "linus"]


def test_a_class_with_no_trainee_is_an_empty_frame_with_every_exercise(api, sandbox):
    frame = zen_nb.class_progress(admin_token=sandbox.admin_token, api_base=sandbox.base_url)
    assert frame.empty and list(frame.columns) == exercises.names()
    assert {str(dtype) for dtype in frame.dtypes} == {"datetime64[ns, UTC]"}


def test_without_an_admin_token_it_says_how_to_set_one_unseen(monkeypatch):
    monkeypatch.delenv("ZEN_SANDBOX_ADMIN_TOKEN", raising=False)
    with pytest.raises(ZenConfigError) as raised:
        zen_nb.class_progress(api_base="http://127.0.0.1:9")
    error = raised.value
    assert "ZEN_SANDBOX_ADMIN_TOKEN is not set" in error.message
    assert "`read -rs ZEN_SANDBOX_ADMIN_TOKEN && export ZEN_SANDBOX_ADMIN_TOKEN`" in error.fix
    assert "getpass.getpass(" in error.fix and "Never write it into a cell" in error.fix


def test_a_wrong_admin_token_is_unauthorized_and_never_shown(api, sandbox):
    wrong = "zen_admin_not_the_right_one_0123456789"
    with pytest.raises(UnauthorizedError) as raised:
        zen_nb.class_progress(admin_token=wrong, api_base=sandbox.base_url)
    error = raised.value
    assert error.status == 401
    assert "admin token" in error.fix and "zen-nb class start" in error.fix
    assert_not_shown({"wrong token": wrong, "admin token": sandbox.admin_token}, shown_forms(error))


def test_a_trainees_token_is_no_admin_token(room, sandbox):
    with pytest.raises(UnauthorizedError) as raised:
        zen_nb.class_progress(admin_token=room[0]["token"], api_base=sandbox.base_url)
    assert_not_shown({"token": room[0]["token"]}, shown_forms(raised.value))


def test_an_address_with_no_class_says_so():
    with service_without_a_class() as base:
        with pytest.raises(NoClassSandbox) as raised:
            zen_nb.class_progress(admin_token="zen_admin_x", api_base=base)
    assert "not a zen_nb class sandbox" in raised.value.message
    assert "zen-nb class start" in raised.value.fix
