"""Bearer-token authentication for every path under ``/tenants/{tenantId}``.

It runs as middleware, before the body is parsed, so that a request without a valid token is
a 401 whatever its body, and a valid token for another tenant is a 403 on every path.
"""

from __future__ import annotations

from urllib.parse import unquote

from .asgi import ASGIApp, Receive, Scope, Send, header, send_error, state
from .errors import ApiError
from .ids import token_digest
from .store import Store

TOKEN_HINT = "send 'Authorization: Bearer $ZEN_API_TOKEN' with the token of your tenant"


class AuthMiddleware:
    """Resolve the token to its tenant and check it against the tenant in the path."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/tenants/"):
            await self.app(scope, receive, send)
            return
        try:
            tenant = self._authenticate(scope, unquote(path.split("/")[2]))
        except ApiError as error:
            if error.status == 401:
                # RFC 9110 11.6.1 / RFC 6750 3: a 401 names the scheme that would be accepted.
                error.headers.setdefault("WWW-Authenticate", 'Bearer realm="zen-mesh"')
            await send_error(scope, send, error)
            return
        state(scope)["tenant"] = tenant
        await self.app(scope, receive, send)

    def _authenticate(self, scope: Scope, path_tenant: str) -> dict:
        authorization = header(scope, b"authorization")
        if not authorization:
            raise ApiError(401, "unauthenticated", f"no API token was sent; {TOKEN_HINT}")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthenticated", f"the Authorization header is not a bearer token; {TOKEN_HINT}")
        digest = token_digest(token)
        row = self.store.read_one("SELECT id, name, plan FROM tenants WHERE token_sha256 = ?", (digest,))
        if row is None:
            raise ApiError(
                401, "unauthenticated", "the API token is not valid; check ZEN_API_TOKEN (no token is echoed here)"
            )
        state(scope)["token_digest"] = digest
        if row["id"] == path_tenant:
            return dict(row)
        if self.store.read_one("SELECT 1 FROM tenants WHERE id = ?", (path_tenant,)) is None:
            raise ApiError(404, "tenant_not_found", f"tenant '{path_tenant}' does not exist; check ZEN_TENANT_ID")
        raise ApiError(
            403,
            "forbidden",
            f"this API token belongs to another tenant than '{path_tenant}'; "
            "check that ZEN_TENANT_ID and ZEN_API_TOKEN are of the same tenant",
        )
