"""JupyterLab in headless Chromium, for the browser tests: a Lab set up as a newcomer gets it, and a page driving it.

``zen-nb lab`` runs for real, on a temporary copy of the recipes and with every Jupyter and
IPython folder in a temporary home, so a run never writes into ``notebooks/`` or ``~``. The
Lab's user settings there turn off what gets in a test's way (the news toast, autosave, cells
left out of the page) and turn widget-state saving on, so a saved notebook can be checked for
the token.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
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


def write_lab_settings(config_dir: Path) -> None:
    """``window.jupyterapp`` for the page, and :data:`LAB_SETTINGS` as this Lab's user settings."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "jupyter_lab_config.json").write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))
    for plugin, settings in LAB_SETTINGS.items():
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


def start_lab(tmp_path: Path, port: int) -> tuple[CliLab, Path]:
    """``zen-nb lab`` on a copy of the recipes in ``tmp_path``, its sandbox on a free port: (process, recipes)."""
    recipes = tmp_path / "recipes"
    shutil.copytree(NOTEBOOKS, recipes)
    env = lab_env(tmp_path)
    write_lab_settings(Path(env["JUPYTER_CONFIG_DIR"]))
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
