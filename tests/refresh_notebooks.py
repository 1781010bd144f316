"""Re-execute the recipe notebooks and save them with their new outputs: one command after an edit.

    python tests/refresh_notebooks.py                      # every notebook in notebooks/
    python tests/refresh_notebooks.py notebooks/02-*.ipynb # some of them

Each notebook runs exactly as under the tests (``python -m pytest``): in a kernel on this
interpreter, against a fresh sandbox whose demo tenant is reset before each notebook. It is
saved with its outputs and execution counts, without widget state or timing metadata, and then
checked for tokens and absolute paths; a notebook that fails a cell is not saved.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebook_checks import clean_metadata, problems  # noqa: E402
from notebook_runner import run_notebook  # noqa: E402
from notebook_sandbox import NOTEBOOKS, RecipeWorld  # noqa: E402


def execute(path: Path, world: RecipeWorld, timeout: int) -> nbformat.NotebookNode:
    """Run ``path`` top to bottom on the demo tenant's seed; return the executed notebook."""
    world.reset()
    notebook = run_notebook(path, timeout, env=world.kernel_env())
    clean_metadata(notebook)
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to refresh (default: all in notebooks/)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a cell may run (default: 120)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    world = RecipeWorld()
    failed = 0
    try:
        for path in paths:
            try:
                notebook = execute(path, world, args.timeout)
            except CellExecutionError as error:
                print(f"FAILED {path}: a cell raised; not saved.\n{error}", file=sys.stderr)
                failed += 1
                continue
            found = problems(notebook, secrets=[world.box.token])
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
