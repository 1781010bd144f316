"""The recipe notebooks: all collected under strict nbval, saved clean, and compared for real.

The notebooks themselves run as tests through nbval (see pyproject.toml's addopts); this module
checks what nbval cannot: that none is left out, that none holds a token, widget state or a
local path, and that a spoiled saved output does fail.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from zen_nb.sandbox import DEMO_TOKEN

from helpers import run_pytest
from notebook_checks import problems
from notebook_sandbox import NOTEBOOKS, ROOT, SANITIZE_FILE, run_nbval

PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
TRAINING_PATHS = sorted((NOTEBOOKS / "training").glob("*.ipynb"))  # their own checks: test_training_notebooks.py
REQUIRED = [
    "00-setup-environment",
    "01-create-a-target",
    "02-create-a-flow",
    "03-list-flows-as-a-dataframe",
    "04-update-pause-resume-delete",
    "05-common-errors",
    "06-authentication",
    "07-inspect-delivery-attempts",
    "08-list-planes-and-inspect-a-plane",
    "09-when-the-api-fails",
]


def code_cells(path: Path) -> int:
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


# -- what is there ---------------------------------------------------------------------------------


def test_every_recipe_of_the_issue_is_there_numbered_in_order():
    names = [path.stem for path in PATHS]
    assert names[: len(REQUIRED)] == REQUIRED
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+", name) for name in names)
    assert [int(name[:2]) for name in names] == list(range(len(names)))


def test_every_notebook_is_collected_cell_by_cell_under_strict_nbval():
    result = run_pytest("--collect-only", "-q", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    collected = result.stdout.splitlines()
    for path in PATHS + TRAINING_PATHS:
        relative = path.relative_to(ROOT).as_posix()
        cells = [line for line in collected if line.startswith(f"{relative}::Cell ")]
        assert len(cells) == code_cells(path), f"{relative}: {len(cells)} of {code_cells(path)} cells collected"
    # The answer key runs in test_training_notebooks.py, as the exercises with their solutions written in.
    assert not [line for line in collected if line.startswith("tests/training_answers/")]


def test_the_session_runs_nbval_strict_in_this_interpreter_with_the_sanitize_file(pytestconfig):
    assert pytestconfig.getoption("nbval") is True
    assert not pytestconfig.getoption("nbval_lax")
    assert pytestconfig.getoption("nbval_current_env") is True
    assert Path(pytestconfig.getoption("nbval_sanitize_with")).resolve() == SANITIZE_FILE


def test_every_rule_of_the_sanitize_file_is_read():
    text = SANITIZE_FILE.read_text()
    assert "\r" not in text
    patterns = get_sanitize_patterns(text)
    assert len(patterns) == text.count("\nregex: ") + text.startswith("regex: ") == text.count("\n[")
    assert patterns[-1] == ("[ \\t]+", " ")  # the space-folding rule replaces with one space
    for regex, _ in patterns:
        re.compile(regex)


# -- what a saved notebook holds -------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_a_saved_notebook_is_executed_and_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert problems(notebook, secrets=[DEMO_TOKEN]) == []
    assert notebook.cells[0].cell_type == "markdown"
    opening = notebook.cells[0].source
    assert opening.startswith(f"# {path.stem[:2]} · ")
    assert "What this recipe does" in opening and "What it needs" in opening


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_no_cell_is_skipped_or_left_out_of_the_comparison_without_a_reason(path):
    notebook = nbformat.read(path, as_version=4)
    for number, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        first_line = cell.source.splitlines()[0] if cell.source else ""
        assert "nbval-skip" not in tags and "NBVAL_SKIP" not in first_line, f"cell {number} is skipped"
        if "nbval-ignore-output" in tags or "NBVAL_IGNORE_OUTPUT" in first_line:
            before = notebook.cells[number - 1]
            assert before.cell_type == "markdown" and "output" in before.source.lower(), (
                f"cell {number} ignores its output: say why in the markdown cell before it"
            )


SPOILERS = {
    "a token": lambda nb: nb.cells[1].outputs.append(
        nbformat.v4.new_output("stream", name="stdout", text=f"token {DEMO_TOKEN}\n")
    ),
    "another token-shaped string": lambda nb: nb.cells[0].__setitem__("source", "zen_live_abcdefghijklmnop"),
    "widget state": lambda nb: nb.metadata.__setitem__("widgets", {"application/vnd.jupyter.widget-state+json": {}}),
    "a home path": lambda nb: nb.cells[0].__setitem__("source", "see /home/someone/notes"),
    "a Windows path": lambda nb: nb.cells[0].__setitem__("source", "C:\\\\Users\\\\someone"),
    "a site-packages traceback": lambda nb: nb.cells[0].__setitem__("source", "in site-packages/zen_nb/x.py"),
    "no kernelspec": lambda nb: nb.metadata.pop("kernelspec"),
    "an unexecuted cell": lambda nb: next(c for c in nb.cells if c.cell_type == "code").__setitem__(
        "execution_count", None
    ),
    "a saved error": lambda nb: nb.cells[1].outputs.append(
        nbformat.v4.new_output("error", ename="KeyError", evalue="x", traceback=[])
    ),
}


@pytest.mark.parametrize("spoiler", SPOILERS, ids=list(SPOILERS))
def test_the_checks_find_each_kind_of_problem(spoiler):
    notebook = nbformat.read(NOTEBOOKS / "00-setup-environment.ipynb", as_version=4)
    assert problems(notebook, secrets=[DEMO_TOKEN]) == []
    spoiled = copy.deepcopy(notebook)
    SPOILERS[spoiler](spoiled)
    assert problems(spoiled, secrets=[DEMO_TOKEN]) != []


# -- the comparison is live ------------------------------------------------------------------------


def test_a_spoiled_saved_output_fails_and_the_same_notebook_unspoiled_passes(tmp_path):
    source = NOTEBOOKS / "00-setup-environment.ipynb"
    good = nbformat.read(source, as_version=4)
    spoiled = copy.deepcopy(good)
    number, cell = next(
        (n, c) for n, c in enumerate(c for c in spoiled.cells if c.cell_type == "code") if "get_tenant()" in c.source
    )
    result = cell.outputs[0]["data"]
    assert "'Zen Mesh sandbox demo'" in result["text/plain"]
    result["text/plain"] = result["text/plain"].replace("sandbox demo", "sandbox DEMO")
    nbformat.write(good, tmp_path / "good.ipynb")
    nbformat.write(spoiled, tmp_path / "spoiled.ipynb")
    run = run_nbval(tmp_path, "good.ipynb", "spoiled.ipynb")
    failed = re.findall(r"^FAILED (.+?) - ", run.stdout, flags=re.MULTILINE)
    assert failed == [f"spoiled.ipynb::Cell {number}"], run.stdout[-3000:]
    assert f"{code_cells(source) * 2 - 1} passed" in run.stdout
    assert "mismatch 'text/plain'" in run.stdout
    assert "sandbox DEMO" in run.stdout
