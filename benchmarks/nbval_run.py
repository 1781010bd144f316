"""The recipes under nbval against as many trivial notebooks: what the recipes cost beyond nbval's own.

Both runs are the suite's own command (``python -m pytest -p no:cacheprovider <notebooks>``, with
``pyproject.toml``'s options: strict nbval, the sandbox plugin ``tests/notebook_sandbox.py``, the
sanitize file), so each pays the same pytest start-up, sandbox start and one kernel per notebook.
The trivial notebooks (one cell, ``1 + 1``, its output saved) are written in a temporary folder;
``--rootdir`` and ``-c`` keep the checkout's configuration for them. Times are the wall time of
the whole process, alternating recipes and trivial, medians.

When the goal is missed, the why is the slowest cells of the recipes' run (``--durations``):
where the time beyond nbval's own goes.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "notebooks"
RUN_TIMEOUT_S = 1200.0

TRIVIAL = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "trivial",
            "metadata": {},
            "outputs": [
                {"data": {"text/plain": ["2"]}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"}
            ],
            "source": ["1 + 1"],
        }
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def recipes(limit: int | None = None) -> list[Path]:
    """The recipe notebooks (``notebooks/*.ipynb``, not the training folder), the first ``limit``."""
    return sorted(RECIPES.glob("*.ipynb"))[:limit]


def write_trivial(folder: Path, count: int) -> list[Path]:
    """``count`` one-cell notebooks in ``folder``."""
    paths = []
    for number in range(count):
        path = folder / f"trivial-{number:02d}.ipynb"
        path.write_text(json.dumps(TRIVIAL, indent=1))
        paths.append(path)
    return paths


def pytest_run(notebooks: list[Path], durations: int = 0) -> tuple[float, str]:
    """Wall time of one nbval run of ``notebooks`` and its output; a failing cell is an error (a
    benchmark of notebooks that do not pass would time their failures)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT)]
    command += ["-c", str(ROOT / "pyproject.toml"), *([f"--durations={durations}"] if durations else [])]
    command += [str(path) for path in notebooks]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=RUN_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-15:])
        raise RuntimeError(f"nbval failed on {len(notebooks)} notebooks (exit {result.returncode}):\n{tail}")
    return elapsed, result.stdout


def slowest_cells(output: str, top: int = 3) -> list[tuple[str, float]]:
    """The ``top`` slowest test phases of a ``--durations`` report: (notebook::cell, seconds)."""
    found = re.findall(r"^([\d.]+)s (call|setup|teardown)\s+(.+?)\s*$", output, re.M)
    ranked = sorted(((Path(name).name, phase, float(seconds)) for seconds, phase, name in found), key=lambda i: -i[2])
    return [(f"{name} ({phase})", seconds) for name, phase, seconds in ranked[:top]]


def compare(repeats: int, limit: int | None = None) -> dict[str, object]:
    """Medians of ``repeats`` runs of the recipes and of as many trivial notebooks, alternating;
    the slowest cells of the last recipes' run."""
    notebooks = recipes(limit)
    times: dict[str, list[float]] = {"recipes": [], "trivial": []}
    output = ""
    with tempfile.TemporaryDirectory(prefix="zen-bench-nbval-") as folder:
        trivial = write_trivial(Path(folder), len(notebooks))
        for _ in range(repeats):
            elapsed, output = pytest_run(notebooks, durations=5)
            times["recipes"].append(elapsed)
            times["trivial"].append(pytest_run(trivial)[0])
    ours, base = statistics.median(times["recipes"]), statistics.median(times["trivial"])
    return {
        "notebooks": len(notebooks),
        "recipes_s": ours,
        "trivial_s": base,
        "ratio": ours / base,
        "slowest": slowest_cells(output),
    }


if __name__ == "__main__":
    print(compare(1, limit=int(sys.argv[1]) if len(sys.argv) > 1 else None))
