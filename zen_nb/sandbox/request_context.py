"""Outermost middleware: a request id on every response, and no fault leaves as a bare 500."""

from __future__ import annotations

import logging

from .asgi import ASGIApp, Message, Receive, Scope, Send, send_error, state
from .errors import ApiError
from .ids import new_request_id

log = logging.getLogger("zen_nb.sandbox")


class RequestContextMiddleware:
    """Give each request an ``X-Request-Id``; turn an unexpected exception into a 500 in the error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_state = state(scope)
        request_state["request_id"] = new_request_id()
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {key.lower() for key, _ in headers}
                if b"x-request-id" not in names:
                    # A replayed response keeps the request id of the response it replays.
                    headers.append((b"x-request-id", request_state["request_id"].encode()))
                headers += request_state.get("rate_limit_headers", [])
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in request %s", request_state["request_id"])
            if not started:
                error = ApiError(500, "internal", "the sandbox hit an internal error; see its log")
                await send_error(scope, send_with_id, error)
