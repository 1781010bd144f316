"""``benchmarks/run.py``, the goals table in one command: a smoke run of a subset.

It runs as a user runs it (``python benchmarks/run.py --quick --only ...``, its own process, its
own sandbox) and checks the table's shape: one row per goal of what was asked, each with a
figure and a verdict, and the line that says which command ran when. The figures themselves are
not asserted: timings belong in ``benchmarks/README.md``, not in timed tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
VERDICTS = {"met", "missed", "no goal"}


def run_script(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True, env=env, timeout=timeout)


def table_rows(stdout: str) -> list[list[str]]:
    """The goals table's rows (header and rule left out), each as its cells."""
    lines = stdout.splitlines()
    start = lines.index("| measure | this run | goal | verdict | why |")
    assert lines[start + 1] == "|---|---|---|---|---|"
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_quick_subset_prints_the_goals_table() -> None:
    result = run_script("--quick", "--only", "import,load_flows")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = table_rows(result.stdout)
    assert [row[0] for row in rows] == [
        "`load_flows` time, 2,000 flows",
        "`load_flows` peak extra memory, 2,000 flows",
        "`import zen_nb` / `import requests`",
    ]
    for measure, measured, goal, verdict, why in rows:
        assert re.match(r"\*\*\d+\.\d+ ×\*\* .*\(.+\)$", measured), measured
        assert goal.startswith("≤ "), goal
        assert verdict in VERDICTS, verdict
        assert (why != "") == (verdict == "missed"), (measure, verdict, why)  # a miss says why
    assert re.search(r"`python benchmarks/run.py --quick --only import,load_flows` on \d{4}-\d\d-\d\d", result.stdout)


def test_unknown_measure_is_refused_with_the_known_names() -> None:
    result = run_script("--only", "import,imports", timeout=60)
    assert result.returncode == 2
    assert "not imports" in result.stderr
    assert (
        "load_flows, load_attempts, import, nbval, lab, bulk_retry, parallel_load, creates, latency, delivery_metrics"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
