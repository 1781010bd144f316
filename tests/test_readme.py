"""The README's first screen gives the two commands, and CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:30])
    return re.findall(r"```bash\n(.+?)\n```", first_screen)


def test_the_first_screen_has_the_start_and_the_test_command():
    start, test = _commands()[:2]
    assert start.endswith("zen-nb lab") and "[lab]" in start
    assert "pytest" in test and "[test]" in test


def test_ci_runs_the_readme_test_command():
    test = _commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci_lines
