"""The world the recipe notebooks run in, under nbval and when their outputs are refreshed.

A kernel copies ``os.environ`` when it starts, and nbval's items never see session fixtures,
so the sandbox is started before any kernel (``pytest_configure``), and the ``ZEN_*`` variables
that point at it are in ``os.environ`` only while a notebook runs: set just before its first
cell (whose setup starts the kernel) and taken back after its last one, so that no other test
sees them and a test of configuration cannot pass or fail by what a notebook needs. The demo
tenant is reset to its seed before each notebook's first cell too. Every notebook therefore
starts from the same state, whichever ones run and in whatever order, and its saved outputs can
be compared exactly. Jupyter, IPython and matplotlib write into temporary folders instead of the
home directory, for the whole session (kernels started by other tests get them too).

An exercise notebook of a training session (one with a check cell: ``training_notebooks.py``)
runs as a trainee instead, on a tenant of its own that no notebook used before: after the reset
(which empties the class too), one trainee is added to the class with the admin token and joins
with its code, as a trainee does, and the ``ZEN_*`` variables are that trainee's. Its checks
therefore see exactly what a trainee who just joined has.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.retry_journal import STATE_DIR_VARIABLE
from zen_nb.vocabulary import ENV_ADAPTER_ID, ENV_API_BASE, ENV_API_TOKEN, ENV_PLANE_ID, ENV_TENANT_ID

from helpers import admin_post
from training_notebooks import SANITIZE_FILE, is_exercise

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
_PRIVATE_DIRS = ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR")
# Bulk retry plans keep their journals in a folder of this run (ZEN_NB_STATE_DIR), never in the
# home directory: set here, before ZEN_AT_START is read, so every test and kernel sees the same
# value; the process that made the folder (not an xdist worker, which inherits it) removes it.
if not os.environ.get(STATE_DIR_VARIABLE):
    os.environ[STATE_DIR_VARIABLE] = tempfile.mkdtemp(prefix="zen-nb-state-")
    atexit.register(shutil.rmtree, os.environ[STATE_DIR_VARIABLE], ignore_errors=True)
# The ZEN_* variables as pytest found them (the plugin is loaded before any test module): what
# every test that is not a notebook cell must see.
ZEN_AT_START = {name: value for name, value in os.environ.items() if name.startswith("ZEN_")}


class RecipeWorld:
    """A sandbox on a free port, private Jupyter folders in the process environment, and the ``ZEN_*``
    variables for the sandbox (its demo tenant, or a new trainee's: :meth:`trainee_env`), which
    :meth:`kernel_env` gives and :meth:`point_environ` sets."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="zen-nb-recipes-")
        self.box = sandbox_pkg.start(port=0, db=":memory:")
        self._saved = _values(_PRIVATE_DIRS)
        self._saved_zen: dict[str, str | None] | None = None
        self.secrets: list[str] = [self.box.token]  # every token and join code handed out: none may be saved
        for name in _PRIVATE_DIRS:
            path = Path(self._folder.name) / name.lower()
            path.mkdir()
            os.environ[name] = str(path)

    def kernel_env(self, zen: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a recipe's kernel: this process's, with ``zen`` (default: the demo tenant's ``ZEN_*``)."""
        return {**os.environ, **(zen or self.box.env())}

    def point_environ(self, zen: dict[str, str] | None = None) -> None:
        """Set ``zen`` (default: the demo tenant's ``ZEN_*``) in ``os.environ``, for the kernel that copies it."""
        zen = zen or self.box.env()
        if self._saved_zen is None:
            self._saved_zen = _values(zen)
        os.environ.update(zen)

    def trainee_env(self) -> dict[str, str]:
        """The ``ZEN_*`` values of a new trainee, who joined with its code: a fresh tenant, seeded like the demo's.

        Call it after :meth:`reset`, which empties the class: the trainee is then the class's first
        (``trainee-01``, as a trainee of ``zen-nb class start`` is called), on a tenant no notebook used.
        """
        added = admin_post(self.box, "class/trainees", json={"count": 1})
        added.raise_for_status()
        [trainee] = added.json()["trainees"]
        self.secrets += [trainee["token"], trainee["joinCode"], trainee["joinCode"].replace("-", "")]
        joined = requests.post(
            f"{self.box.base_url}/_sandbox/class/join", json={"code": trainee["joinCode"]}, timeout=30
        )
        joined.raise_for_status()
        body = joined.json()
        return {
            ENV_API_BASE: self.box.base_url,
            ENV_API_TOKEN: body["token"],
            ENV_TENANT_ID: body["tenantId"],
            ENV_PLANE_ID: body["planeId"],
            ENV_ADAPTER_ID: body["adapterId"],
        }

    def unpoint_environ(self) -> None:
        """Give the ``ZEN_*`` variables back as they were before :meth:`point_environ`."""
        if self._saved_zen is not None:
            _restore(self._saved_zen)
            self._saved_zen = None

    def reset(self) -> None:
        """Put the demo tenant back to its seed, as a notebook's first cell expects (and empty the class)."""
        admin_post(self.box, "reset").raise_for_status()

    def close(self) -> None:
        """Stop the sandbox and give the environment back as it was."""
        self.unpoint_environ()
        self.box.stop()
        _restore(self._saved)
        self._folder.cleanup()


def _values(names: Iterable[str]) -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in names}


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# -- the pytest plugin (loaded with ``-p notebook_sandbox`` from pyproject.toml's addopts, so it
# -- also runs when pytest is given a single notebook) ---------------------------------------------

_world: RecipeWorld | None = None
_notebook: Any = None


def pytest_configure(config: pytest.Config) -> None:
    """Start the recipes' sandbox before nbval starts any kernel (in each worker under pytest-xdist:
    its controller runs no test, so it starts none)."""
    global _world
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    if config.getoption("nbval", default=False) or config.getoption("nbval_lax", default=False):
        _world = RecipeWorld()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _world
    if _world is not None:
        _world.close()
        _world = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the first cell of each notebook (whose setup starts its kernel): reset the demo tenant, set ZEN_*
    (a new trainee's for an exercise notebook)."""
    global _notebook
    if _world is not None and is_notebook_cell(item) and item.parent is not _notebook:
        _notebook = item.parent
        _world.reset()
        exercise = is_exercise(getattr(item.parent, "nb", {}))
        _world.point_environ(_world.trainee_env() if exercise else None)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After a notebook's last cell (the next item is of another file, or there is none): take ZEN_* back."""
    global _notebook
    if _world is not None and is_notebook_cell(item) and (nextitem is None or nextitem.parent is not item.parent):
        _notebook = None
        _world.unpoint_environ()


def is_notebook_cell(item: pytest.Item) -> bool:
    """Whether ``item`` is one of nbval's notebook cells."""
    return str(getattr(item, "path", "")).endswith(".ipynb")


def recipe_world() -> RecipeWorld | None:
    """The world this session's notebooks run in, or ``None`` when nbval is off."""
    return _world


def run_nbval(folder: Path, *names: str) -> Any:
    """Strict nbval, in a new pytest process, on the notebooks ``names`` of ``folder`` (copies a test
    made), with this plugin and the sanitize file, as the suite runs the recipes; the finished process."""
    from helpers import run_pytest

    options = ["-c", os.devnull, "--rootdir", str(folder), "-p", "notebook_sandbox", "--nbval", "--nbval-current-env"]
    return run_pytest(*options, "--nbval-sanitize-with", str(SANITIZE_FILE), *names, cwd=folder)
