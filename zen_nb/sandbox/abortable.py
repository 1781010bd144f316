"""A uvicorn HTTP protocol that lets the app close its connection without an answer (a ``drop`` fault).

ASGI gives an app no way to abort the TCP connection of a request: it can only answer, or fail
and get a 500 from the server. A fault rule with ``drop`` (``faults.py``) must look to the client
like a connection reset with no HTTP answer at all, as Toxiproxy's ``reset_peer`` does. So this
subclass of uvicorn's httptools protocol puts the transport's ``abort`` in every request's scope,
under ``extensions`` (where ASGI servers put what they offer beyond the spec).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

ABORT_EXTENSION = "zen_nb.abort"


class AbortableHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with ``scope["extensions"]["zen_nb.abort"]["abort"]``."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope.setdefault("extensions", {})[ABORT_EXTENSION] = {"abort": self.transport.abort}  # type: ignore[typeddict-unknown-key]
