"""The errors of zen_nb: one hierarchy under :class:`ZenError`, each message saying what to do.

API errors are chosen by HTTP status (``NotFoundError`` for any 404) and, where the API says
more, by its code (``PlaneNotFound``, ``FlowNameConflict``...), so ``except NotFoundError``
and ``except PlaneNotFound`` both work. Every error carries ``status``, ``code``, ``message``,
``field`` and ``request_id``. In IPython an error shows as one short block (the problem, the
fix, the request id) instead of a traceback through this package.
"""

from __future__ import annotations

from typing import Any


class ZenError(Exception):
    """The root of every error zen_nb raises."""

    status: int | None = None
    code: str | None = None

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.field: str | None = None
        self.request_id: str | None = None

    def __str__(self) -> str:
        return f"{self.message}\nFix: {self.fix}" if self.fix else self.message

    def _details(self) -> list[str]:
        details = [
            f"HTTP {self.status}" if self.status else "",
            self.code or "",
            f"field {self.field}" if self.field else "",
        ]
        details.append(f"request id {self.request_id}" if self.request_id else "")
        return [detail for detail in details if detail]

    def _repr_html_(self) -> str:
        """How an error object shows when it is a cell's value (e.g. in a form's result area)."""
        from .display import error_html

        return error_html(type(self).__name__, self.message, self.fix, self._details())

    def _render_traceback_(self) -> list[str]:
        """IPython shows these lines instead of a traceback through zen_nb's internals."""
        lines = [f"{type(self).__name__}: {self.message}"]
        if self.fix:
            lines.append(f"  Fix: {self.fix}")
        if self._details():
            lines.append("  (" + ", ".join(self._details()) + ")")
        return lines

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """An error shown as plain text (a console, a text-only front end) keeps its fix and details."""
        printer.text("\n".join(self._render_traceback_()))


class ZenConfigError(ZenError):
    """The ``ZEN_*`` configuration is missing or not usable.

    ``problems`` maps each variable at fault to what is wrong with it ("not set"...), so that a form
    can mark those fields and say "fill them above" where a terminal's fix says ``export``.
    """

    def __init__(self, message: str, *, fix: str = "", problems: dict[str, str] | None = None) -> None:
        super().__init__(message, fix=fix)
        self.problems: dict[str, str] = dict(problems or {})


class NoClassSandbox(ZenConfigError):
    """The address is not a zen_nb class sandbox: it has no ``/_sandbox/class/...`` (joins, checks, progress)."""


class FormNotSupported(ZenError):
    """The call is not in the form of the API this client speaks (e.g. fan-out or adapters on v1): the
    message names the other form (``ZenClient(dialect=...)``, or ``ZEN_API_BASE`` with or without ``/v1``)."""


class ZenConnectionError(ZenError):
    """Nothing answered at ``ZEN_API_BASE`` (refused, unreachable, or timed out)."""

    #: whether the server took the connection (a lost answer, a read time-out) rather than nothing
    #: listening: such a request may have been carried out, and calling again may work at once.
    reached: bool = False


class ZenTimeoutError(ZenConnectionError):
    """The API took the request but sent no answer within the client's read time-out.

    The service is up, only slow: the request may have been carried out, so a create is called
    again with the same ``idempotency_key=``; or the client is given longer (``timeout=``).
    """

    reached = True


class ZenAPIError(ZenError):
    """The API answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        field: str | None = None,
        request_id: str | None = None,
        fix: str = "",
        body: Any = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.status = status
        self.code = code
        self.field = field
        self.request_id = request_id
        self.body = body


class BadRequestError(ZenAPIError):
    """400 (or the v1 pages' 422 ``invalid-parameters``): a field is missing, of the wrong type, or breaks a rule."""


class UnauthorizedError(ZenAPIError):
    """401: no token, or a token that is not valid."""


class ForbiddenError(ZenAPIError):
    """403: the token is of another tenant, or the plan does not have the feature."""


class NotFoundError(ZenAPIError):
    """404: the tenant, plane, ingester, target, flow or path does not exist."""


class ConflictError(ZenAPIError):
    """409: a name is taken, a target is in use, or an idempotency key is in flight."""


class PayloadTooLargeError(ZenAPIError):
    """413: the request body is over 1 MiB."""


class IdempotencyKeyReusedError(ZenAPIError):
    """422 (409 on the v1 form) ``idempotency_key_reused``: an ``Idempotency-Key`` was reused with another request."""


class RateLimitedError(ZenAPIError):
    """429: over the rate limit, even after waiting as told."""

    retry_after: float | None = None


class GoneError(ZenAPIError):
    """410: the thing existed and was withdrawn for good (a join code the trainer revoked)."""


class ServerError(ZenAPIError):
    """5xx: a fault of the server, even after retries."""


class PlaneNotFound(NotFoundError):
    """404 ``plane_not_found``."""


class IngesterNotFound(NotFoundError):
    """404 ``ingester_not_found``: the flow's source does not exist on the plane."""


class TargetNotFound(NotFoundError):
    """404 ``target_not_found``."""


class FlowNotFound(NotFoundError):
    """404 ``flow_not_found``."""


class TenantNotFound(NotFoundError):
    """404 ``tenant_not_found``."""


class JoinCodeNotFound(NotFoundError):
    """404 ``join_code_not_found``: no trainee of the class has this join code (a typo, or another class's)."""


class JoinCodeRevoked(GoneError):
    """410 ``join_code_revoked``: the trainer revoked this join code; they can give a new one."""


class ExerciseNotFound(NotFoundError):
    """404 ``exercise_not_found``: the class sandbox knows no exercise of this name."""


class JoinCodeInvalid(ZenError, ValueError):
    """The text is not a join code (8 letters and digits, ``XXXX-XXXX``): refused before it is sent, so a
    typo does not count towards the class's limit of wrong codes (or, with ``status`` 400, by the sandbox)."""


class UnknownExercise(ZenError, ValueError):
    """The name is no exercise of the session: refused before any request (the message lists the names)."""


class FlowNameConflict(ConflictError):
    """409 ``flow_name_conflict``: names are unique per plane."""


class TargetNameConflict(ConflictError):
    """409 ``target_name_conflict``."""


class TargetInUse(ConflictError):
    """409 ``target_in_use``: a flow still delivers to the target."""


class TargetTypeMismatch(BadRequestError):
    """400 ``target_type_mismatch``: the flow's ``target.type`` is not the target's type."""


class PlanUpgradeRequired(ForbiddenError):
    """403 ``plan_upgrade_required``: fan-out needs the Business+ plan."""


BY_STATUS: dict[int, type[ZenAPIError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: PayloadTooLargeError,
    422: IdempotencyKeyReusedError,
    429: RateLimitedError,
}

BY_CODE: dict[str, type[ZenAPIError]] = {
    "plane_not_found": PlaneNotFound,
    "ingester_not_found": IngesterNotFound,
    "target_not_found": TargetNotFound,
    "flow_not_found": FlowNotFound,
    "tenant_not_found": TenantNotFound,
    "flow_name_conflict": FlowNameConflict,
    "target_name_conflict": TargetNameConflict,
    "target_in_use": TargetInUse,
    "target_type_mismatch": TargetTypeMismatch,
    "plan_upgrade_required": PlanUpgradeRequired,
    "join_code_not_found": JoinCodeNotFound,
    "join_code_revoked": JoinCodeRevoked,
    "exercise_not_found": ExerciseNotFound,
}


def error_class(status: int, code: str | None) -> type[ZenAPIError]:
    """The most specific class for a status and code; the status decides when the code is unknown."""
    if code in ("idempotency_key_reused", "idempotency_conflict") and status in (409, 422):
        return IdempotencyKeyReusedError  # 422 on the recipe form, 409 on v1: the same mistake
    if status == 422 and code is not None:
        return BadRequestError  # the v1 pages' 422 is a validation error ("invalid-parameters")
    by_status = BY_STATUS.get(status) or (ServerError if status >= 500 else ZenAPIError)
    by_code = BY_CODE.get(code or "")
    return by_code if by_code is not None and issubclass(by_code, by_status) else by_status
