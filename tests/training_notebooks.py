"""The exercise notebooks of a training session and their answer key: which cells are which, and how they agree.

An exercise notebook (``notebooks/training/``) is what a trainee opens: its one cell tagged
``exercise-answer`` is empty, for the trainee to write, and its cell tagged ``exercise-check``
calls ``exercises.check``. It is saved as a fresh trainee runs it before solving anything, so the
check's saved output is the ``✗`` of an unsolved exercise. The answer key
(``tests/training_answers/``, the same file names) is the same notebook with the answer cell
written, saved as it runs then: the check says ``✓``.

The two must not drift apart: every cell but the answer is the same in both, source, tags and
(once the values that change from run to run are folded) outputs too, bar the check's.
:func:`solved` makes the copy the tests run: the exercise notebook with the key's solution in.
A notebook is told to be an exercise by its check cell, wherever it is, so a copy in a temporary
folder runs as a trainee too (``notebook_sandbox.py``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import nbformat
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "notebooks" / "training"
ANSWERS = ROOT / "tests" / "training_answers"
SANITIZE_FILE = ROOT / "tests" / "nbval-sanitize.cfg"
ANSWER_TAG = "exercise-answer"
CHECK_TAG = "exercise-check"
# What nbval compares of an output (see /work/shared/notebook-testing.md): the rest (a widget's
# random model id, images) differs from run to run.
COMPARED = ("text/plain", "text/html", "text/markdown", "text/latex")


def tags(cell: Any) -> list[str]:
    """The cell's tags (none: an empty list)."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_exercise(notebook: Any) -> bool:
    """Whether ``notebook`` is an exercise (it has a check cell): it runs on a trainee's tenant, not the demo's."""
    return any(CHECK_TAG in tags(cell) for cell in notebook.get("cells", []))


def cells_tagged(notebook: Any, tag: str) -> list[int]:
    """The numbers of the cells that carry ``tag``, in order."""
    return [number for number, cell in enumerate(notebook.cells) if tag in tags(cell)]


def answer_key_of(path: Path) -> Path:
    """Where the answer key of the exercise notebook ``path`` is."""
    return ANSWERS / path.name


def exercise_of(path: Path) -> Path:
    """Where the exercise notebook of the answer key ``path`` is."""
    return TRAINING / path.name


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def solved(exercise: Any, key: Any) -> nbformat.NotebookNode:
    """``exercise`` with the solution of ``key`` in its answer cell, and the key's saved answer and check outputs.

    What nbval runs to prove the exercise can be solved: every other cell, source and saved output,
    is the exercise notebook's own. A key whose answer and check cells are not where the exercise's
    are is a :class:`ValueError` (see :func:`drift`).
    """
    places = cells_tagged(exercise, ANSWER_TAG) + cells_tagged(exercise, CHECK_TAG)
    if places != cells_tagged(key, ANSWER_TAG) + cells_tagged(key, CHECK_TAG):
        raise ValueError("the answer key's answer and check cells are not where the exercise notebook has them")
    copied = copy.deepcopy(exercise)
    for number in places:
        mine, theirs = copied.cells[number], key.cells[number]
        if ANSWER_TAG in tags(mine):
            mine.source = theirs.source
        mine.outputs = copy.deepcopy(theirs.outputs)
        mine.execution_count = theirs.execution_count
    return copied


def drift(exercise: Any, key: Any) -> list[str]:
    """Every way ``key`` is not ``exercise`` with its answer written; empty when they agree.

    Compared cell by cell: the type, the tags and the source of every cell (the exercise's answer
    cell empty, the key's not), and the outputs of every cell but the answer and the check, as nbval
    compares them (its sanitize file applied).
    """
    found = []
    if len(exercise.cells) != len(key.cells):
        return [f"the exercise notebook has {len(exercise.cells)} cells, its answer key {len(key.cells)}"]
    for number, (mine, theirs) in enumerate(zip(exercise.cells, key.cells, strict=True)):
        where = f"cell {number}"
        if mine.cell_type != theirs.cell_type:
            found.append(f"{where}: {mine.cell_type} in the exercise, {theirs.cell_type} in the answer key")
            continue
        if tags(mine) != tags(theirs):
            found.append(f"{where}: tags {tags(mine)} in the exercise, {tags(theirs)} in the answer key")
            continue
        if ANSWER_TAG in tags(mine):
            if mine.source.strip():
                found.append(f"{where}: the exercise's answer cell is not empty")
            if not theirs.source.strip():
                found.append(f"{where}: the answer key's answer cell is empty")
            continue
        if mine.source != theirs.source:
            found.append(f"{where}: the source differs")
        elif mine.cell_type == "code" and CHECK_TAG not in tags(mine):
            if compared_outputs(mine.outputs) != compared_outputs(theirs.outputs):
                found.append(f"{where}: the saved outputs differ (refresh both: python tests/refresh_notebooks.py)")
    return found


def compared_outputs(outputs: list[Any]) -> list[tuple[str, ...]]:
    """What nbval compares of ``outputs``, sanitized: the same for two runs that differ only in ids and times."""
    shown = []
    for output in outputs:
        if output.output_type == "stream":
            shown.append((output.output_type, output.name, sanitize(output.text)))
        elif output.output_type in ("execute_result", "display_data"):
            data = output.get("data", {})
            shown.append((output.output_type, *(sanitize(data[kind]) for kind in COMPARED if kind in data)))
        else:
            shown.append((output.output_type, output.get("ename", "")))
    return shown


def check_outputs(notebook: Any) -> list[str]:
    """The saved text of each check cell's result (its ``text/plain``; empty when it has none)."""
    texts = []
    for number in cells_tagged(notebook, CHECK_TAG):
        results = [o for o in notebook.cells[number].outputs if o.output_type == "execute_result"]
        texts.append(results[0].get("data", {}).get("text/plain", "") if results else "")
    return texts


_PATTERNS: list[tuple[str, str]] | None = None


def sanitize(text: str) -> str:
    """``text`` with nbval's sanitize rules applied, in the file's order."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = get_sanitize_patterns(SANITIZE_FILE.read_text())
    for regex, replace in _PATTERNS:
        text = re.sub(regex, replace, text)
    return text
