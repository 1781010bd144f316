"""The training session's exercise notebooks: one per exercise, clean, unsolved as saved, and solvable.

Under the suite's nbval run each exercise notebook runs as a trainee who just joined, on a
tenant of its own (``notebook_sandbox.py``), so its check fails exactly as saved (``✗``). Here:
the notebooks are there and clean, each agrees cell by cell with its answer key
(``tests/training_answers/``), and the exercise notebooks with the key's solutions written in
pass nbval, every check ``✓``, in one pytest process for all of them. And as a trainee meets
them: one trainee, one tenant, the six solved in order, with the board's progress agreeing.
"""

from __future__ import annotations

import copy
import os
import re
import time

import nbformat
import pytest
import requests

from zen_nb import exercise_catalog
from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox import DEMO_TOKEN
from zen_nb.vocabulary import ENV_ADAPTER_ID, ENV_API_BASE, ENV_API_TOKEN, ENV_PLANE_ID, ENV_TENANT_ID

from helpers import admin, admin_post
from notebook_checks import problems
from notebook_runner import run_notebook
from notebook_sandbox import ROOT, run_nbval
from training_notebooks import (
    ANSWER_TAG,
    ANSWERS,
    CHECK_TAG,
    TRAINING,
    answer_key_of,
    cells_tagged,
    check_outputs,
    drift,
    is_exercise,
    read,
    solved,
)

EXERCISES = exercise_catalog.EXERCISES
NAMES = [f"{number:02d}-{exercise.name}.ipynb" for number, exercise in enumerate(EXERCISES, start=1)]
# A join code as the sandbox shows it: two groups of four Crockford base32 symbols.
JOIN_CODE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b")
EXAMPLE_CODE = "K7QM-3XPD"  # the one the notebooks show, to say what a code looks like


def code_cells(notebook: nbformat.NotebookNode) -> int:
    return sum(cell.cell_type == "code" for cell in notebook.cells)


# -- what is there ---------------------------------------------------------------------------------


def test_one_exercise_notebook_and_one_answer_key_per_exercise_in_session_order():
    assert sorted(path.name for path in TRAINING.glob("*.ipynb")) == NAMES
    assert sorted(path.name for path in ANSWERS.glob("*.ipynb")) == NAMES
    assert (TRAINING / "README.md").is_file()


@pytest.mark.parametrize("exercise", EXERCISES, ids=[exercise.name for exercise in EXERCISES])
def test_an_exercise_notebook_has_the_task_one_empty_answer_cell_and_its_check(exercise):
    number = exercise_catalog.names().index(exercise.name) + 1
    notebook = read(TRAINING / NAMES[number - 1])
    opening = notebook.cells[0].source
    assert opening.startswith(f"# {number:02d} · {exercise.title}\n")
    assert "What you learn" in opening and "What it needs" in opening
    sources = [cell.source for cell in notebook.cells]
    assert any(exercise.task in source for source in sources if source.startswith("## Your task"))
    assert any('zen_nb.join("' in source and "%zen_join" in source for source in sources), "how to join"
    assert any("client.get_tenant()" in source for source in sources), "whom the kernel is set up for"
    [answer] = cells_tagged(notebook, ANSWER_TAG)
    [check] = cells_tagged(notebook, CHECK_TAG)
    assert notebook.cells[answer].cell_type == "code" and notebook.cells[answer].source == ""
    assert notebook.cells[answer].outputs == []
    assert notebook.cells[check].source == f'exercises.check("{exercise.name}")'
    assert answer < check and all(cell.cell_type == "markdown" for cell in notebook.cells[answer + 1 : check])
    prepares = [source for source in sources if "exercises.prepare(" in source]
    assert prepares == ([f'exercises.prepare("{exercise.name}")'] if exercise.prepared else [])
    # The recipe that teaches it is linked from the task.
    task = next(source for source in sources if source.startswith("## Your task"))
    for link in re.findall(r"\]\((\.\./[^)]+\.ipynb)\)", task):
        assert (TRAINING / link).resolve().is_file(), link
    assert re.search(r"\]\(\.\./0\d-[a-z-]+\.ipynb\)", task)


# -- what a saved notebook holds -------------------------------------------------------------------


PATHS = [TRAINING / name for name in NAMES] + [ANSWERS / name for name in NAMES]


@pytest.mark.parametrize("path", PATHS, ids=[path.relative_to(ROOT).as_posix() for path in PATHS])
def test_a_saved_exercise_notebook_is_executed_and_clean(path):
    notebook = read(path)
    nbformat.validate(notebook)
    assert problems(notebook, secrets=[DEMO_TOKEN]) == []
    assert is_exercise(notebook)
    text = nbformat.writes(notebook)
    assert "zen_live_" not in text and "zen_test_" not in text
    assert set(JOIN_CODE.findall(text)) <= {EXAMPLE_CODE}, "a join code is in the notebook"


@pytest.mark.parametrize("name", NAMES)
def test_an_exercise_notebook_is_its_answer_key_with_the_answer_cell_emptied(name):
    assert drift(read(TRAINING / name), read(ANSWERS / name)) == []


@pytest.mark.parametrize("name", NAMES)
def test_the_saved_checks_fail_in_the_exercise_and_pass_in_the_answer_key(name):
    unsolved, answered = check_outputs(read(TRAINING / name)), check_outputs(read(ANSWERS / name))
    assert len(unsolved) == len(answered) == 1
    assert all(text.startswith("✗ ") for text in unsolved), unsolved
    assert all(text.startswith("✓ ") for text in answered), answered


# -- the two cannot drift --------------------------------------------------------------------------

SPOILERS = {
    "a changed task": lambda nb: nb.cells[0].__setitem__("source", nb.cells[0].source + " (changed)"),
    "a solution left in the exercise": lambda nb: nb.cells[cells_tagged(nb, ANSWER_TAG)[0]].__setitem__(
        "source", "client.get_tenant()"
    ),
    "a cell more": lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("more")),
    "a tag lost": lambda nb: nb.cells[cells_tagged(nb, CHECK_TAG)[0]].metadata.__setitem__("tags", []),
    "a stale output": lambda nb: next(
        cell for cell in nb.cells if cell.cell_type == "code" and cell.outputs
    ).outputs.clear(),
}


@pytest.mark.parametrize("spoiler", SPOILERS, ids=list(SPOILERS))
def test_the_comparison_finds_each_kind_of_drift(spoiler):
    exercise, key = read(TRAINING / NAMES[0]), read(ANSWERS / NAMES[0])
    assert drift(exercise, key) == []
    spoiled = copy.deepcopy(exercise)
    SPOILERS[spoiler](spoiled)
    assert drift(spoiled, key) != []


def test_the_solved_copy_is_the_exercise_with_the_keys_solution_and_its_outputs():
    exercise, key = read(TRAINING / NAMES[0]), read(ANSWERS / NAMES[0])
    copied = solved(exercise, key)
    [answer] = cells_tagged(copied, ANSWER_TAG)
    [check] = cells_tagged(copied, CHECK_TAG)
    assert copied.cells[answer].source == key.cells[answer].source != ""
    assert check_outputs(copied) == check_outputs(key)
    others = [n for n in range(len(copied.cells)) if n not in (answer, check)]
    assert all(copied.cells[n] == exercise.cells[n] for n in others)
    assert exercise.cells[answer].source == ""  # the exercise itself is left as it was


# -- solved, they pass -----------------------------------------------------------------------------


@pytest.mark.slow
def test_every_exercise_with_its_solution_written_in_passes_nbval_on_a_new_trainee(tmp_path):
    """One pytest process for all six: each copy runs as a trainee who just joined, and every check says ✓."""
    cells = 0
    for name in NAMES:
        notebook = solved(read(TRAINING / name), read(answer_key_of(TRAINING / name)))
        nbformat.write(notebook, tmp_path / name)
        cells += code_cells(notebook)
    started = time.monotonic()
    run = run_nbval(tmp_path, *NAMES)
    took = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"{cells} passed" in run.stdout, run.stdout[-3000:]
    print(f"{len(NAMES)} solved exercise notebooks under nbval: {took:.1f} s")


@pytest.mark.slow
def test_one_trainee_solves_the_six_in_order_on_one_tenant_and_the_progress_shows_each(tmp_path):
    """The session's path: one join, then each notebook in its own kernel on the same tenant, never reset.

    Outputs are not compared (03 and 04 find the flow of 02 there now, as they say); every check passes.
    """
    with sandbox_pkg.start(port=0, db=tmp_path / "class.sqlite3") as box:
        added = admin_post(box, "class/trainees", json={"names": ["ada"]})
        assert added.status_code == 201, added.text
        code = added.json()["trainees"][0]["joinCode"]
        joined = requests.post(f"{box.base_url}/_sandbox/class/join", json={"code": code}, timeout=30).json()
        zen = {
            ENV_API_BASE: box.base_url,
            ENV_API_TOKEN: joined["token"],
            ENV_TENANT_ID: joined["tenantId"],
            ENV_PLANE_ID: joined["planeId"],
            ENV_ADAPTER_ID: joined["adapterId"],
        }
        for name in NAMES:
            path = tmp_path / name
            nbformat.write(solved(read(TRAINING / name), read(ANSWERS / name)), path)
            ran = run_notebook(path, timeout=120, env={**os.environ, **zen})
            [check] = check_outputs(ran)
            assert check.startswith("✓ "), f"{name}: {check}"
            tenant = next(cell for cell in ran.cells if cell.source.endswith("client.get_tenant()"))
            assert "Trainee ada" in tenant.outputs[0]["data"]["text/plain"]
            for cell in ran.cells:
                if cell.source.startswith('if any(flow.name == "invoice-claims"'):
                    assert cell.outputs[0]["text"] == "'invoice-claims' is there, from exercise 02\n"
        progress = admin(box, "GET", "class/progress").json()
    [ada] = progress["trainees"]
    assert ada["trainee"] == "ada" and ada["joined"] is True
    assert [ada["exercises"][name]["passed"] for name in progress["exercises"]] == [True] * len(NAMES)
