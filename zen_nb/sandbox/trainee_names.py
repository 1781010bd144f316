"""The names of a class's trainees: what a name may be, and the numbered names of ``--trainees N``.

A name is shown on the board and typed by the trainer (``zen-nb class reset ada``), so it is
short plain text: letters, digits, space and ``. _ ' -``, starting with a letter or digit. Names
are unique in a class regardless of case (``Ada`` and ``ada`` are one trainee). Stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TRAINEE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._'-]{0,63}$"
TRAINEE_NAME_RULE = "1 to 64 letters, digits, spaces or . _ ' -, starting with a letter or digit"
_NAME_RE = re.compile(TRAINEE_NAME_PATTERN)
_NUMBERED = re.compile(r"^trainee-(\d+)$", re.IGNORECASE)


def name_problem(name: object) -> str | None:
    """What is wrong with a trainee's name, or None when it is a good one."""
    if not isinstance(name, str):
        return f"a trainee's name must be text: {TRAINEE_NAME_RULE}"
    if not _NAME_RE.fullmatch(name):
        shown = name if len(name) <= 70 else name[:67] + "..."
        return f"a trainee's name must be {TRAINEE_NAME_RULE}; got {shown!r}"
    return None


def check_name(name: object) -> str:
    """The name, if it is one; a ValueError saying the rule otherwise."""
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    assert isinstance(name, str)
    return name


def numbered_names(count: int, existing: Sequence[str] = ()) -> list[str]:
    """``trainee-01`` ... for the first ``count`` trainees (``trainee-001`` once there are 100 or more).

    A number the class already has keeps its spelling: a class of 30 started again with
    ``--trainees 120`` keeps ``trainee-07`` and adds ``trainee-031`` to ``trainee-120``.
    """
    if count < 0:
        raise ValueError("the number of trainees must be 0 or more")
    width = max(2, len(str(count)))
    spelled: dict[int, str] = {}
    for name in existing:
        found = _NUMBERED.fullmatch(name)
        if found:
            spelled.setdefault(int(found.group(1)), name)
    return [spelled.get(number, f"trainee-{number:0{width}d}") for number in range(1, count + 1)]
