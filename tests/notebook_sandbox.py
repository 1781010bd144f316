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
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from zen_nb import sandbox as sandbox_pkg

from helpers import admin_post

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SANITIZE_FILE = ROOT / "tests" / "nbval-sanitize.cfg"
_PRIVATE_DIRS = ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR")
# The ZEN_* variables as pytest found them (the plugin is loaded before any test module): what
# every test that is not a notebook cell must see.
ZEN_AT_START = {name: value for name, value in os.environ.items() if name.startswith("ZEN_")}


class RecipeWorld:
    """A sandbox on a free port, private Jupyter folders in the process environment, and the ``ZEN_*``
    variables for the sandbox, which :meth:`kernel_env` gives and :meth:`point_environ` sets."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="zen-nb-recipes-")
        self.box = sandbox_pkg.start(port=0, db=":memory:")
        self._saved = _values(_PRIVATE_DIRS)
        self._saved_zen: dict[str, str | None] | None = None
        for name in _PRIVATE_DIRS:
            path = Path(self._folder.name) / name.lower()
            path.mkdir()
            os.environ[name] = str(path)

    def kernel_env(self) -> dict[str, str]:
        """The environment of a recipe's kernel: this process's, with the sandbox's ``ZEN_*`` values."""
        return {**os.environ, **self.box.env()}

    def point_environ(self) -> None:
        """Set the sandbox's ``ZEN_*`` values in ``os.environ``, for a kernel that copies it (nbval's)."""
        if self._saved_zen is None:
            self._saved_zen = _values(self.box.env())
        os.environ.update(self.box.env())

    def unpoint_environ(self) -> None:
        """Give the ``ZEN_*`` variables back as they were before :meth:`point_environ`."""
        if self._saved_zen is not None:
            _restore(self._saved_zen)
            self._saved_zen = None

    def reset(self) -> None:
        """Put the demo tenant back to its seed, as a notebook's first cell expects."""
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
    """Start the recipes' sandbox before nbval starts any kernel."""
    global _world
    if config.getoption("nbval", default=False) or config.getoption("nbval_lax", default=False):
        _world = RecipeWorld()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _world
    if _world is not None:
        _world.close()
        _world = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the first cell of each notebook (whose setup starts its kernel): reset the demo tenant, set ZEN_*."""
    global _notebook
    if _world is not None and is_notebook_cell(item) and item.parent is not _notebook:
        _notebook = item.parent
        _world.reset()
        _world.point_environ()


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
