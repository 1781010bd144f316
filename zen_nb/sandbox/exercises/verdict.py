"""What a check found: passed or not, one message, and a hint when it did not pass.

Messages are deterministic (no times, no ids the trainee must discover), so that a notebook can
save them and a trainer can read them on the board; they say what was found, never the code
that solves the task.
"""

from __future__ import annotations

from dataclasses import dataclass

PASS_MARK = "✓"
FAIL_MARK = "✗"
_LONGEST_SHOWN = 120  # characters of a trainee's own value (a URL, a name) that a message repeats


def shown(text: str | None) -> str:
    """A trainee's value as a message repeats it: cut short if long."""
    text = text or ""
    return text if len(text) <= _LONGEST_SHOWN else text[: _LONGEST_SHOWN - 1] + "…"


@dataclass(frozen=True)
class Verdict:
    """The answer of one exercise's rule on one tenant."""

    passed: bool
    message: str  # starts with PASS_MARK or FAIL_MARK
    hint: str | None  # None when passed

    @classmethod
    def ok(cls, found: str) -> Verdict:
        """A pass that says what was found."""
        return cls(True, f"{PASS_MARK} {found}", None)

    @classmethod
    def not_yet(cls, found: str, hint: str) -> Verdict:
        """A failure: what is missing or wrong, and where to look (never the solution)."""
        return cls(False, f"{FAIL_MARK} {found}", hint)


@dataclass(frozen=True)
class Preparation:
    """What a ``prepare`` did: whether it put anything on the tenant, and what it says of it."""

    prepared: bool
    message: str
