"""The recipes as a ``zen-nb lab`` user runs them: in order, twice, then shuffled, on one sandbox that is never reset.

nbval compares every notebook against the seed (the plugin resets the demo tenant before each
one); that proves each recipe alone. A user has one persistent database instead: 02 and 03
leave flows on ``ingester_stripe`` that 07's event then reaches, a rerun finds the first run's
objects, and tomorrow's run finds today's. Here every cell must run without an error on that
state; outputs are not compared (they rightly differ once other recipes' flows exist).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from zen_nb import sandbox

from notebook_runner import run_notebook
from notebook_sandbox import NOTEBOOKS

RECIPES = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
# A fixed seed, so that a failure repeats; ZEN_NB_SHUFFLE_SEED tries another order.
SHUFFLE_SEED = int(os.environ.get("ZEN_NB_SHUFFLE_SEED", "11"))


def shuffled(paths: list[Path], seed: int) -> list[Path]:
    """``paths`` in a seeded random order that is neither the numbered order nor its reverse."""
    rng = random.Random(seed)
    while True:
        order = rng.sample(paths, len(paths))
        if order not in (paths, paths[::-1]):
            return order


def walk(order: list[Path], env: dict[str, str], log: list[str]) -> None:
    """Run each recipe of ``order`` in a new kernel on ``env``; fail naming the recipe and the cell."""
    for path in order:
        started = time.monotonic()
        try:
            run_notebook(path, timeout=120, env=env)
        except CellExecutionError as error:
            walked = " -> ".join(entry.split()[0] for entry in log)
            pytest.fail(f"{path.name} failed after [{walked}]:\n{error}", pytrace=False)
        log.append(f"{path.stem[:2]} {time.monotonic() - started:.1f}s")


@pytest.mark.slow
def test_every_recipe_runs_in_order_twice_then_shuffled_on_one_persistent_sandbox(tmp_path):
    database = tmp_path / "lab-sandbox.sqlite3"  # a file, as zen-nb lab keeps it
    log: list[str] = []
    with sandbox.start(db=database) as box:
        env = {**os.environ, **box.env(), "MPLBACKEND": "Agg"}
        walk(RECIPES, env, log)
        walk(RECIPES, env, log)  # the next day: everything the first run left is still there
    # The sandbox restarted on the same database, as `zen-nb lab` does on its next start.
    with sandbox.start(db=database) as box:
        env = {**os.environ, **box.env(), "MPLBACKEND": "Agg"}
        walk(shuffled(RECIPES, SHUFFLE_SEED), env, log)
    print("recipes walked (recipe, seconds):", ", ".join(log))
    assert len(log) == 3 * len(RECIPES)
