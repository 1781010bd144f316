"""The forms in a real JupyterLab, in headless Chromium, as a new user follows the recipes.

One ``zen-nb lab`` (JupyterLab and its sandbox, on free loopback ports, on a temporary copy of
the recipes) serves this module; each test opens one recipe in a fresh browser context, runs
it, fills its form and clicks its buttons. Screenshots of the forms at each step go to
``tests/browser-screenshots/<test>/``. Without Chromium or Playwright these tests are skipped,
with how to install them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from zen_nb import ZenClient, ZenConfig, local_sandbox
from zen_nb.fixes import BY_CODE as FIXES
from zen_nb.lab import free_port
from zen_nb.sandbox import DEMO_ADAPTER_ID, DEMO_PLANE_ID, DEMO_TENANT_ID, DEMO_TOKEN

from browser import (
    INSTALL,
    NotebookPage,
    chromium_or_skip,
    launched_chromium,
    page_for_test,
    running_lab,
)
from processes import CliLab

pytest.importorskip("playwright.sync_api", reason=f"the browser tests need Playwright and Chromium: {INSTALL}")
CHROMIUM = chromium_or_skip()  # which one, and from where, is in pytest's header

from playwright.sync_api import Browser, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What a form says its last button did: its message box (an error, a success, a busy line).
MESSAGE = ".zen-message"
FLOW_NAME = "browser-made-invoices-flow"
TAKEN_NAME = "production-invoice-claims-flow"  # made by the recipe's own curl cell, above the form


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliLab, Path]]:
    with running_lab(tmp_path_factory.mktemp("browser-lab"), free_port(18988)) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with launched_chromium(CHROMIUM, tmp_path_factory.mktemp("browser")) as chromium:
        yield chromium


@pytest.fixture
def notebook(lab, browser, request: pytest.FixtureRequest) -> Iterator[NotebookPage]:
    """A fresh browser context on the module's Lab; its screenshots in a folder named for the test."""
    with page_for_test(browser, lab, request) as page:
        yield page


@pytest.fixture
def api(lab) -> Iterator[ZenClient]:
    """The test's own client for the Lab's sandbox (the demo tenant), to check what the forms did."""
    with ZenClient(ZenConfig(environ=local_sandbox.sandbox_env(lab[0].sandbox_url))) as client:
        yield client


def assert_saved_without_token(saved: dict) -> dict:
    """The saved notebook holds widget state (saving it was on) and no token, typed or demo; the state."""
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert state, "no widget state saved: widget-state saving was not on"
    # Tested apart from the message, so that a failure never prints the file (nor the token in it).
    text = json.dumps(saved)
    holds_demo_token, holds_a_test_token = DEMO_TOKEN in text, "zen_test_" in text
    assert not holds_demo_token, "the saved notebook holds the sandbox's demo token"
    assert not holds_a_test_token, "the saved notebook holds a token typed in the test (zen_test_...)"
    return state


def option_label(picker, name: str) -> str:
    """The label of the picker's option for the item named ``name`` (labels are "name" or "name — type").

    The ids are not in the labels (a narrow picker cut them off): the line under the picker shows them.
    """
    labels = [label.strip() for label in picker.locator("option").all_inner_texts()]
    # ipywidgets writes the label's spaces as no-break spaces
    matching = [label for label in labels if label.replace("\xa0", " ").split(" — ")[0] == name]
    assert len(matching) == 1, f"not one option for {name!r} in {labels}"
    return matching[0]


def test_setup_form_in_00_checks_the_typed_values_and_applies_them(notebook):
    lab = notebook.lab
    notebook.open("00-setup-environment.ipynb")
    assert notebook.run_all(), "a cell of 00-setup-environment failed in JupyterLab"
    form = notebook.form("Zen Mesh environment")
    status = form.locator(MESSAGE)
    token = form.locator("input[type=password]")
    with notebook.step("opened", form):
        expect(status).to_contain_text("Environment complete")

    with notebook.step("values-typed", form):
        for name, value in (
            ("ZEN_API_BASE", lab.sandbox_url),
            ("ZEN_TENANT_ID", DEMO_TENANT_ID),
            ("ZEN_PLANE_ID", DEMO_PLANE_ID),
            ("ZEN_ADAPTER_ID", DEMO_ADAPTER_ID),
        ):
            field = form.get_by_label(name, exact=True)
            field.clear()
            field.fill(value)
            expect(field).to_have_value(value)
        # A wrong token first: Check connection must use what was typed, not the kernel's own token.
        token.fill("zen_test_not_the_demo_token")
        token.press("Enter")
        notebook.wait_emptied(token)  # the kernel took it and emptied the field
        expect(token).to_have_attribute("placeholder", re.compile("entered"))

    with notebook.step("wrong-token-checked", form):
        form.get_by_role("button", name="Check connection").click()
        expect(status).to_contain_text("UnauthorizedError")
        expect(status).to_contain_text("HTTP 401")

    with notebook.step("token-typed", form):
        token.fill(DEMO_TOKEN)
        token.press("Enter")
        notebook.wait_emptied(token)

    with notebook.step("connection-checked", form):
        form.get_by_role("button", name="Check connection").click()
        expect(status).to_contain_text(f"Connected to {lab.sandbox_url}: tenant ")
        expect(status).to_contain_text(f"({DEMO_TENANT_ID}, plan team)")
        expect(status).to_contain_text(f"plane {DEMO_PLANE_ID} (")

    with notebook.step("applied", form):
        form.get_by_role("button", name="Apply").click()
        expect(status).to_contain_text("Applied: the five ZEN_* variables are set in this kernel")
        expect(status).to_contain_text(f"tenant {DEMO_TENANT_ID}, plane {DEMO_PLANE_ID}; token set, not shown")
        expect(token).to_have_attribute("placeholder", re.compile("^set"))

    with notebook.step("saved", form):
        state = assert_saved_without_token(notebook.save())
    passwords = [model["state"] for model in state.values() if model["model_name"] == "PasswordModel"]
    assert len(passwords) == 1 and passwords[0].get("value", "") == ""  # a value of "" is left out


def test_flow_form_in_02_creates_exactly_the_typed_flow_and_shows_a_taken_name(notebook, api):
    notebook.open("02-create-a-flow.ipynb")
    assert notebook.run_all(), "a cell of 02-create-a-flow failed in JupyterLab"
    before = {flow.id for flow in api.iter_flows()}
    form = notebook.form("Create a delivery flow")
    create = form.get_by_role("button", name="Create flow")
    result = form.locator(f"{MESSAGE}, .zen-object").first  # one at a time: the last outcome
    with notebook.step("opened", form):
        expect(create).to_be_disabled()  # nothing typed yet

    with notebook.step("filled", form):
        form.get_by_label("Name", exact=True).fill(FLOW_NAME)
        source = form.get_by_label("Source", exact=True)
        source.select_option(label=option_label(source, "github"))
        expect(form).to_contain_text("id ingester_github")  # the line under the picker
        target = form.get_by_label("Target", exact=True)
        target.select_option(label=option_label(target, "orders-webhook"))
        expect(form).to_contain_text("type http · id dest_http_orders_webhook")
        form.get_by_label("Description", exact=True).fill("made in a browser")
        expect(create).to_be_enabled()

    with notebook.step("created", form):
        create.click()
        expect(result).to_contain_text("Created flow")
        expect(result).to_contain_text(FLOW_NAME)
        expect(create).to_be_disabled()  # the same request again would be a double submit
    shown_id = result.locator("code").first.inner_text().strip()

    new = [flow for flow in api.iter_flows() if flow.id not in before]
    assert [(flow.id, flow.name) for flow in new] == [(shown_id, FLOW_NAME)]
    (flow,) = new
    assert flow.source == "ingester_github"
    assert flow.target == {"id": "dest_http_orders_webhook", "type": "http"}
    assert flow.description == "made in a browser"

    with notebook.step("taken-name", form):
        form.get_by_label("Name", exact=True).fill(TAKEN_NAME)
        expect(create).to_be_enabled()
        create.click()
        expect(result).to_contain_text("FlowNameConflict")
        expect(result).to_contain_text("HTTP 409")
        expect(result).to_contain_text(FIXES["flow_name_conflict"].split(" (")[0])  # the fix, after the message
        expect(result).to_contain_text(f"{TAKEN_NAME}-2 is free")
    assert {flow.id for flow in api.iter_flows()} == before | {shown_id}

    with notebook.step("saved", form):
        assert_saved_without_token(notebook.save())
