"""The forms as a designer checks them, in a real JupyterLab in headless Chromium: themes, states, zoom.

Each form is driven through its states (idle, busy, error, success, code shown) in the light and
the dark theme; in each state axe-core (from npm, injected into the page) scans the form, and
a serious or critical violation fails the test, naming the rule and the node. Screenshots of
every state go to ``tests/browser-screenshots/<test>/``. At 150 % zoom no input may overflow
its row and the target picker's id stays readable.

150 % zoom is a browser context with ``device_scale_factor=1.5`` and a viewport of 1280 / 1.5
CSS px: that is what a browser's own zoom does (fewer, larger CSS pixels, so the page lays out
for an 853 px window and media queries see it), where CSS ``zoom`` on the page would scale a
layout computed for 1280 px and would not show what a projector's user sees.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from zen_nb.lab import free_port
from zen_nb.sandbox import DEMO_TOKEN

from browser import (
    AXE_INSTALL,
    INSTALL,
    THEMES,
    NotebookPage,
    axe_script,
    axe_violations,
    chromium_or_skip,
    launched_chromium,
    page_for_test,
    running_lab,
    set_theme,
    silent_server,
)
from processes import CliLab

pytest.importorskip("playwright.sync_api", reason=f"the browser tests need Playwright and Chromium: {INSTALL}")
CHROMIUM = chromium_or_skip()

from playwright.sync_api import Browser, expect  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETUP_TITLE = "Zen Mesh environment"
FLOW_TITLE = "Create a delivery flow"
TAKEN_NAME = "production-invoice-claims-flow"  # made by the recipe's own curl cell, above the form
TARGET_ID = "dest_http_orders_webhook"
TARGET_NAME = "orders-webhook"
# "Check connection" against a server that never answers must end within about 5 s; the bound is
# generous for a machine whose two cores are shared.
SILENT_BOUND_S = 12.0
ZOOM = 1.5


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliLab, Path]]:
    with running_lab(tmp_path_factory.mktemp("design-lab"), free_port(18990)) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with launched_chromium(CHROMIUM, tmp_path_factory.mktemp("browser")) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def axe() -> Path:
    script = axe_script()
    if script is None:
        pytest.skip(f"the design tests need axe-core: {AXE_INSTALL}")
    return script


def open_page(lab, browser, request: pytest.FixtureRequest, zoom: float = 1.0) -> Iterator[NotebookPage]:
    with page_for_test(browser, lab, request, zoom) as page:
        try:
            yield page
        finally:
            try:
                set_theme(page.page, "light")  # the theme is a Lab setting: the next test starts light
            except Exception:  # noqa: BLE001 - a page already broken; the next test sets its own theme
                pass


@pytest.fixture
def notebook(lab, browser, request: pytest.FixtureRequest) -> Iterator[NotebookPage]:
    yield from open_page(lab, browser, request)


@pytest.fixture
def zoomed(lab, browser, request: pytest.FixtureRequest) -> Iterator[NotebookPage]:
    yield from open_page(lab, browser, request, zoom=ZOOM)


def opened(notebook: NotebookPage, recipe: str, title: str):
    notebook.open(recipe)
    assert notebook.run_all(), f"a cell of {recipe} failed in JupyterLab"
    form = notebook.form(title)
    expect(form).to_be_visible()
    form.scroll_into_view_if_needed()
    return form


def scan(notebook: NotebookPage, form, axe: Path, where: str, found: dict[str, list[str]]) -> None:
    """axe on the form now; what it finds kept under ``where`` (all states are scanned before failing)."""
    violations = axe_violations(notebook.page, form, axe)
    if violations:
        found.setdefault(where, []).extend(violations)


# Each message box held to the form's measure: no wider than label + 560 px, lines 1.4 apart,
# paragraphs rather than <br>s, code as <code> rather than raw backticks.
_MESSAGE_PROBLEMS = """(form) => {
  const label = parseFloat(getComputedStyle(form).getPropertyValue('--zen-label-width')) || 0;
  const found = [];
  for (const box of form.querySelectorAll('.zen-message')) {
    const width = box.getBoundingClientRect().width;
    if (width > label + 560 + 1) found.push(`a message ${width.toFixed(0)} px wide (at most ${label + 560})`);
    for (const p of box.querySelectorAll('p')) {
      const style = getComputedStyle(p);
      const ratio = parseFloat(style.lineHeight) / parseFloat(style.fontSize);
      if (!(ratio > 1.3 && ratio < 1.5)) found.push(`a message line height of ${ratio.toFixed(2)} (1.4 wanted)`);
    }
    if (box.querySelector('br')) found.push('a message broken with <br> rather than paragraphs');
    if (box.textContent.includes('`')) found.push('raw backticks in a message (code goes in <code>)');
  }
  return [...new Set(found)];
}"""


def check_messages(notebook: NotebookPage, form, where: str, found: dict[str, list[str]]) -> None:
    """The form's message boxes held to its measure; what is wrong kept under ``where``."""
    problems = notebook.page.evaluate(_MESSAGE_PROBLEMS, form.element_handle())
    if problems:
        found.setdefault(where, []).extend(problems)


def assert_no_violations(found: dict[str, list[str]]) -> None:
    """Fail with every state's findings (axe's serious and critical violations, and states not reached)."""
    text = "\n".join(f"  {where}: {line}" for where, lines in found.items() for line in lines)
    text = re.sub(r"zen_(test|live)_[A-Za-z0-9_-]+", "zen_…", text)  # never a token, even in a node's name
    assert not found, f"axe-core's serious or critical violations, and states not reached:\n{text}"


@contextmanager
def noted(found: dict[str, list[str]], where: str) -> Iterator[None]:
    """A state's checks, whose failure is kept under ``where`` so the other states are still seen and scanned."""
    try:
        yield
    except (AssertionError, PlaywrightTimeout) as problem:
        found.setdefault(where, []).append(f"not as it should be: {str(problem).splitlines()[0]}")


def button(form, *names: str):
    """The form's button whose text is one of ``names`` (a busy button changes its text)."""
    return form.locator("button").filter(has_text=re.compile("|".join(re.escape(name) for name in names))).first


def type_into(form, label: str, value: str) -> None:
    field = form.get_by_label(label, exact=True)
    field.clear()
    field.fill(value)
    field.press("Tab")  # the kernel takes the value (continuous_update off takes it on blur)


def check_against_silent_server(notebook: NotebookPage, form, theme: str) -> float:
    """Type a silent server's URL, click "Check connection": busy at once, then a time-out. Seconds taken."""
    with silent_server() as url:
        type_into(form, "ZEN_API_BASE", url)
        check = button(form, "Check connection")
        handle = check.element_handle()
        started = time.monotonic()
        check.click()
        with notebook.step(f"{theme}-busy", form):
            # disabled and saying what it does, before the request returns (the server never answers)
            notebook.page.wait_for_function(
                "(b) => b.disabled && b.textContent.includes('Checking')", arg=handle, timeout=5_000
            )
        with notebook.step(f"{theme}-timed-out", form):
            notebook.page.wait_for_function(
                "(b) => !b.disabled && b.textContent.includes('Check connection')",
                arg=handle,
                timeout=SILENT_BOUND_S * 1000 + 10_000,
            )
            elapsed = time.monotonic() - started
            expect(form).to_contain_text("No answer from")
            expect(form).to_contain_text(url)
    return elapsed


def test_check_connection_against_a_server_that_never_answers_is_busy_then_times_out(notebook):
    form = opened(notebook, "00-setup-environment.ipynb", SETUP_TITLE)
    with notebook.step("opened", form):
        expect(form).to_contain_text("Environment complete")
    elapsed = check_against_silent_server(notebook, form, "light")
    assert elapsed < SILENT_BOUND_S, f'"Check connection" took {elapsed:.1f} s against a silent server'
    message = form.locator(".zen-message")
    expect(message).to_have_count(1)
    expect(message).to_have_class(re.compile(r"\bzen-error\b"))
    expect(form).not_to_contain_text("Environment complete")  # the old green line is gone
    for other in ("Use local sandbox", "Apply"):
        expect(button(form, other)).to_be_enabled()  # held while busy, released after


def test_setup_form_reads_well_in_both_themes_in_every_state(notebook, axe):
    lab = notebook.lab
    form = opened(notebook, "00-setup-environment.ipynb", SETUP_TITLE)
    token = form.locator("input[type=password]")
    found: dict[str, list[str]] = {}
    for theme in THEMES:
        set_theme(notebook.page, theme)
        with notebook.step(f"{theme}-idle", form), noted(found, f"{theme}, idle"):
            scan(notebook, form, axe, f"{theme}, idle", found)
        with noted(found, f"{theme}, busy then timed out"):  # its timings are held in the test above
            check_against_silent_server(notebook, form, theme)
        scan(notebook, form, axe, f"{theme}, timed out", found)
        check_messages(notebook, form, f"{theme}, timed out (measure)", found)
        type_into(form, "ZEN_API_BASE", lab.sandbox_url)
        with notebook.step(f"{theme}-error", form), noted(found, f"{theme}, error"):
            token.fill("zen_test_not_the_demo_token")
            token.press("Enter")
            notebook.wait_emptied(token)
            button(form, "Check connection").click()
            expect(form).to_contain_text("HTTP 401")
            scan(notebook, form, axe, f"{theme}, error (401)", found)
            check_messages(notebook, form, f"{theme}, error (401) (measure)", found)
        with notebook.step(f"{theme}-success", form), noted(found, f"{theme}, success"):
            token.fill(DEMO_TOKEN)
            token.press("Enter")
            notebook.wait_emptied(token)
            button(form, "Check connection").click()
            expect(form).to_contain_text(f"Connected to {lab.sandbox_url}")
            scan(notebook, form, axe, f"{theme}, connected", found)
    assert_no_violations(found)


def slow_creates(notebook: NotebookPage, seconds: float) -> None:
    """Make the recipe's form wait ``seconds`` before each real request, so its busy state can be seen."""
    notebook.run_in_kernel(
        "import time as _time\n"
        "_real_create = form.client.create_flow\n"
        f"def _slow_create(*args, **kwargs):\n    _time.sleep({seconds})\n    return _real_create(*args, **kwargs)\n"
        "form.client.create_flow = _slow_create\n"
    )


def pick_target(form) -> None:
    """Pick the orders webhook by its name, as a user does (the option's label may or may not show its id)."""
    target = form.get_by_label("Target", exact=True)
    labels = [label.strip() for label in target.locator("option").all_inner_texts()]
    (label,) = [label for label in labels if label.replace("\xa0", " ").split(" ")[0] == TARGET_NAME]
    target.select_option(label=label)
    expect(target.locator("option:checked")).to_have_text(label)


def test_flow_form_reads_well_in_both_themes_in_every_state(notebook, axe):
    form = opened(notebook, "02-create-a-flow.ipynb", FLOW_TITLE)
    slow_creates(notebook, 2.0)
    name = form.get_by_label("Name", exact=True)
    found: dict[str, list[str]] = {}
    for theme in THEMES:
        set_theme(notebook.page, theme)
        name.fill("")
        with notebook.step(f"{theme}-idle", form), noted(found, f"{theme}, idle"):
            expect(button(form, "Create flow")).to_be_disabled()
            scan(notebook, form, axe, f"{theme}, idle", found)
        with notebook.step(f"{theme}-invalid-name", form), noted(found, f"{theme}, invalid-name"):
            name.fill("9 is not a name")
            notebook.page.wait_for_timeout(500)  # the kernel's answer shown: scanned first, whatever it says
            scan(notebook, form, axe, f"{theme}, invalid name", found)
            expect(form).to_contain_text("Create flow is off")
        with notebook.step(f"{theme}-code-shown", form), noted(found, f"{theme}, code-shown"):
            name.fill(f"design-check-{theme}")
            pick_target(form)
            toggle = button(form, "Show as code", "Hide code")
            if "active" not in (toggle.get_attribute("class") or ""):
                toggle.click()
            expect(form.get_by_role("tab", name="curl")).to_be_visible()
            expect(form).to_contain_text("$ZEN_API_TOKEN")
            scan(notebook, form, axe, f"{theme}, code shown", found)
        toggle.click()  # hidden again (after the screenshot), so the states below are seen without it
        create = button(form, "Create flow", "Creating")
        handle = create.element_handle()
        create.click()
        with notebook.step(f"{theme}-busy", form), noted(found, f"{theme}, busy"):
            notebook.page.wait_for_function(
                "(b) => b.disabled && b.textContent.includes('Creating')", arg=handle, timeout=5_000
            )
        with notebook.step(f"{theme}-created", form), noted(found, f"{theme}, created"):
            expect(form).to_contain_text("Created flow")
            scan(notebook, form, axe, f"{theme}, created", found)
            check_messages(notebook, form, f"{theme}, created (measure)", found)
        with notebook.step(f"{theme}-conflict", form), noted(found, f"{theme}, conflict"):
            name.fill(TAKEN_NAME)
            expect(create).to_be_enabled()
            create.click()
            expect(form).to_contain_text("HTTP 409")
            expect(form).to_contain_text(f"{TAKEN_NAME}-2")
            scan(notebook, form, axe, f"{theme}, conflict", found)
            check_messages(notebook, form, f"{theme}, conflict (measure)", found)
    assert_no_violations(found)


# Each input row of a form, and how far its input reaches past the row (or the row past the form).
_OVERFLOWS = """(form) => {
  const formRight = form.getBoundingClientRect().right;
  const rows = form.querySelectorAll('.widget-text, .widget-textarea, .widget-dropdown, .widget-password');
  const found = [];
  for (const row of rows) {
    const label = row.querySelector('label')?.textContent.trim() || row.className;
    const rowBox = row.getBoundingClientRect();
    for (const input of row.querySelectorAll('input, textarea, select')) {
      const over = input.getBoundingClientRect().right - rowBox.right;
      if (over > 0.5) found.push(`${label}: the input passes its row by ${over.toFixed(1)} px`);
    }
    if (row.scrollWidth > row.clientWidth + 0.5) {
      found.push(`${label}: the row scrolls (${row.scrollWidth} > ${row.clientWidth} px)`);
    }
    if (rowBox.right > formRight + 0.5) {
      found.push(`${label}: the row passes the form by ${(rowBox.right - formRight).toFixed(1)} px`);
    }
  }
  const area = form.closest('.jp-OutputArea-output') || form.parentElement;
  const areaRight = area.getBoundingClientRect().right;
  if (formRight > areaRight + 0.5) {
    found.push(`the form passes its output area by ${(formRight - areaRight).toFixed(1)} px`);
  }
  return found;
}"""

# What the form says about the picked target outside the picker's own options: visible text and tooltips.
_SAID_OUTSIDE_OPTIONS = """(form) => {
  const copy = form.cloneNode(true);
  copy.querySelectorAll('select, option, style').forEach((node) => node.remove());
  const titles = [...form.querySelectorAll('[title]')].map((node) => node.getAttribute('title'));
  return {text: copy.textContent, titles};
}"""


def test_both_forms_hold_at_150_percent_zoom_and_keep_the_target_id(zoomed):
    assert zoomed.page.evaluate("() => window.devicePixelRatio") == ZOOM
    overflows: dict[str, list[str]] = {}
    form = opened(zoomed, "00-setup-environment.ipynb", SETUP_TITLE)
    for theme in THEMES:
        set_theme(zoomed.page, theme)
        with zoomed.step(f"setup-{theme}", form):
            overflows[f"setup form, {theme}"] = zoomed.page.evaluate(_OVERFLOWS, form.element_handle())
    form = opened(zoomed, "02-create-a-flow.ipynb", FLOW_TITLE)
    for theme in THEMES:
        set_theme(zoomed.page, theme)
        with zoomed.step(f"flow-{theme}", form):
            form.get_by_label("Name", exact=True).fill("zoomed-flow")
            pick_target(form)
            zoomed.page.wait_for_timeout(500)  # the kernel's answer to the pick (the line under the picker) shown
            overflows[f"flow form, {theme}"] = zoomed.page.evaluate(_OVERFLOWS, form.element_handle())
    said = zoomed.page.evaluate(_SAID_OUTSIDE_OPTIONS, form.element_handle())
    in_a_tooltip = any(TARGET_ID in (title or "") for title in said["titles"])
    if TARGET_ID not in said["text"] and not in_a_tooltip:
        overflows["flow form, target"] = [f"the picked target's id {TARGET_ID} is in no tooltip and no line outside"]
    problems = [f"{form_name}: {line}" for form_name, lines in overflows.items() for line in lines]
    assert not problems, "at 150 % zoom:\n  " + "\n  ".join(problems)
