"""Re-execute the recipe notebooks and save them with their new outputs: one command after an edit.

    python tests/refresh_notebooks.py                      # every recipe, exercise and answer key
    python tests/refresh_notebooks.py notebooks/02-*.ipynb # some of them

Each notebook runs exactly as under the tests (``python -m pytest``): in a kernel on this
interpreter, against a fresh sandbox whose demo tenant is reset before each notebook. It is
saved with its outputs and execution counts, without widget state or timing metadata, and then
checked for tokens and absolute paths; a notebook that fails a cell is not saved.

The training session's exercise notebooks (``notebooks/training/``) run as a trainee who just
joined, on a tenant of their own, and are saved with their unsolved checks' ``✗``. An answer key
(``tests/training_answers/``) is made from its exercise notebook: the exercise's cells, with the
key's own answer cell written in (``training_notebooks.solved``), run as a new trainee too and
saved with its checks' ``✓``. So edit the text in the exercise notebook and the solution in the
answer key, then refresh both: the two cannot drift apart. A key whose check does not pass is not
saved.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebook_checks import clean_metadata, problems  # noqa: E402
from notebook_runner import run_notebook  # noqa: E402
from notebook_sandbox import NOTEBOOKS, RecipeWorld  # noqa: E402
from training_notebooks import ANSWERS, TRAINING, check_outputs, exercise_of, is_exercise, read, solved  # noqa: E402


class NotSolved(Exception):
    """An answer key whose check does not pass: its solution is wrong, or the check changed."""


def execute(path: Path, world: RecipeWorld, timeout: int) -> nbformat.NotebookNode:
    """Run ``path`` top to bottom on the demo tenant's seed (a new trainee's tenant for an exercise); return it."""
    world.reset()
    zen = world.trainee_env() if is_exercise(read(path)) else None
    notebook = run_notebook(path, timeout, env=world.kernel_env(zen))
    clean_metadata(notebook)
    return notebook


def execute_answer_key(path: Path, world: RecipeWorld, timeout: int) -> nbformat.NotebookNode:
    """The exercise notebook of the answer key ``path``, with the key's solution written in, run as a new trainee."""
    notebook = solved(read(exercise_of(path)), read(path))
    with tempfile.TemporaryDirectory(prefix="zen-nb-answer-key-") as folder:
        copy = Path(folder) / path.name
        nbformat.write(notebook, copy)
        return execute(copy, world, timeout)


def refresh(path: Path, world: RecipeWorld, timeout: int) -> nbformat.NotebookNode:
    """``path`` executed as it is saved: a recipe or an exercise as it is, an answer key from its exercise."""
    if path.resolve().parent == ANSWERS:
        notebook = execute_answer_key(path, world, timeout)
        unsolved = [text for text in check_outputs(notebook) if not text.startswith("✓")]
        if unsolved:
            raise NotSolved(f"a check of the answer key does not pass:\n{unsolved[0]}")
        return notebook
    return execute(path, world, timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks to refresh (default: all in notebooks/, notebooks/training/ and tests/training_answers/)",
    )
    parser.add_argument("--timeout", type=int, default=120, help="seconds a cell may run (default: 120)")
    args = parser.parse_args(argv)
    paths = args.notebooks or [
        *sorted(NOTEBOOKS.glob("*.ipynb")),
        *sorted(TRAINING.glob("*.ipynb")),
        *sorted(ANSWERS.glob("*.ipynb")),
    ]
    world = RecipeWorld()
    failed = 0
    try:
        for path in paths:
            try:
                notebook = refresh(path, world, args.timeout)
            except CellExecutionError as error:
                print(f"FAILED {path}: a cell raised; not saved.\n{error}", file=sys.stderr)
                failed += 1
                continue
            except NotSolved as error:
                print(f"FAILED {path}: not saved: {error}", file=sys.stderr)
                failed += 1
                continue
            found = problems(notebook, secrets=world.secrets)
            if found:
                print(f"FAILED {path}: not saved:\n  " + "\n  ".join(found), file=sys.stderr)
                failed += 1
                continue
            nbformat.write(notebook, path)
            print(f"saved  {path}")
    finally:
        world.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
