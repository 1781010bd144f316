"""Refuse request bodies over 1 MiB with the contract's 413, before any parsing."""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send, read_body_or_refuse, replay_receive


class BodyLimitMiddleware:
    """Read the body (at most 1 MiB) before the app does, so an oversized one is a clean 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body = await read_body_or_refuse(scope, receive, send)
        if body is None:
            return
        await self.app(scope, replay_receive(body, receive), send)
