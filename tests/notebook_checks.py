"""What a saved recipe notebook must be: executed, with a kernelspec, and free of secrets and local traces.

Shared by the tests (``test_notebooks.py``, ``test_training_notebooks.py``) and the tool that saves
the notebooks (``refresh_notebooks.py``), so a notebook that would fail the tests is never saved.
The training session's exercise notebooks are held to the same, but for their empty answer cell.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Anything that looks like a Zen Mesh API token, whoever it belongs to.
TOKEN_PATTERN = re.compile(r"\bzen_(test|live)_[A-Za-z0-9_-]{12,}")
# The start of an absolute path on a developer's machine (in an output, a traceback or metadata).
ABSOLUTE_PATH_PATTERN = re.compile(
    r"(?<![\w.:/])(/(home|root|tmp|work|Users|usr|opt|var|private|mnt|srv)/|[A-Za-z]:\\\\)|site-packages|file:///"
)


# What ipykernel reports as ``language_info`` (its kernel_info reply) and JupyterLab writes into a
# notebook as soon as the kernel starts: a saved notebook must already hold it, whole, or every
# recipe shows as modified the moment it is opened.
LANGUAGE_INFO_KEYS = ("name", "version", "mimetype", "file_extension", "pygments_lexer", "codemirror_mode")


def clean_metadata(notebook: Any) -> None:
    """Drop what a save should not keep: widget state and timings.

    ``language_info`` is kept whole, as the kernel reported it (the interpreter's version with
    it): JupyterLab sets it from the kernel when a notebook opens, and a notebook saved with less
    is marked modified before anything has run, and rewritten when the user saves it.
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("widgets", None)
        if cell.cell_type == "code":
            # A process's output arrives in chunks that depend on timing; nbval joins them before
            # comparing, so join them here too and a refresh changes only what really changed.
            cell.outputs = join_adjacent_streams(cell.outputs)


def join_adjacent_streams(outputs: list[Any]) -> list[Any]:
    """``outputs`` with each run of consecutive chunks of one stream joined into one (order kept)."""
    joined: list[Any] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            joined.append(output)
    return joined


def _local_paths() -> list[str]:
    paths = {str(ROOT), sys.prefix, tempfile.gettempdir(), str(Path.home())}
    return sorted((path for path in paths if len(path) > 1), key=len, reverse=True)


def problems(notebook: Any, secrets: Iterable[str] = ()) -> list[str]:
    """Every reason ``notebook`` may not be saved or shipped; empty when it is fine."""
    found = []
    kernelspec = notebook.get("metadata", {}).get("kernelspec", {})
    if not kernelspec.get("name") or not kernelspec.get("display_name"):
        found.append("metadata.kernelspec (name and display_name) is missing: nbval and Jupyter need it")
    if "widgets" in notebook.get("metadata", {}):
        found.append("metadata.widgets holds saved widget state: save without it")
    language = notebook.get("metadata", {}).get("language_info", {})
    missing = [key for key in LANGUAGE_INFO_KEYS if key not in language]
    if missing:
        found.append(
            f"metadata.language_info lacks {', '.join(missing)}: save it whole, as the kernel reports it "
            "(JupyterLab adds it on opening, and the recipe then shows as modified)"
        )
    for number, cell in enumerate(notebook.get("cells", [])):
        where = f"cell {number}"
        tags = cell.get("metadata", {}).get("tags", [])
        if "widgets" in cell.get("metadata", {}):
            found.append(f"{where}: metadata.widgets holds widget state")
        if cell.get("cell_type") != "code":
            continue
        # An exercise's answer cell is saved empty, for the trainee to write: a kernel runs nothing there.
        empty_answer = "exercise-answer" in tags and not "".join(cell.get("source", "")).strip()
        if cell.get("execution_count") is None and "nbval-skip" not in tags and not empty_answer:
            found.append(f"{where} was not executed: save the notebook executed, so nbval has outputs to compare")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and "raises-exception" not in tags:
                found.append(f"{where} saved an error ({output.get('ename')}): fix the cell or catch it on purpose")
    text = json.dumps(notebook, ensure_ascii=False)
    for secret in secrets:
        if secret and secret in text:
            found.append("a token is in the notebook: never print or save one (use os.environ['ZEN_API_TOKEN'])")
    match = TOKEN_PATTERN.search(text)
    if match:
        found.append(f"something shaped like an API token is in the notebook: {match.group()[:12]}…")
    for path in _local_paths():
        if path in text:
            found.append(f"a local path is in the notebook: {path}")
    match = ABSOLUTE_PATH_PATTERN.search(text)
    if match:
        start = max(0, match.start() - 30)
        found.append(f"an absolute path is in the notebook: …{text[start : match.end() + 30]}…")
    return found
