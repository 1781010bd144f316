"""``zen_nb.exercises``: a training session's exercises, each checked in a trainee's cell.

    from zen_nb import exercises
    exercises.names()                    # in the order of the session
    exercises.prepare("retry-the-failing-flow")   # the material an exercise starts from
    exercises.check("create-a-flow")     # ✓ flow 'invoice-claims' exists and targets dest_stripe_prod_us_east_1

The sandbox evaluates each check on the caller's own tenant (the rule that the trainer's board
shows too), so a check here is one request with the trainee's ``ZEN_*``: nothing is judged in the
kernel, and no solution is ever in the answer. A check that fails is a result, not an error: the
cell shows what is missing and a hint. Its text is exactly the sandbox's message, with no time in
it, so a notebook saved after a check shows the same output on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from . import exercise_catalog
from .class_api import CLASS_PATH, is_missing_surface, no_class_error
from .class_html import result_html
from .config import ZenConfig
from .errors import UnknownExercise, ZenAPIError, ZenConfigError
from .hints import SANDBOX_COMMAND, code
from .transport import Transport

JOIN = 'zen_nb.join("CODE")'
_NAMES_CALL = "zen_nb.exercises.names()"
_NO_CLASS_FIX = (
    "Exercises are checked by the zen_nb sandbox, not by the real Zen Mesh service: point ZEN_API_BASE at your "
    f"class's sandbox (join it with {code(JOIN)} and the code your trainer gave), or at a sandbox of your own "
    f"({code(SANDBOX_COMMAND)} in a terminal)."
)


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The sandbox's verdict on one exercise for your tenant. Its repr is the message (and the hint)."""

    exercise: str
    passed: bool
    message: str
    hint: str | None
    passed_at: datetime | None  # when it first passed (it stays passed after), None if never
    checks: int  # how many times this tenant has checked it, this one included

    def __repr__(self) -> str:
        if self.passed or not self.hint:
            return self.message
        return f"{self.message}\nHint: {self.hint}"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        hint = [("Hint", self.hint)] if self.hint and not self.passed else []
        return result_html(self.passed, self.message, hint)


@dataclass(frozen=True, repr=False)
class PrepareResult:
    """What ``prepare`` did: ``prepared`` is False when the material was there already (or none is needed)."""

    exercise: str
    prepared: bool
    message: str

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return result_html(True, self.message)


def names() -> list[str]:
    """The exercises' names, in the order of the session (no sandbox needed)."""
    return exercise_catalog.names()


def task(name: str) -> str:
    """What an exercise asks, as the trainee reads it."""
    return _exercise(name).task


def check(name: str, *, config: ZenConfig | None = None) -> CheckResult:
    """Check one exercise on your tenant (``ZEN_*``, or ``config``): passed or not, with what was found.

    A name that is no exercise raises :class:`~zen_nb.errors.UnknownExercise` (a ``ValueError``)
    before any request. A failed check does not raise: the result says what is missing.
    """
    exercise = _exercise(name)
    body = _call(exercise.name, "check", config)
    return CheckResult(
        exercise=str(body.get("exercise") or exercise.name),
        passed=bool(body.get("passed")),
        message=str(body.get("message") or ""),
        hint=body.get("hint") or None,
        passed_at=_moment(body.get("passedAt")),
        checks=int(body.get("checks") or 0),
    )


def prepare(name: str, *, config: ZenConfig | None = None) -> PrepareResult:
    """Put an exercise's starting material on your tenant; a second call changes nothing."""
    exercise = _exercise(name)
    body = _call(exercise.name, "prepare", config)
    return PrepareResult(
        exercise=str(body.get("exercise") or exercise.name),
        prepared=bool(body.get("prepared")),
        message=str(body.get("message") or ""),
    )


def _exercise(name: str) -> exercise_catalog.Exercise:
    found = exercise_catalog.BY_NAME.get(name) if isinstance(name, str) else None
    if found is None:
        raise UnknownExercise(
            exercise_catalog.unknown_exercise_text(name),
            fix=f"Use one of these names, spelt as listed: {code(_NAMES_CALL)} lists them in the order of the session.",
        )
    return found


def _call(name: str, action: str, config: ZenConfig | None) -> dict[str, Any]:
    """POST ``/_sandbox/class/exercises/{name}/{action}`` with the tenant's token; its JSON answer."""
    try:
        config = config if config is not None else ZenConfig()
    except ZenConfigError as error:
        error.fix += f" In a class, join it first: {code(JOIN)} with the code your trainer gave sets all five."
        raise
    http = Transport(config)
    try:
        body = http.request("POST", f"{CLASS_PATH}/exercises/{quote(name, safe='')}/{action}", under_tenant=False)
    except ZenAPIError as error:
        if is_missing_surface(error):
            raise no_class_error(config.api_base, "it checks no exercises", _NO_CLASS_FIX) from None
        raise
    finally:
        http.close()
    if not isinstance(body, dict):
        raise no_class_error(config.api_base, f"its answer to a {action} is not an exercise's", _NO_CLASS_FIX)
    return body


def _moment(value: Any) -> datetime | None:
    """A timestamp of the sandbox (ISO 8601, ``Z``) as an aware UTC datetime."""
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
