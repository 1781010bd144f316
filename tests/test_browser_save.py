"""A recipe opened in JupyterLab and saved, with nothing run, is left byte-identical.

Before issue 16 every recipe showed as modified the moment it opened: the saved files held
``language_info`` cut down to ``{"name": "python"}``, JupyterLab set it whole from the kernel,
and a save rewrote the file. The recipes are now saved with ``language_info`` as the kernel
reports it (``notebook_checks.clean_metadata``). Each recipe is opened in a real Lab (its kernel
started, nothing run), must not be marked modified, and saved must be the same bytes.

The Lab runs with widget-state saving as a user has it: off, JupyterLab's default. (Turned on,
a save writes ``metadata.widgets`` even into a notebook where nothing ran: that setting changes
every file it saves, by design.) The test works on a copy of the recipes; where the checkout's
recipes still lack a whole ``language_info`` (until they are refreshed), the copy is given the
kernel's, as a refresh would, and the test says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from zen_nb.lab import free_port

from browser import INSTALL, STARTUP_MS, TIMEOUT_MS, NotebookPage, chromium_or_skip, launched_chromium, running_lab
from notebook_checks import LANGUAGE_INFO_KEYS
from notebook_sandbox import NOTEBOOKS
from processes import CliLab, lab_env

pytest.importorskip("playwright.sync_api", reason=f"the browser tests need Playwright and Chromium: {INSTALL}")
CHROMIUM = chromium_or_skip()

from playwright.sync_api import Browser  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECIPES = sorted(
    str(path.relative_to(NOTEBOOKS)) for path in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
)
# The setting a user has: JupyterLab's default for widget-state saving (the other browser tests turn it on).
USER_SETTINGS = {"@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": False}}

# Whether the notebook in the main area is marked modified (JupyterLab's dirty flag, the dot on its tab).
_DIRTY = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"
_SHUT_DOWN = "async () => { await window.jupyterapp.shell.currentWidget.sessionContext.shutdown(); }"
_CLOSE = "() => { window.jupyterapp.shell.currentWidget.close(); }"


def open_in_place(page: NotebookPage, recipe: str) -> None:
    """Open ``recipe`` in the Lab already in the page (File > Open), rather than loading the page again."""
    if page.path == "":
        page.open(recipe)  # the first: the Lab's page itself, in a fresh workspace
        return
    page.path = recipe
    page.page.evaluate(
        "async (path) => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }", recipe
    )
    page.wait_idle(STARTUP_MS)


def kernel_language_info(tmp_path: Path) -> dict[str, Any]:
    """``language_info`` as this interpreter's kernel reports it (what JupyterLab writes into a notebook)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", env=lab_env(tmp_path))
    try:
        return client.kernel_info(reply=True, timeout=60)["content"]["language_info"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def recipes_saved_whole(tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the recipes, each holding a whole ``language_info``; the ones that had to be given it."""
    folder = tmp_path / "saved"
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    patched, language = [], None
    for name in RECIPES:
        notebook = nbformat.read(folder / name, as_version=nbformat.NO_CONVERT)
        if all(key in notebook.metadata.get("language_info", {}) for key in LANGUAGE_INFO_KEYS):
            continue
        language = language or kernel_language_info(tmp_path / "kernel")
        notebook.metadata["language_info"] = language
        nbformat.write(notebook, folder / name)
        patched.append(name)
    return folder, patched


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliLab, Path]]:
    tmp_path = tmp_path_factory.mktemp("save-lab")
    folder, patched = recipes_saved_whole(tmp_path)
    if patched:
        print(f"given the kernel's language_info (the checkout's lack it until refreshed): {', '.join(patched)}")
    with running_lab(tmp_path, free_port(18992), settings=USER_SETTINGS, recipes_from=folder) as running:
        yield running


@pytest.fixture(scope="module")
def page(lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotebookPage]:
    with launched_chromium(CHROMIUM, tmp_path_factory.mktemp("browser")) as browser:
        browser: Browser
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield NotebookPage(context.new_page(), *lab, tmp_path_factory.mktemp("screenshots"))
        finally:
            context.close()


@pytest.mark.parametrize("recipe", RECIPES)
def test_a_recipe_opened_and_saved_unrun_is_left_byte_identical(page, recipe):
    path = page.recipes / recipe
    before, written = path.read_bytes(), path.stat().st_mtime_ns
    open_in_place(page, recipe)  # its kernel started and idle: JupyterLab has set language_info from it by now
    try:
        page.page.wait_for_timeout(500)  # the kernel's info applied to the model
        modified = page.page.evaluate(_DIRTY)
        page.save()
        page.page.wait_for_function(f"() => !({_DIRTY.removeprefix('() => ')})")
    finally:
        page.page.evaluate(_SHUT_DOWN)  # one kernel at a time on a machine of two cores
        page.page.evaluate(_CLOSE)
    assert path.stat().st_mtime_ns != written, "JupyterLab did not write the file: the test proves nothing"
    assert not modified, f"{recipe} shows as modified as soon as it opens, before anything ran"
    after = path.read_bytes()
    if after != before:
        old, new = nbformat.reads(before.decode(), 4), nbformat.reads(after.decode(), 4)
        differ = sorted(
            key for key in old.metadata.keys() | new.metadata.keys() if old.metadata.get(key) != new.metadata.get(key)
        )
        cells = [number for number, (a, b) in enumerate(zip(old.cells, new.cells, strict=False)) if a != b]
        raise AssertionError(
            f"{recipe} changed on a save with nothing run: metadata keys {differ}, cells {cells}"
            f"{' (same JSON, other bytes)' if old == new else ''}"
        )
