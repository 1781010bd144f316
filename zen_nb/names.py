"""The contract's rule for flow (and target) names, with the reason a name breaks it.

Checked as the user types in the flow form, so the API's 400 is rarely needed to learn it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .vocabulary import NAME_MAX_LENGTH as MAX_LENGTH
from .vocabulary import NAME_RULE

__all__ = ["MAX_LENGTH", "NAME_RULE", "free_name", "name_problem"]
_ALLOWED = re.compile(r"[a-z0-9-]")


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid flow name, or None when it is."""
    if not name:
        return "a name is required"
    if len(name) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters (this one has {len(name)})"
    if not ("a" <= name[0] <= "z"):
        return f"must start with a lowercase letter, not {name[0]!r}"
    for character in name:
        if not _ALLOWED.fullmatch(character):
            if character.isupper():
                return f"use lowercase letters only ({character!r} is uppercase)"
            return f"{character!r} is not allowed: use lowercase letters, digits and '-'"
    return None


def free_name(wanted: str, taken: Iterable[str]) -> str:
    """The first of ``wanted-2``, ``wanted-3``... that is not taken (and still a valid name)."""
    used = set(taken)
    for number in range(2, 10_000):
        suffix = f"-{number}"
        candidate = wanted[: MAX_LENGTH - len(suffix)] + suffix
        if candidate not in used:
            return candidate
    raise ValueError(f"no free name found near {wanted!r}")
