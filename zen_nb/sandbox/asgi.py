"""Small helpers shared by the sandbox's ASGI middlewares."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .errors import ApiError, error_document

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024


class PayloadTooLarge(Exception):
    """The request body passed :data:`MAX_BODY_BYTES`."""


def state(scope: Scope) -> dict[str, Any]:
    """The per-request state dict that Starlette exposes as ``request.state``."""
    return scope.setdefault("state", {})


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` in lowercase), decoded as Latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def send_error(scope: Scope, send: Send, error: ApiError) -> None:
    """Answer with the error document of the request's path (:func:`~.errors.error_document`), carrying its id."""
    body, media = error_document(
        scope.get("path", ""), error.status, error.code, error.message, error.field, state(scope).get("request_id", "")
    )
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send_bytes(send, error.status, json.dumps(body).encode(), headers, content_type=media)


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: str = "application/json",
) -> None:
    """Send a whole response (JSON unless told otherwise)."""
    all_headers = [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
    all_headers += headers or []
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


def too_large_error() -> ApiError:
    """The 413 of the contract."""
    return ApiError(
        413,
        "payload_too_large",
        f"the request body is larger than {MAX_BODY_BYTES} bytes (1 MiB); send a smaller body",
    )


async def read_body(receive: Receive, scope: Scope) -> bytes:
    """Read the whole request body, refusing more than :data:`MAX_BODY_BYTES`.

    The Content-Length is checked first, so an oversized upload is refused before it is read.
    """
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away while sending the body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_receive(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields an already-read body, then defers to the real one."""
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return wrapped


async def read_body_or_refuse(scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """The whole body; or None, after answering 413 to an oversized one or when the client left."""
    try:
        return await read_body(receive, scope)
    except PayloadTooLarge:
        await send_error(scope, send, too_large_error())
    except ConnectionAbortedError:
        pass
    return None
