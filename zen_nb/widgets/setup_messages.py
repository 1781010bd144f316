"""What the setup form says, in the form's own terms: fields "above" and buttons to click.

A fix is written for where the user is. Raised in a cell or printed by the CLI, a configuration
error says ``export ZEN_TENANT_ID=...`` (:mod:`zen_nb.config`); in the setup form the same
problem is "Fill ZEN_TENANT_ID above, then click Apply", since the fields are right there.
"""

from __future__ import annotations

from ..config import NOT_A_URL, NOT_SET, PLACEHOLDER

#: how long "Check connection" waits for an answer, in seconds (one try: a user waits on the click)
CHECK_TIMEOUT = 5.0

#: which field an API error is about, by its code: that field is marked (red border)
FIELD_OF_CODE = {
    "unauthenticated": "ZEN_API_TOKEN",
    "forbidden": "ZEN_TENANT_ID",
    "tenant_not_found": "ZEN_TENANT_ID",
    "plane_not_found": "ZEN_PLANE_ID",
}

#: the form's fix for an API error about one of its fields, by code ("{button}": the button clicked)
FIX_OF_CODE = {
    "unauthenticated": (
        "Paste a valid API token of your tenant into ZEN_API_TOKEN above and press Enter, then click {button}."
    ),
    "forbidden": (
        "Make ZEN_TENANT_ID above the tenant of this token (or paste that tenant's token), then click {button}."
    ),
    "tenant_not_found": "Correct ZEN_TENANT_ID above, then click {button}.",
    "plane_not_found": "Correct ZEN_PLANE_ID above (`client.list_planes()` lists your planes), then click {button}.",
}

_AGAIN = "Check ZEN_API_BASE above (is the server running, and is this its address?), then click Check connection again"
SANDBOX_WAY = "For a sandbox on this machine, click Use local sandbox: it fills every field."


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def config_fix(problems: dict[str, str], button: str) -> str:
    """The fix for a :class:`~zen_nb.errors.ZenConfigError`'s ``problems``, ending "then click ``button``"."""
    empty = [name for name, problem in problems.items() if problem == NOT_SET and name != "ZEN_API_TOKEN"]
    placeholders = [name for name, problem in problems.items() if problem == PLACEHOLDER]
    steps = []
    if empty:
        steps.append(f"fill {_names(empty)} above")
    if problems.get("ZEN_API_BASE") == NOT_A_URL:
        steps.append("correct ZEN_API_BASE above to an http:// or https:// address, such as http://127.0.0.1:8000")
    if placeholders:
        steps.append(f"replace the recipe's placeholder in {_names(placeholders)} above")
    if problems.get("ZEN_API_TOKEN") == NOT_SET:
        steps.append("paste your API token into ZEN_API_TOKEN and press Enter")
    if not steps:
        return ""
    first = steps[0][0].upper() + steps[0][1:]
    return "; ".join([first, *steps[1:]]) + f", then click {button}. " + SANDBOX_WAY


def missing_line(missing: list[str]) -> tuple[str, str]:
    """The first line of a form whose environment lacks ``missing``: what is missing, and the ways to fill it."""
    return (
        f"Not set yet: {', '.join(missing)}.",
        "Fill the fields above (or click Use local sandbox), then click Apply. "
        "In a class, type your join code and click Join class instead.",
    )


def timeout_message(base: str, tried: str, seconds: float = CHECK_TIMEOUT) -> str:
    """Said when nothing answered in time: where, how long, and which request."""
    return f"No answer from {base} within {seconds:g} s ({tried})."


def connection_fix() -> str:
    """The form's fix when nothing answers at ZEN_API_BASE (refused, unreachable or silent)."""
    return f"{_AGAIN}. {SANDBOX_WAY}"


STALE = (
    "The values changed since the last result, which no longer applies: click Check connection to test them, "
    "or Apply to use them."
)
