"""The notebook plugin (``notebook_sandbox.py``) points only the notebooks' kernels at its sandbox.

Its ``ZEN_*`` variables are in ``os.environ`` only from a notebook's first cell to its last one:
a test that is not a notebook cell sees the variables pytest started with, before the notebooks
run and after them alike, so no test of configuration passes or fails by what a notebook needs.
"""

from __future__ import annotations

import os

import nbformat
import pytest

import notebook_sandbox
from helpers import run_pytest
from notebook_sandbox import ROOT, recipe_world

# The test below runs twice in the session of the next one: before any notebook and after one.
MOMENTS = ["before-a-notebook", "after-a-notebook"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_an_ordinary_test_sees_the_zen_variables_pytest_started_with(moment):
    zen_variables = {name: value for name, value in os.environ.items() if name.startswith("ZEN_")}
    assert zen_variables == notebook_sandbox.ZEN_AT_START
    world = recipe_world()
    if world is not None:  # nbval is on: the notebooks' sandbox runs, but not for this test
        assert os.environ.get("ZEN_API_BASE") != world.box.base_url


@pytest.mark.slow
def test_each_notebook_gets_the_zen_variables_and_the_test_after_it_does_not():
    """The test above, a notebook, the test again, another notebook, in one session (the cells need ZEN_*)."""
    notebooks = ["notebooks/00-setup-environment.ipynb", "notebooks/01-create-a-target.ipynb"]
    cells = [
        sum(cell.cell_type == "code" for cell in nbformat.read(ROOT / path, as_version=4).cells) for path in notebooks
    ]
    ordinary = f"tests/{__name__}.py::{test_an_ordinary_test_sees_the_zen_variables_pytest_started_with.__name__}"
    before, after = (f"{ordinary}[{moment}]" for moment in MOMENTS)
    run = run_pytest("-v", before, notebooks[0], after, notebooks[1], cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{sum(cells) + 2} passed" in run.stdout, run.stdout[-3000:]
    ran = [line.split(" PASSED")[0] for line in run.stdout.splitlines() if " PASSED" in line]
    assert ran.index(before) == 0 and ran.index(after) == 1 + cells[0], ran  # in the order asked for
