"""The world the recipe notebooks run in, under nbval and when their outputs are refreshed.

A kernel copies ``os.environ`` when it starts, and nbval's items never see session fixtures,
so the sandbox is started and the ``ZEN_*`` variables are set before any kernel starts
(``pytest_configure``), and the demo tenant is reset to its seed before each notebook's first
cell. Every notebook therefore starts from the same state, whichever ones run and in whatever
order, and its saved outputs can be compared exactly. Jupyter, IPython and matplotlib write
into temporary folders instead of the home directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SANITIZE_FILE = ROOT / "tests" / "nbval-sanitize.cfg"
_PRIVATE_DIRS = ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR")


class RecipeWorld:
    """A sandbox on a free port, the process environment pointing at it, and private Jupyter folders."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="zen-nb-recipes-")
        self.box = sandbox_pkg.start(port=0, db=":memory:")
        self._saved = {name: os.environ.get(name) for name in (*self.box.env(), *_PRIVATE_DIRS)}
        os.environ.update(self.box.env())
        for name in _PRIVATE_DIRS:
            path = Path(self._folder.name) / name.lower()
            path.mkdir()
            os.environ[name] = str(path)

    def reset(self) -> None:
        """Put the demo tenant back to its seed, as a notebook's first cell expects."""
        response = requests.post(
            f"{self.box.base_url}/_sandbox/reset",
            headers={"Authorization": f"Bearer {self.box.admin_token}"},
            timeout=30,
        )
        response.raise_for_status()

    def close(self) -> None:
        """Stop the sandbox and give the environment back as it was."""
        self.box.stop()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._folder.cleanup()


# -- the pytest plugin (loaded with ``-p notebook_sandbox`` from pyproject.toml's addopts, so it
# -- also runs when pytest is given a single notebook) ---------------------------------------------

_world: RecipeWorld | None = None
_notebook: Any = None


def pytest_configure(config: pytest.Config) -> None:
    """Start the recipes' sandbox and set ZEN_* before nbval starts any kernel."""
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
    """Reset the demo tenant before the first cell of each notebook."""
    global _notebook
    if _world is not None and is_notebook_cell(item) and item.parent is not _notebook:
        _notebook = item.parent
        _world.reset()


def is_notebook_cell(item: pytest.Item) -> bool:
    """Whether ``item`` is one of nbval's notebook cells."""
    return str(getattr(item, "path", "")).endswith(".ipynb")
