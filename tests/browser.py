"""JupyterLab in headless Chromium, for the browser tests: a Lab set up as a newcomer gets it, and a page driving it.

``zen-nb lab`` runs for real, on a temporary copy of the recipes and with every Jupyter and
IPython folder in a temporary home, so a run never writes into ``notebooks/`` or ``~``. The
Lab's user settings there turn off what gets in a test's way (the news toast, autosave, cells
left out of the page) and turn widget-state saving on, so a saved notebook can be checked for
the token. :func:`running_lab` also fingerprints the checkout's ``notebooks/`` before the Lab
starts and fails, naming the files, when they are not byte-identical after it stops.

Also here: a server that never answers (for the busy states), axe-core's scan of one element
(from npm: ``npm install -g axe-core``), and the theme switch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chromium import INSTALL as INSTALL  # re-exported: what the skip reasons tell to install
from chromium import Chromium, ChromiumNotFound, default_chromium
from notebook_sandbox import NOTEBOOKS, ROOT
from processes import CliLab, lab_env

SCREENSHOTS = ROOT / "tests" / "browser-screenshots"
TIMEOUT_MS = 30_000  # for one kernel call seen through the page; each normally takes well under a second
STARTUP_MS = 90_000  # for JupyterLab's page and a new kernel

# Plugin id (with "/" for ":") -> user settings, written where this Lab reads them.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # The "official Jupyter news" toast lies over the notebook and takes clicks.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Widget state saved into the notebook, as for a user who turns it on: the token must not be there.
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
    # The test saves once, on purpose; autosave would race it.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell in the page from the start, whatever this version's default (4.6's keeps them all;
    # "full" attaches only the cells in view, "defer" the others later), so a form further down is found.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

# The notebook in the main area, once its kernel is ready and not running anything.
_IDLE = """(path) => {
  const widget = window.jupyterapp?.shell.currentWidget;
  return !!widget && widget.context?.path === path && widget.context.isReady
    && widget.sessionContext?.session?.kernel?.status === 'idle';
}"""


def write_lab_settings(config_dir: Path, overrides: Mapping[str, dict[str, Any]] | None = None) -> None:
    """``window.jupyterapp`` for the page, and :data:`LAB_SETTINGS` (with ``overrides``) as this Lab's user settings."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "jupyter_lab_config.json").write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))
    for plugin, settings in {**LAB_SETTINGS, **(overrides or {})}.items():
        path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def chromium_or_skip() -> Chromium:
    """The browser to drive (found by ``chromium.py``); without one, skip the calling module, naming where it looked.

    A ``$ZEN_NB_CHROMIUM`` that names no executable is not a skip: its error propagates.
    """
    try:
        return default_chromium()
    except ChromiumNotFound as missing:
        pytest.skip(f"the browser tests need Chromium: {missing}", allow_module_level=True)


def start_lab(
    tmp_path: Path, port: int, settings: Mapping[str, dict[str, Any]] | None = None, recipes_from: Path = NOTEBOOKS
) -> tuple[CliLab, Path]:
    """``zen-nb lab`` on a copy of the recipes in ``tmp_path``, its sandbox on a free port: (process, recipes).

    ``settings`` overrides some of :data:`LAB_SETTINGS` (a plugin's whole settings);
    ``recipes_from`` is the folder copied (the checkout's recipes unless said).
    """
    recipes = tmp_path / "recipes"
    shutil.copytree(recipes_from, recipes)
    env = lab_env(tmp_path)
    write_lab_settings(Path(env["JUPYTER_CONFIG_DIR"]), settings)
    process = CliLab(
        "--no-browser",
        "--port",
        str(port),
        "--sandbox-port",
        "0",
        "--db",
        str(tmp_path / "sandbox.sqlite3"),
        "--dir",
        str(recipes),
        env=env,
    )
    return process, recipes


def stop_lab(process: CliLab) -> None:
    """Ctrl-C, so that JupyterLab shuts its kernels down (they run in sessions of their own); then kill."""
    try:
        process.interrupt_group(timeout=60)
    finally:
        process.kill()


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> SHA-256 of its bytes), hidden folders included."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """What differs between two fingerprints, in words: files changed, added, removed."""
    return [
        *(f"changed: {name}" for name in sorted(before.keys() & after.keys()) if before[name] != after[name]),
        *(f"added: {name}" for name in sorted(after.keys() - before.keys())),
        *(f"removed: {name}" for name in sorted(before.keys() - after.keys())),
    ]


@contextmanager
def leaves_untouched(folder: Path = NOTEBOOKS) -> Iterator[None]:
    """Fail when ``folder`` (the checkout's recipes) is not byte-identical at the end, naming what changed.

    A Lab pointed at the checkout by mistake would autosave a run's outputs (a failure's too)
    into the tracked recipes, and write ``.ipynb_checkpoints/`` there: this says so at once.
    """
    before = fingerprint(folder)
    yield
    changed = changes(before, fingerprint(folder))
    assert not changed, f"the browser tests changed {folder} (they must work on a copy): " + "; ".join(changed)


@contextmanager
def running_lab(tmp_path: Path, port: int, **options: Any) -> Iterator[tuple[CliLab, Path]]:
    """:func:`start_lab` … :func:`stop_lab`, checking that the checkout's recipes are left as they were."""
    with leaves_untouched(NOTEBOOKS):
        process, recipes = start_lab(tmp_path, port, **options)
        try:
            yield process, recipes
        finally:
            stop_lab(process)


@contextmanager
def silent_server() -> Iterator[str]:
    """The URL of a server on 127.0.0.1 that accepts connections and never answers; closed at the end.

    What a client meets behind a hung proxy or a stopped VM: the TCP connection opens, no byte comes.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


# -- axe-core, from npm ---------------------------------------------------------------------------

AXE_INSTALL = "npm install -g axe-core (or set ZEN_NB_AXE to an axe.min.js)"


def axe_script() -> Path | None:
    """``axe.min.js``: ``$ZEN_NB_AXE``, else from ``npm root -g``; None when neither has it."""
    if os.environ.get("ZEN_NB_AXE"):
        return Path(os.environ["ZEN_NB_AXE"])
    try:
        root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(root) / "axe-core" / "axe.min.js"
    return path if root and path.is_file() else None


# Runs axe on one element; keeps only serious and critical violations, each with its nodes.
_AXE_RUN = """async (element) => {
  const result = await axe.run(element, {resultTypes: ['violations']});
  return result.violations
    .filter((violation) => ['serious', 'critical'].includes(violation.impact))
    .map((violation) => ({
      rule: violation.id, impact: violation.impact, help: violation.help,
      nodes: violation.nodes.map((node) => ({target: node.target.join(' '), why: node.failureSummary})),
    }));
}"""


def axe_violations(page: Any, element: Any, script: Path) -> list[str]:
    """The serious and critical axe-core violations inside ``element``, one line per node: rule, node, why.

    JupyterLab's ``<body>`` is 0 px tall with ``overflow: hidden``, so axe would take every node
    for hidden and find nothing: the page is made measurable first.
    """
    page.add_style_tag(content="html, body { height: 100% !important; }")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    found = page.evaluate(_AXE_RUN, element.element_handle())
    return [
        f"{violation['impact']} {violation['rule']} ({violation['help']}) at {node['target']}: "
        + " ".join(node["why"].split())
        for violation in found
        for node in violation["nodes"]
    ]


# -- themes ---------------------------------------------------------------------------------------

THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


def set_theme(page: Any, theme: str) -> None:
    """Switch JupyterLab to ``theme`` (a key of :data:`THEMES`) and wait until its stylesheet is in.

    The choice is a user setting, kept by the Lab for the next page: each test sets its own.
    """
    name = THEMES[theme]
    page.evaluate("(name) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})", name)
    light = "true" if theme == "light" else "false"
    page.wait_for_function(
        "([name, light]) => document.body.dataset.jpThemeName === name && document.body.dataset.jpThemeLight === light"
        " && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== ''",
        arg=[name, light],
    )
    page.wait_for_timeout(300)  # the theme's CSS applied and laid out before a screenshot or a contrast check


def browser_env(tmp_path: Path) -> dict[str, str]:
    """Chromium's own home and XDG folders inside ``tmp_path`` (its profile is Playwright's temporary one)."""
    home = tmp_path / "chromium"
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PATH": "/usr/bin:/bin",
    }


@contextmanager
def launched_chromium(chromium: Chromium, tmp_path: Path) -> Iterator[Any]:
    """Playwright's Chromium from ``chromium``'s executable, with its home in ``tmp_path``; closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium.path), env=browser_env(tmp_path))
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def page_for_test(browser: Any, lab: tuple[CliLab, Path], request: Any, zoom: float = 1.0) -> Iterator[NotebookPage]:
    """A fresh browser context on ``lab`` for one test; its screenshots in a folder named for the test.

    ``zoom`` is the browser's zoom: a device scale factor, on a viewport of 1280 / ``zoom`` CSS px.
    """
    from playwright.sync_api import expect

    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(
        viewport={"width": round(1280 / zoom), "height": round(1000 / zoom)}, device_scale_factor=zoom
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions (their default is 5 s)
    request.node.user_properties.append(("screenshots", str(folder)))  # listed at the end by conftest.py
    try:
        yield NotebookPage(context.new_page(), *lab, folder)
    finally:
        context.close()


class NotebookPage:
    """One recipe open in JupyterLab in a Playwright page, and screenshots of its steps.

    Screenshots go to ``folder/NN-step.png``, numbered in the order they are taken; a step's
    screenshot is taken even when the step fails, so the failure can be looked at.
    """

    def __init__(self, page: Any, lab: CliLab, recipes: Path, folder: Path) -> None:
        self.page = page
        self.lab = lab
        self.recipes = recipes
        self.folder = folder
        self.shots: list[Path] = []
        self.path = ""

    def open(self, notebook: str) -> None:
        """Open ``notebook`` in a fresh workspace and wait until its kernel is idle."""
        self.path = notebook
        self.page.goto(f"{self.lab.server}/lab/tree/{notebook}?reset&token={self.lab.token}")
        self.wait_idle(STARTUP_MS)

    def wait_idle(self, timeout: float = TIMEOUT_MS) -> None:
        """Wait for the notebook's kernel to exist and be idle (the toolbar says "idle" before it exists)."""
        self.page.wait_for_function(_IDLE, arg=self.path, timeout=timeout)

    def run_all(self) -> bool:
        """Run every cell, as Run > Run All Cells does; whether all ran without an error."""
        ran = self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.wait_idle()
        return bool(ran)

    def wait_emptied(self, field: Any) -> None:
        """Wait for an input to be empty, without ever showing its value (it may be a token)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function("(input) => input.value === ''", arg=field.element_handle())
        except PlaywrightTimeout as error:  # said plainly
            raise AssertionError(f"the field was not emptied within {TIMEOUT_MS / 1000:.0f} s") from error

    def save(self) -> dict[str, Any]:
        """Save the notebook from JupyterLab (File > Save); the file as written to disk."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        return json.loads((self.recipes / self.path).read_text())

    def run_in_kernel(self, code: str) -> None:
        """Run ``code`` in the notebook's kernel, as a cell would, without adding a cell to the notebook."""
        ok = self.page.evaluate(
            """async (code) => {
              const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
              const reply = await kernel.requestExecute({code, store_history: false}).done;
              return reply.content.status === 'ok';
            }""",
            code,
        )
        assert ok, "code run in the kernel raised"

    def form(self, title: str) -> Any:
        """The widget form whose title is ``title``."""
        return self.page.locator(".widget-vbox", has_text=title).first

    def shot(self, step: str, target: Any = None) -> Path:
        """A screenshot of ``target`` (a form; the whole page when it is not there) as ``NN-step.png``."""
        path = self.folder / f"{len(self.shots) + 1:02d}-{step}.png"
        try:
            target.screenshot(path=str(path), timeout=5_000)
        except Exception:  # noqa: BLE001 - no form to show: the page shows why
            self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        print(f"screenshot: {path}")
        return path

    @contextmanager
    def step(self, name: str, target: Any = None) -> Iterator[None]:
        """Do a step; then, whether it passed or failed, take its screenshot."""
        try:
            yield
        finally:
            self.shot(name, target)
