"""Bearer-token authentication for every path under ``/tenants/{tenantId}``.

It runs as middleware, before the body is parsed, so that a request without a valid token is
a 401 whatever its body, and a valid token for another tenant is a 403 on every path. The
token's lookup is a point read, answered on the event loop by :func:`~.reads.read_now`: in WAL
mode it never waits for a write, and a read that would wait for a lock goes to a worker
thread, so the loop (with ``/health`` and every other request) is never stalled by one.
"""

from __future__ import annotations

import sqlite3

from ..vocabulary import ENV_API_TOKEN, ENV_TENANT_ID
from .asgi import ASGIApp, Receive, Scope, Send, header, send_error, state
from .data import Store
from .data.tenants import Tenant, tenant_by_token, tenant_exists
from .errors import ApiError
from .ids import token_digest
from .paths import path_segments
from .reads import read_now

TOKEN_HINT = f"send 'Authorization: Bearer ${ENV_API_TOKEN}' with the token of your tenant"


class AuthMiddleware:
    """Resolve the token to its tenant and check it against the tenant in the path."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        segments = path_segments(scope) if scope["type"] == "http" else []
        if len(segments) < 2 or segments[0] != "tenants":
            await self.app(scope, receive, send)
            return
        try:
            digest = token_digest(bearer_token(header(scope, b"authorization")))
            tenant = await read_now(self.store, lambda db: authenticate(db, digest, segments[1]))
        except ApiError as error:
            if error.status == 401:
                # RFC 9110 11.6.1 / RFC 6750 3: a 401 names the scheme that would be accepted.
                error.headers.setdefault("WWW-Authenticate", 'Bearer realm="zen-mesh"')
            await send_error(scope, send, error)
            return
        state(scope)["token_digest"] = digest
        state(scope)["tenant"] = tenant
        await self.app(scope, receive, send)


def authenticate(db: sqlite3.Connection, digest: str, path_tenant: str) -> Tenant:
    """The tenant of the token with this digest, if it is the path's; else the 401, 404 or 403
    that says why not."""
    tenant = tenant_by_token(db, digest)
    if tenant is None:
        raise ApiError(
            401,
            "unauthenticated",
            f"the API token is not valid; check {ENV_API_TOKEN} (no token is echoed here)",
        )
    if tenant.id == path_tenant:
        return tenant
    if not tenant_exists(db, path_tenant):
        raise ApiError(404, "tenant_not_found", f"tenant '{path_tenant}' does not exist; check {ENV_TENANT_ID}")
    raise ApiError(
        403,
        "forbidden",
        f"this API token belongs to another tenant than '{path_tenant}'; "
        f"check that {ENV_TENANT_ID} and {ENV_API_TOKEN} are of the same tenant",
    )


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer ...`` header; a 401 that says what is wrong otherwise."""
    if not authorization:
        raise ApiError(401, "unauthenticated", f"no API token was sent; {TOKEN_HINT}")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthenticated", f"the Authorization header is not a bearer token; {TOKEN_HINT}")
    return token
