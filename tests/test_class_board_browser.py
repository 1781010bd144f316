"""The trainer's board (``/_sandbox/class``) in headless Chromium, as a trainer opens it to project it.

The browser asks for the admin token as HTTP Basic credentials (any user name, the token as the
password) and sends them again on each of the page's own refreshes. The test records every
answer the page receives and checks that none holds a trainee's token or join code, reads the
ticks off the page, and watches the page refresh by itself after a trainee passes a check.
Screenshots (light and dark) go to ``tests/browser-screenshots/<test>/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.exercise_catalog import TARGET_NAME, TARGET_URL

from browser import INSTALL, SCREENSHOTS, chromium_or_skip, launched_chromium
from helpers import admin_post

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NAMES = ["Ada Lovelace", "Grace Hopper", "O'Brien", "trainee-04"]
REFRESH_WAIT_MS = 10_000  # the page refreshes every 5 s
REFRESHES = 3  # refreshes to wait for the new tick through (one may have left before the check)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("playwright.sync_api", reason=f"the browser tests need Playwright and Chromium: {INSTALL}")
    with launched_chromium(chromium_or_skip(), tmp_path_factory.mktemp("chromium")) as launched:
        yield launched


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[sandbox_pkg.Sandbox, list[dict[str, Any]]]]:
    with sandbox_pkg.start(port=0, db=tmp_path / "class.sqlite3") as box:
        made = admin_post(box, "class/trainees", json={"names": NAMES})
        assert made.status_code == 201, made.text
        yield box, made.json()["trainees"]


def solve_create_a_target(box: sandbox_pkg.Sandbox, trainee: dict[str, Any]) -> None:
    """The first exercise, done over plain HTTP with the trainee's token, then checked."""
    headers = {"Authorization": f"Bearer {trainee['token']}"}
    created = requests.post(
        f"{box.base_url}/tenants/{trainee['tenantId']}/clusters/plane_dev_us_east_1/targets",
        json={"name": TARGET_NAME, "type": "http", "url": TARGET_URL},
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    checked = requests.post(
        f"{box.base_url}/_sandbox/class/exercises/create-a-target/check", headers=headers, timeout=30
    )
    assert checked.status_code == 200 and checked.json()["passed"], checked.text


def test_the_board_in_chromium_shows_names_and_ticks_refreshes_itself_and_never_a_secret(
    room, chromium, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    box, trainees = room
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    request.node.user_properties.append(("screenshots", str(folder)))
    solve_create_a_target(box, trainees[0])
    joined = requests.post(f"{box.base_url}/_sandbox/class/join", json={"code": trainees[1]["joinCode"]}, timeout=30)
    assert joined.status_code == 200, joined.text

    secrets = [t["token"] for t in trainees] + [t["joinCode"] for t in trainees] + [box.admin_token]
    secrets += [t["joinCode"].replace("-", "") for t in trainees]
    board_url = f"{box.base_url}/_sandbox/class"
    for scheme in ("light", "dark"):
        context = chromium.new_context(
            viewport={"width": 1600, "height": 900},
            color_scheme=scheme,
            http_credentials={"username": "trainer", "password": box.admin_token},
        )
        asked: list[str] = []
        bodies: list[bytes] = []  # read as each answer arrives: a refresh makes the one before unreadable
        page = context.new_page()
        page.on("request", lambda sent, seen=asked: seen.append(sent.url))
        try:
            first = page.goto(board_url)
            assert first is not None and first.status == 200
            bodies.append(first.body())
            for name in NAMES:
                expect(page.get_by_text(name, exact=True)).to_be_visible()
            page.screenshot(path=str(folder / f"board-{scheme}.png"), full_page=True)
            if scheme == "light":
                before = page.content().count("✓")
                solve_create_a_target(box, trainees[2])
                # The page refreshes itself (meta refresh, every 5 s); read each answer as it comes.
                for _ in range(REFRESHES):
                    with page.expect_response(board_url, timeout=REFRESH_WAIT_MS) as refreshed:
                        pass
                    bodies.append(refreshed.value.body())
                    page.wait_for_load_state()
                    if page.content().count("✓") > before:
                        break
                assert page.content().count("✓") > before, "the board did not refresh by itself"
                page.screenshot(path=str(folder / "board-after-a-check.png"), full_page=True)
        finally:
            context.close()
        # The page loads nothing but itself (no script, style sheet or API call; maybe the browser's favicon).
        assert set(asked) - {f"{box.base_url}/favicon.ico"} == {board_url}, asked
        for body in bodies:
            for secret in secrets:
                assert secret.encode() not in body, "an answer the board page got holds a secret"


def test_the_board_asks_a_browser_for_credentials_and_refuses_a_wrong_token(room) -> None:
    box, _ = room
    bare = requests.get(f"{box.base_url}/_sandbox/class", timeout=30)
    assert bare.status_code == 401
    assert bare.headers["WWW-Authenticate"].lower().startswith("basic"), bare.headers
    wrong = requests.get(f"{box.base_url}/_sandbox/class", auth=("trainer", "not-the-token"), timeout=30)
    assert wrong.status_code == 401
    right = requests.get(f"{box.base_url}/_sandbox/class", auth=("trainer", box.admin_token), timeout=30)
    assert right.status_code == 200 and right.headers["content-type"].startswith("text/html")
    assert right.headers["cache-control"] == "no-store"
