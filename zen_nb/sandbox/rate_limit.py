"""Rate limiting in fixed windows, counted per caller, with the contract's ``X-RateLimit-*`` headers.

A caller is who the request proves to be, never how it spells its header: a tenant's token
(by digest, after :func:`~.auth.bearer_token` has read ``bearer``, ``BEARER`` and extra spaces
alike), on any path (the class's exercise checks take one outside ``/tenants/``); the admin
token, as its own caller; and every other request (no token, a wrong one) is counted against
its client's address, so that failed authentications are
limited too: a flood of wrong tokens meets 429s past the limit, as everyone else does.
Addresses are counted by network for IPv6 (a /64, which one host commonly holds whole), by
address for IPv4.

Memory stays bounded: the counts are of the current window only, and at most
:data:`MAX_CALLERS` addresses are told apart within one; past that, new addresses share one
count (tokens are always counted apart: there are only as many as tenants, so a flood from
many addresses never locks a tenant out).
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import threading
import time
from collections.abc import Callable

from ..vocabulary import ENV_API_TOKEN
from .asgi import ASGIApp, Receive, Scope, Send, send_error, state
from .auth import credentials, path_tenant, presented_digest
from .data import Store
from .errors import ApiError
from .ids import token_digest

MAX_CALLERS = 10_000
SHARED = "shared"  # the count of the callers beyond MAX_CALLERS in one window


class RateLimiter:
    """Count requests per caller in fixed windows of ``window_seconds``, aligned on Unix time."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        max_callers: int = MAX_CALLERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a window > 0 seconds")
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_callers = max_callers
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = -math.inf
        self._counts: dict[str, int] = {}

    def hit(self, caller: str, may_share: bool = True) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, window end as Unix time).

        A caller that ``may_share`` is counted with the others past :attr:`max_callers`; one that
        may not (a token: there are only as many as tenants) is always counted on its own.
        """
        now = self._clock()
        start = now - (now % self.window_seconds)
        with self._lock:
            if start != self._window_start:  # a new window: every count so far is of an old one
                self._window_start = start
                self._counts.clear()
            if may_share and caller not in self._counts and len(self._counts) >= self.max_callers:
                caller = SHARED
            count = self._counts.get(caller, 0) + 1
            self._counts[caller] = count
        return count <= self.limit, max(self.limit - count, 0), start + self.window_seconds

    def peek(self, caller: str) -> tuple[int, float]:
        """How many requests ``caller`` made in the current window, and when it ends, without counting one."""
        now = self._clock()
        start = now - (now % self.window_seconds)
        with self._lock:
            if start != self._window_start:
                return 0, start + self.window_seconds
            if caller not in self._counts and len(self._counts) >= self.max_callers:
                caller = SHARED
            return self._counts.get(caller, 0), start + self.window_seconds

    def clear(self) -> None:
        """Forget every count of the current window."""
        with self._lock:
            self._counts.clear()

    def retry_after(self, reset_at: float) -> int:
        """Whole seconds until the window that ends at ``reset_at`` is over (at least 1): ``Retry-After``."""
        return max(1, math.ceil(reset_at - self._clock()))

    @property
    def callers(self) -> int:
        """How many callers the current window tells apart (what the limiter holds in memory)."""
        with self._lock:
            return len(self._counts)


def client_network(scope: Scope) -> str:
    """The client's address as the limiter counts it: an IPv4 address, or the /64 of an IPv6 one."""
    host = str((scope.get("client") or ("unknown",))[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimitMiddleware:
    """Answer 429 ``rate_limited`` with ``Retry-After`` past the limit; put the headers on every response."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, store: Store, admin_token: str) -> None:
        self.app = app
        self.limiter = limiter
        self.store = store
        self._admin_digest = token_digest(admin_token)

    async def caller(self, scope: Scope) -> str:
        """Whom this request is counted against (see the module's docstring)."""
        digest, _ = presented_digest(scope)
        if digest is not None and hmac.compare_digest(digest, self._admin_digest):
            return "admin"
        if digest is not None or path_tenant(scope) is not None:
            # A tenant's token counts on its own everywhere (/_sandbox/class/... and /_sandbox/simulate take
            # one too): a room behind one address, or a JupyterHub on this machine, is not one caller.
            found = await credentials(scope, self.store)
            if found.tenant is not None and found.digest is not None:
                return "token:" + found.digest
        return "addr:" + client_network(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        caller = await self.caller(scope)
        by_address = caller.startswith("addr:")
        allowed, remaining, reset_at = self.limiter.hit(caller, may_share=by_address)
        state(scope)["rate_limit_headers"] = [
            (b"x-ratelimit-limit", str(self.limiter.limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(reset_at)).encode()),
        ]
        if allowed:
            await self.app(scope, receive, send)
            return
        retry_after = self.limiter.retry_after(reset_at)
        whose = (
            "from this address (requests without a valid token count per address)" if by_address else "with this token"
        )
        fix = f"check {ENV_API_TOKEN}, then retry" if by_address and path_tenant(scope) is not None else "retry"
        await send_error(
            scope,
            send,
            ApiError(
                429,
                "rate_limited",
                f"too many requests {whose}: the limit is {self.limiter.limit} per "
                f"{self.limiter.window_seconds:g} s; {fix} after {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            ),
        )
