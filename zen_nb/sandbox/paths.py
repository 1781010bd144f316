"""Request paths: each segment percent-decoded exactly once, an encoded '/' kept inside its segment.

A server hands the app ``scope["path"]`` already decoded, so ``a%2Fb`` arrives as ``a/b``: two
segments to the router. :class:`PathMiddleware` rebuilds the path the router matches from
``scope["raw_path"]``, the bytes the client sent: it splits them on '/', decodes each segment once
(so ``delivery%2Dflows`` is the literal ``delivery-flows``), and writes each segment back with its
'%' and '/' re-encoded, the only two characters that would change how the router splits or how
the ``id`` convertor (:class:`IdConvertor`) decodes. The convertor undoes exactly that, so a path
parameter is the client's segment decoded once: ``a%2Fb`` is the id ``a/b``, ``a%252Fb`` the id
``a%2Fb``.

Empty segments are dropped: ``$ZEN_API_BASE/tenants/...`` with a base ending in "/" (which the
contract allows) gives ``//tenants/...``, and ``/x/`` is served as ``/x``. No redirect is ever
answered (the app is built with ``redirect_slashes=False``): Starlette builds its redirect from the
request's Host header, which a client chooses.

``scope["raw_path"]`` is left as the client sent it; :func:`path_segments` reads it the same way,
for the middlewares that run before routing (auth reads the tenant from it).
"""

from __future__ import annotations

from urllib.parse import quote, unquote, unquote_to_bytes

from starlette.convertors import Convertor, register_url_convertor

from .asgi import ASGIApp, Receive, Scope, Send

# Characters of a segment that stay percent-encoded in the routing path (see the module's docstring).
_KEPT_ENCODED = {"%": "%25", "/": "%2F"}
# RFC 3986 pchar, less '%' and '/': what a segment built by :meth:`IdConvertor.to_string` keeps as is.
_SEGMENT_SAFE = "!$&'()*+,;=:@"


def _decode(segment: bytes) -> str:
    # As servers decode scope["path"]: UTF-8, with U+FFFD for bytes that are not.
    return unquote_to_bytes(segment).decode("utf-8", errors="replace")


def path_segments(scope: Scope) -> list[str]:
    """The path's non-empty segments, each percent-decoded exactly once (an encoded '/' stays inside its segment)."""
    raw = scope.get("raw_path")
    if raw is None:  # not every ASGI server sends it; then the path is decoded already, once
        return [part for part in scope.get("path", "").split("/") if part]
    # A query string is never part of raw_path in ASGI; cut one off all the same.
    return [_decode(part) for part in raw.split(b"?", 1)[0].split(b"/") if part]


def routing_path(segments: list[str]) -> str:
    """The path the router matches: the decoded segments joined by '/', each with '%' and '/' encoded."""
    return "/" + "/".join("".join(_KEPT_ENCODED.get(char, char) for char in segment) for segment in segments)


class PathMiddleware:
    """Route on the path as the client sent it: segments decoded once, no empty ones (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["path"] = routing_path(path_segments(scope))
        await self.app(scope, receive, send)


class IdConvertor(Convertor[str]):
    """``{flowId:id}``: one segment of the routing path, as the client's segment decoded once.

    Every path parameter of the API uses it: the plain ``{x}`` would hand the route the routing
    path's text, with '%' and '/' still encoded.
    """

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        # The routing path encodes only '%' and '/', and every '%' in it is one of those escapes.
        return unquote(value)

    def to_string(self, value: str) -> str:
        return quote(str(value), safe=_SEGMENT_SAFE)


register_url_convertor("id", IdConvertor())


class AttemptIdConvertor(IdConvertor):
    """``{attemptId:attempt_id}``: an id, but never the segment ``retry`` as the path's last.

    ``.../delivery-attempts/retry`` is the batch retry's own path (POST), and OpenAPI matches a
    concrete path before a templated one: a GET there is a 405 that allows POST, as the
    document says, not the 404 of an attempt named "retry".
    """

    regex = "(?!retry$)[^/]+"


register_url_convertor("attempt_id", AttemptIdConvertor())
