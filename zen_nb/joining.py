"""``zen_nb.join("K7QM-3XPD")``: a trainee's one step into a class, with the join code the trainer gave.

The class sandbox answers a join code with the trainee's own tenant and token; this sets the five
``ZEN_*`` variables for them, so that every recipe and client call of the session works as it is.
The token goes straight into the environment: it is never printed, returned, or in a repr or an
error, and neither is the code (a code is a key to a tenant until the trainer revokes it).

A code is checked here before it is sent (8 symbols of Crockford's base32 once dashes and spaces
are dropped, as the sandbox reads it): a typo then costs nothing, where every wrong code the
sandbox sees counts towards its limit of 10 a minute, which a whole room behind one address shares.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from . import class_api
from .class_api import CLASS_PATH
from .class_html import result_html
from .config import ZenConfig
from .errors import (
    BadRequestError,
    JoinCodeInvalid,
    JoinCodeNotFound,
    RateLimitedError,
    ZenAPIError,
    ZenConnectionError,
)
from .hints import code

# Crockford's base32: no I, L, O or U, so that a code read out or written on a board is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_SHAPE = "8 letters and digits, shown as XXXX-XXXX (such as K7QM-3XPD)"

_INVALID_FIX = (
    "Copy the code your trainer gave, letter by letter (O and 0 count as the same, and so do I, L and 1), "
    "then join again."
)

JOIN_WITH_ADDRESS = 'zen_nb.join("CODE", "http://HOST:PORT")'
ADDRESS_FIX = (
    f"Pass the class's address, which your trainer gives with the codes: {code(JOIN_WITH_ADDRESS)} "
    "with your code and that address; or set ZEN_API_BASE to it in the shell that starts Jupyter."
)


@dataclass(frozen=True)
class Joined:
    """Who joined, and where: the values set in the environment, but the token (set, never kept here)."""

    trainee: str
    tenant_id: str
    plane_id: str
    adapter_id: str
    api_base: str

    def __repr__(self) -> str:
        return (
            f"Joined the class as {self.trainee}: tenant {self.tenant_id}, plane {self.plane_id} on "
            f"{self.api_base} (token set, not shown)"
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return result_html(True, repr(self))


def normalise_code(text: str) -> str | None:
    """The 8 symbols of a join code as typed (case, dashes, spaces and look-alikes forgiven), or None."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(cleaned) == CODE_LENGTH and all(symbol in CODE_ALPHABET for symbol in cleaned):
        return cleaned
    return None


def join(code: str, api_base: str | None = None, *, environ: MutableMapping[str, str] | None = None) -> Joined:
    """Join a class with ``code`` and set the five ``ZEN_*`` of ``environ`` (``os.environ``) to your tenant.

    The class is at ``api_base``, else at ``ZEN_API_BASE``, else a sandbox on this machine. A wrong
    code raises :class:`~zen_nb.errors.JoinCodeNotFound`, a revoked one
    :class:`~zen_nb.errors.JoinCodeRevoked`, too many wrong ones from your network
    :class:`~zen_nb.errors.RateLimitedError` (its fix says how long to wait), text that is no code
    :class:`~zen_nb.errors.JoinCodeInvalid` (before anything is sent). Nothing is set unless the join works.
    """
    target = os.environ if environ is None else environ
    symbols = _symbols(code)
    base = class_api.class_base(api_base, target, fix=ADDRESS_FIX)
    answer = _post_join(base, symbols)
    config = ZenConfig(
        api_base=base,
        api_token=str(answer.get("token") or ""),
        tenant_id=str(answer.get("tenantId") or ""),
        plane_id=str(answer.get("planeId") or ""),
        adapter_id=str(answer.get("adapterId") or ""),
        environ={},
    )
    target.update(config.as_env())
    return Joined(
        trainee=str(answer.get("trainee") or ""),
        tenant_id=config.tenant_id,
        plane_id=config.plane_id,
        adapter_id=config.adapter_id,
        api_base=base,
    )


def _symbols(text: Any) -> str:
    """The code's 8 symbols, or :class:`JoinCodeInvalid` saying what a code looks like, never what was given."""
    if not isinstance(text, str):
        raise JoinCodeInvalid(
            f"a join code is text, {CODE_SHAPE}; got {type(text).__name__}",
            fix="Pass the code as text, in quotes.",
        )
    symbols = normalise_code(text)
    if symbols is not None:
        return symbols
    cleaned = "".join(text.split()).replace("-", "")
    if not cleaned:
        problem = "it is empty"
    elif len(cleaned) != CODE_LENGTH:
        problem = f"the text given has {len(cleaned)} characters besides dashes and spaces, not {CODE_LENGTH}"
    else:
        problem = "the text given has a character that no join code has"
    raise JoinCodeInvalid(f"that is not a join code: a join code is {CODE_SHAPE}; {problem}", fix=_INVALID_FIX)


def _post_join(base: str, symbols: str) -> Mapping[str, Any]:
    """POST the code; the sandbox's answer, or the typed error with a fix for a trainee."""
    http = class_api.transport(base, retry=class_api.retry_but_not_when_limited())
    try:
        answer = http.request("POST", f"{CLASS_PATH}/join", body={"code": symbols}, under_tenant=False)
    except ZenConnectionError as error:
        raise ZenConnectionError(
            error.message,
            fix=f"Nothing answers at {base}: check the class's address with your trainer (their "
            f"{class_api.class_command()} must be running), then {code(JOIN_WITH_ADDRESS)} with that address.",
        ) from None
    except ZenAPIError as error:
        raise _for_a_trainee(error, base) from None
    finally:
        http.close()
    if not isinstance(answer, Mapping):
        raise class_api.no_class_error(base, "its answer to a join is not a trainee's tenant", ADDRESS_FIX)
    return answer


def _for_a_trainee(error: ZenAPIError, base: str) -> Exception:
    """The error of a refused join, with what a trainee does about it."""
    if class_api.is_missing_surface(error):
        return class_api.no_class_error(base, "it hands out no join codes", ADDRESS_FIX)
    if isinstance(error, RateLimitedError):
        wait = f"{error.retry_after:.0f} s" if error.retry_after is not None else "a minute"
        error.fix = (
            f"Too many wrong join codes came from your network in the last minute: wait {wait}, then join again "
            "with your code exactly as your trainer gave it (each wrong code counts, for everyone on your network)."
        )
        return error
    if isinstance(error, JoinCodeNotFound):
        # A right code sent to the wrong sandbox (the trainee's own, from ZEN_API_BASE) is not found either.
        error.fix += (
            f" The class asked is the one at {base}: if your trainer's runs elsewhere, join with its address, "
            f"{code(JOIN_WITH_ADDRESS)}."
        )
        return error
    if isinstance(error, BadRequestError) and error.field == "code":
        invalid = JoinCodeInvalid(error.message, fix=_INVALID_FIX)
        invalid.status, invalid.code, invalid.field, invalid.request_id = 400, error.code, "code", error.request_id
        return invalid
    return error
