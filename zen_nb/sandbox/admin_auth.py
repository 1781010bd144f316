"""The sandbox's admin token on a request: as a bearer token, or as the password of HTTP Basic.

Bearer is what scripts and the kit send. A browser cannot be told to send a bearer token, but
it asks for a user name and password when a page answers 401 with a ``Basic`` challenge: so the
class board (``/_sandbox/class``) takes the admin token as the password (any user name), and a
trainer opens it by its URL. Tokens are compared in constant time, and never echoed.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import Request

from .errors import ApiError

ADMIN_HINT = "send 'Authorization: Bearer <admin token>': the admin token that the sandbox printed when it started"
# RFC 9110 11.6.1 / RFC 6750 3: a 401 names the scheme that would be accepted.
BEARER_CHALLENGE = 'Bearer realm="zen-nb-sandbox"'
# RFC 7617: a browser shows its login prompt for this, and then sends the password on every reload.
BASIC_CHALLENGE = 'Basic realm="zen-nb class", charset="UTF-8"'


def presented_bearer(request: Request) -> str:
    """The token of an ``Authorization: Bearer ...`` header, or "" when there is none."""
    scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def presented_basic_password(request: Request) -> str:
    """The password of an ``Authorization: Basic ...`` header (the user name is ignored), or ""."""
    scheme, _, encoded = (request.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, or not UTF-8 (UnicodeDecodeError is a ValueError)
        return ""
    return decoded.partition(":")[2]


def is_admin_token(request: Request, token: str) -> bool:
    """Whether ``token`` is this sandbox's admin token (in constant time; "" never is)."""
    expected: str = request.app.state.admin_token
    return bool(token) and hmac.compare_digest(token.encode(), expected.encode())


def require_admin(request: Request) -> None:
    """401 unless the request carries the admin token as a bearer token."""
    if not is_admin_token(request, presented_bearer(request)):
        raise ApiError(
            401,
            "unauthenticated",
            f"this path needs the sandbox's admin token; {ADMIN_HINT}",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )


def require_admin_or_basic(request: Request) -> None:
    """401 with a Basic challenge unless the request carries the admin token, as bearer or Basic password."""
    presented = (presented_bearer(request), presented_basic_password(request))
    if not any(is_admin_token(request, token) for token in presented):
        raise ApiError(
            401,
            "unauthenticated",
            "the class board needs the sandbox's admin token: in a browser, give it as the password "
            f"(any user name); or {ADMIN_HINT}",
            headers={"WWW-Authenticate": BASIC_CHALLENGE},
        )
