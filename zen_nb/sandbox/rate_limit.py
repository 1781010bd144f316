"""Rate limiting per API token in fixed windows, with the contract's ``X-RateLimit-*`` headers."""

from __future__ import annotations

import hashlib
import math
import threading
import time

from .asgi import ASGIApp, Receive, Scope, Send, header, send_error, state
from .errors import ApiError


class RateLimiter:
    """Count requests per caller in fixed windows of ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a window > 0 seconds")
        self.limit = limit
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, caller: str) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, window end as Unix time)."""
        now = time.time()
        start = now - (now % self.window_seconds)
        with self._lock:
            window_start, count = self._windows.get(caller, (start, 0))
            if window_start != start:
                window_start, count = start, 0
                if len(self._windows) > 10_000:  # forget callers of old windows
                    self._windows = {k: v for k, v in self._windows.items() if v[0] == start}
            count += 1
            self._windows[caller] = (window_start, count)
        return count <= self.limit, max(self.limit - count, 0), window_start + self.window_seconds


class RateLimitMiddleware:
    """Answer 429 ``rate_limited`` with ``Retry-After`` past the limit; put the headers on every response."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = header(scope, b"authorization")
        if authorization:
            caller = "token:" + hashlib.sha256(authorization.encode("latin-1")).hexdigest()
        else:
            caller = "addr:" + str((scope.get("client") or ("unknown",))[0])
        allowed, remaining, reset_at = self.limiter.hit(caller)
        state(scope)["rate_limit_headers"] = [
            (b"x-ratelimit-limit", str(self.limiter.limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(reset_at)).encode()),
        ]
        if allowed:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        await send_error(
            scope,
            send,
            ApiError(
                429,
                "rate_limited",
                f"too many requests: the limit is {self.limiter.limit} per "
                f"{self.limiter.window_seconds:g} s; retry after {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            ),
        )
