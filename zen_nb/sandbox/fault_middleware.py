"""The ASGI middleware that applies the fault rules of ``faults.py`` to each request.

Where it sits (``app.py``): inside the request context, the Host check and the rate limit, so a
faulted answer has its ``X-Request-Id`` and the ``X-RateLimit-*`` headers every answer carries
(and counts against the limit, as any request does), and a page on a rebound name is still
refused; before auth and idempotency. A real service's 503 or dropped connection comes from in
front of it (a load balancer, a gateway) before any token is checked, and an ``afterCommit``
fault must wrap the whole stack: the idempotency middleware stores the real answer, the route
commits, and only then is the answer replaced. So the rule's ``tenant`` is the tenant of the
path, not of the token.

A dropped connection is the transport's ``abort()``: uvicorn gives the app no handle on its
connection, so :class:`~.abortable.AbortableHttpProtocol` (``server.py`` passes it to uvicorn)
puts one in the scope's ``extensions``. Served any other way (an in-process test client), a drop
answers 503 saying so, rather than a 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .abortable import ABORT_EXTENSION
from .asgi import ASGIApp, Message, Receive, Scope, Send, send_error
from .auth import path_tenant
from .errors import ApiError
from .faults import RETRY_AFTER_STATUSES, Fault, FaultEngine
from .paths import path_segments


def fault_error(fault: Fault, status: int) -> ApiError:
    """The answer of a status fault: the contract's error shape, saying which rule injected it."""
    headers = {"Retry-After": str(fault.retry_after_seconds)} if status in RETRY_AFTER_STATUSES else {}
    when = " after the request was handled and committed" if fault.after_commit else ""
    return ApiError(
        status,
        "injected_fault",
        f"injected by the sandbox fault rule '{fault.rule_id}'{when}; "
        f"remove it with DELETE /_sandbox/faults/{fault.rule_id} (or all with DELETE /_sandbox/faults)",
        headers=headers,
    )


class FaultMiddleware:
    """Delay, fail or drop the requests that a rule of ``engine`` picks."""

    def __init__(self, app: ASGIApp, engine: FaultEngine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.engine.rules():
            await self.app(scope, receive, send)
            return
        path = "/" + "/".join(path_segments(scope))
        fault = self.engine.decide(scope["method"], path, path_tenant(scope))
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.status is None and not fault.drop:  # latency only: the real answer, late
            await self.app(scope, receive, send)
            return
        if fault.after_commit:
            await self.app(scope, receive, _swallow)
        if fault.drop:
            await self._drop(scope, send, fault)
        else:
            await send_error(scope, send, fault_error(fault, fault.status or 503))

    async def _drop(self, scope: Scope, send: Send, fault: Fault) -> None:
        abort: Callable[[], None] | None = scope.get("extensions", {}).get(ABORT_EXTENSION, {}).get("abort")
        if abort is None:
            error = fault_error(fault, 503)
            error.message = f"could not drop the connection (not served by zen_nb's server); {error.message}"
            await send_error(scope, send, error)
            return
        abort()
        # Let the protocol see the connection lost before this returns, so uvicorn does not try
        # to answer a request whose app "returned without starting a response".
        for _ in range(3):
            await asyncio.sleep(0)


async def _swallow(message: Message) -> None:
    """A ``send`` that throws the real answer away (an ``afterCommit`` fault replaces it)."""
