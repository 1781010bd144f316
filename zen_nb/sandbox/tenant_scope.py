"""Whose data a ``/_sandbox/`` call that a tenant may make acts on: simulated traffic, the delivery clock.

Those paths take the sandbox's admin token (any tenant, named by ``tenantId``) or a tenant's own
API token (its own tenant only), so that a training room's notebooks can use them without the
admin token. Tokens are compared, never echoed.
"""

from __future__ import annotations

from fastapi import Request

from .admin_auth import ADMIN_HINT, BEARER_CHALLENGE, is_admin_token, presented_bearer
from .data import NotFound, Store
from .data.tenants import tenant_by_token, tenant_exists
from .errors import ApiError
from .ids import token_digest


def acting_tenant(request: Request, store: Store, asked: str | None, doing: str) -> str | None:
    """The tenant the call acts on: with the admin token ``asked`` (which must exist), or None for
    every tenant when none is asked; with a tenant's token, its own (``asked`` must be it or absent).

    ``doing`` names the call in errors ("simulating traffic", "advancing the delivery clock").
    """
    token = presented_bearer(request)
    if is_admin_token(request, token):
        if asked is not None:
            with store.snapshot() as db:
                if not tenant_exists(db, asked):
                    raise NotFound("tenant", asked, field="tenantId")
        return asked
    tenant = None
    if token:
        with store.snapshot() as db:
            tenant = tenant_by_token(db, token_digest(token))
    if tenant is None:
        raise ApiError(
            401,
            "unauthenticated",
            f"{doing} needs a tenant's API token or the admin token; {ADMIN_HINT}",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    if asked is not None and asked != tenant.id:
        raise ApiError(
            403,
            "forbidden",
            f"a tenant's token is for its own tenant only: leave tenantId out (or send '{tenant.id}') for "
            f"{doing} on your own tenant, or send the sandbox's admin token to act on tenant '{asked}'",
            field="tenantId",
        )
    return tenant.id
