"""The tables ``zen-nb class roster`` and ``zen-nb class progress`` print: plain text for a terminal.

Columns are padded with spaces (names are plain text: see ``trainee_names.py``), exercises are
numbered in the order of the session with a legend under the table, so that six exercises fit
an 80-column terminal. Never a token: the rows are built from names, tenants, codes and ticks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from .join_codes import format_code

PASSED = "\u2713"  # ✓
NOT_PASSED = "\u00b7"  # ·


class RosterEntry(Protocol):
    """What the roster table reads of a trainee (``data.classroom.Trainee`` has it)."""

    name: str
    tenant_id: str
    join_code: str | None
    joined_at: str | None


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a table: each column as wide as its widest cell, two spaces between columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip()
        for line in (headers, *rows)
    ]


def moment(stamp: str | None) -> str:
    """``2026-12-01T18:20:11.123Z`` as ``2026-12-01 18:20:11Z`` (no milliseconds); ``-`` for none."""
    if not stamp:
        return "-"
    return stamp.replace("T", " ").split(".")[0].rstrip("Z") + "Z"


def roster_table(trainees: Sequence[RosterEntry]) -> list[str]:
    """The trainees in roster order: name, tenant, join code (or ``revoked``), when they joined."""
    rows = [
        (
            str(number),
            trainee.name,
            trainee.tenant_id,
            format_code(trainee.join_code) if trainee.join_code else "revoked",
            moment(trainee.joined_at) if trainee.joined_at else "no",
        )
        for number, trainee in enumerate(trainees, start=1)
    ]
    return table(("#", "trainee", "tenant", "join code", "joined"), rows)


def progress_table(progress: Mapping[str, Any]) -> list[str]:
    """Trainee x exercise (``✓`` passed, ``·`` not yet), a count per trainee and per exercise, then the legend.

    ``progress`` is the JSON of ``GET /_sandbox/class/progress`` (``classroom.progress``).
    """
    exercises: list[str] = list(progress["exercises"])
    numbers = [str(index) for index in range(1, len(exercises) + 1)]
    rows = []
    per_exercise = [0] * len(exercises)
    for trainee in progress["trainees"]:
        marks = []
        for index, name in enumerate(exercises):
            passed = bool((trainee["exercises"].get(name) or {}).get("passed"))
            per_exercise[index] += passed
            marks.append(PASSED if passed else NOT_PASSED)
        done = marks.count(PASSED)
        rows.append((trainee["trainee"], "yes" if trainee["joined"] else "no", *marks, f"{done}/{len(exercises)}"))
    rows.append(("passed by", "", *(str(count) for count in per_exercise), ""))
    lines = table(("trainee", "joined", *numbers, "passed"), rows)
    return [*lines, "", *legend([f"{number} {name}" for number, name in zip(numbers, exercises, strict=True)])]


def legend(entries: Sequence[str], width: int = 100) -> list[str]:
    """``Exercises: 1 create-a-target  2 ...``, wrapped between entries (never inside one)."""
    lines = ["Exercises:"]
    for entry in entries:
        if len(lines[-1]) + 2 + len(entry) > width and lines[-1].strip() != "Exercises:":
            lines.append(" " * len("Exercises:"))
        lines[-1] += ("  " if lines[-1].strip() not in ("", "Exercises:") else " ") + entry
    return lines
