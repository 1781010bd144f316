"""Token authentication for every path under ``/tenants/{tenantId}`` and ``/v1/tenants/{tenantId}``.

It runs as middleware, before the body is parsed, so that a request without a valid token is
a 401 whatever its body, and a valid token for another tenant is a 403 on every path. The
token's lookup is a point read, answered on the event loop by :func:`~.reads.read_now`: in WAL
mode it never waits for a write, and a read that would wait for a lock goes to a worker
thread, so the loop (with ``/health`` and every other request) is never stalled by one.

A token may come as ``Authorization: Bearer <token>`` or as ``X-API-Key: <token>`` (the vendor's
authentication page documents both; one token, either header, on both forms of the API). A
request that carries both with different tokens is refused (401 ``ambiguous_credentials``)
rather than served as one of them: a client that sends two credentials has a mix-up (a stale
variable, a proxy that adds a header), and picking one would act as a tenant the caller may not
mean, where a refusal names the mix-up. The same token in both is fine.

The token is read once per request, by :func:`credentials`: the rate limit, which runs first,
counts a request by whose token it carries (``rate_limit.py``), and this middleware then
checks the same answer against the path, without a second lookup.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ..vocabulary import ENV_API_TOKEN, ENV_TENANT_ID
from .asgi import ASGIApp, Receive, Scope, Send, header, send_error, state
from .data import Store
from .data.tenants import Tenant, tenant_by_token, tenant_exists
from .errors import ApiError
from .ids import token_digest
from .paths import path_segments
from .reads import read_now

TOKEN_HINT = (
    f"send 'Authorization: Bearer ${ENV_API_TOKEN}' (or 'X-API-Key: ${ENV_API_TOKEN}') with the token of your tenant"
)
V1_PREFIX = "v1"  # the first path segment of the vendor's versioned API (``/v1/tenants/...``)
_CREDENTIALS = "credentials"  # where a request's Credentials are kept in its state


@dataclass(frozen=True)
class Credentials:
    """What a request's ``Authorization`` header proves: read once per request, never its token.

    ``digest`` is the SHA-256 of the bearer token (None when the header holds no bearer token,
    and then ``missing`` is the 401 that says why); ``tenant`` is the tenant whose token it is,
    None when it is no tenant's.
    """

    digest: str | None
    tenant: Tenant | None
    missing: ApiError | None


def path_tenant(scope: Scope) -> str | None:
    """The tenant id of a ``/tenants/{tenantId}/...`` or ``/v1/tenants/{tenantId}/...`` path, or None
    for every other path."""
    segments = path_segments(scope) if scope["type"] == "http" else []
    if segments[:1] == [V1_PREFIX]:
        segments = segments[1:]
    return segments[1] if len(segments) >= 2 and segments[0] == "tenants" else None


def presented_digest(scope: Scope) -> tuple[str | None, ApiError | None]:
    """The digest of the request's token; or None and the 401 that says what is wrong.

    The ``Authorization`` header is normalised by :func:`bearer_token` first, so that every
    spelling of one token (``bearer``, ``BEARER``, extra spaces) is one digest; ``X-API-Key``
    holds the token alone (surrounding spaces dropped).
    """
    try:
        return token_digest(presented_token(header(scope, b"authorization"), header(scope, b"x-api-key"))), None
    except ApiError as error:
        return None, error


def presented_token(authorization: str | None, api_key: str | None) -> str:
    """The token of a request from its ``Authorization`` and ``X-API-Key`` headers (see the module's
    docstring for both); a 401 that says what is wrong otherwise."""
    key = api_key.strip() if api_key is not None else None
    if key is not None and not key:
        raise ApiError(401, "unauthenticated", f"the X-API-Key header is empty; {TOKEN_HINT}")
    if authorization is None and key is not None:
        return key
    token = bearer_token(authorization)
    if key is not None and not hmac.compare_digest(token.encode(), key.encode()):
        raise ApiError(
            401,
            "ambiguous_credentials",
            "the request carries two different tokens, one in Authorization and one in X-API-Key "
            f"(neither is echoed here); send one of them: 'Authorization: Bearer ${ENV_API_TOKEN}'",
        )
    return token


async def credentials(scope: Scope, store: Store) -> Credentials:
    """The request's :class:`Credentials`, looked up on its first call and kept in its state."""
    found: Credentials | None = state(scope).get(_CREDENTIALS)
    if found is None:
        digest, missing = presented_digest(scope)
        tenant = None
        if digest is not None:
            tenant = await read_now(store, lambda db: tenant_by_token(db, digest))
        found = Credentials(digest, tenant, missing)
        state(scope)[_CREDENTIALS] = found
    return found


class AuthMiddleware:
    """Resolve the token to its tenant and check it against the tenant in the path."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = path_tenant(scope)
        if wanted is None:
            await self.app(scope, receive, send)
            return
        found = await credentials(scope, self.store)
        try:
            tenant = await self._authorize(found, wanted)
        except ApiError as error:
            if error.status == 401:
                # RFC 9110 11.6.1 / RFC 6750 3: a 401 names the scheme that would be accepted.
                error.headers.setdefault("WWW-Authenticate", 'Bearer realm="zen-mesh"')
            await send_error(scope, send, error)
            return
        state(scope)["token_digest"] = found.digest
        state(scope)["tenant"] = tenant
        await self.app(scope, receive, send)

    async def _authorize(self, found: Credentials, wanted: str) -> Tenant:
        """The tenant of the token, if it is the path's; else the 401, 404 or 403 that says why not."""
        if found.missing is not None:
            raise found.missing
        if found.tenant is None:
            raise ApiError(
                401,
                "unauthenticated",
                f"the API token is not valid; check {ENV_API_TOKEN} (no token is echoed here)",
            )
        if found.tenant.id == wanted:
            return found.tenant
        if not await read_now(self.store, lambda db: tenant_exists(db, wanted)):
            raise ApiError(404, "tenant_not_found", f"tenant '{wanted}' does not exist; check {ENV_TENANT_ID}")
        raise ApiError(
            403,
            "forbidden",
            f"this API token belongs to another tenant than '{wanted}'; "
            f"check that {ENV_TENANT_ID} and {ENV_API_TOKEN} are of the same tenant",
        )


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer ...`` header; a 401 that says what is wrong otherwise."""
    if not authorization:
        raise ApiError(401, "unauthenticated", f"no API token was sent; {TOKEN_HINT}")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthenticated", f"the Authorization header is not a bearer token; {TOKEN_HINT}")
    return token
