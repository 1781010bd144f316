"""The client under network and server faults, produced for real on loopback.

Contract sections 4 (errors), 5 (idempotency) and 6 (tolerance), seen from ``ZenClient``:

* a lost answer to a create (a 503 in its place, or a dropped connection) is retried with the
  same ``Idempotency-Key``, so the flow exists once and the call returns it;
* 429/503 are retried within a bound, ``Retry-After`` is honoured, and what is left after the
  retries is a typed error;
* a DELETE whose answer was lost still succeeds; nothing listening, or nothing answering, is a
  ``ZenConnectionError`` that says how to start the sandbox;
* a real service's other shapes (bare arrays, extra fields, offsets in timestamps, error bodies
  that are HTML, text or another JSON) are accepted, and a token a server echoes is never shown.

Faults come from a small HTTP server on ``127.0.0.1:0`` (:class:`LocalServer`) whose answers are
decided by a responder: a proxy to the session's sandbox that loses one answer
(:class:`LosingProxy`), a script of answers (:class:`Script`), or canned routes (:class:`Canned`).
No session or transport is mocked.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest

import zen_nb
from zen_nb import sandbox as sandbox_pkg
from zen_nb.client import ZenClient
from zen_nb.config import ZenConfig
from zen_nb.frames import TIMESTAMP_DTYPE, load_flows

WAIT = 10.0  # seconds: the bound of every wait in this file

# -- a local HTTP server whose answers a responder decides ----------------------------------------


@dataclass
class Request:
    """One request as the local server received it."""

    method: str
    path: str
    headers: Message
    body: bytes


@dataclass
class Reply:
    """One answer to send: status, headers, body."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The value of a header, whatever its case."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @classmethod
    def json(cls, status: int, value: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(status, json.dumps(value).encode(), [("Content-Type", "application/json"), *(headers or [])])

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Reply:
        return cls(status, text.encode(), [("Content-Type", f"{content_type}; charset=utf-8")])


DROP = object()
"""A responder's answer meaning: close the connection without answering."""

Responder = Callable[[Request], "Reply | object"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped answer loses nothing else

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, self.path, self.headers, self.rfile.read(length) if length else b"")
        owner: LocalServer = self.server.owner  # type: ignore[attr-defined]
        owner.received(request)
        reply = owner.respond(request)
        if reply is DROP:
            self.close_connection = True  # the handler returns; the server closes the socket unanswered
            return
        assert isinstance(reply, Reply)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


class LocalServer:
    """An HTTP server on ``127.0.0.1:0`` in a thread; ``respond(request)`` decides every answer.

    ``requests`` lists what it received, in order. Use it as a context manager: it stops on exit.
    """

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def received(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def matching(self, method: str, path_end: str) -> list[Request]:
        """The requests of ``method`` whose path (without query) ends with ``path_end``."""
        return [r for r in self.requests if r.method == method and r.path.split("?")[0].endswith(path_end)]

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(WAIT)


# -- responders -------------------------------------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


def forward(upstream: str, request: Request) -> Reply:
    """Send ``request`` to ``upstream`` as is and return its answer as is (status, headers, body)."""
    parts = urlsplit(upstream)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
    try:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        connection.request(request.method, request.path, body=request.body or None, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        return Reply(answer.status, body, kept)
    finally:
        connection.close()


class LosingProxy:
    """A proxy to ``upstream`` that loses the answer to the first ``method`` on a path ending in ``path_end``.

    That request is forwarded (so the server commits it), then the client gets ``loss`` instead
    of the real answer: ``"503"`` (a gateway's 503) or ``"drop"`` (the connection closed unanswered).
    Everything else is forwarded as is; ``upstream_replies`` keeps what the server really said.
    """

    def __init__(self, upstream: str, method: str, path_end: str, loss: str) -> None:
        self.upstream, self.method, self.path_end, self.loss = upstream, method, path_end, loss
        self.lost = 0
        self.upstream_replies: list[Reply] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply | object:
        reply = forward(self.upstream, request)
        with self._lock:
            self.upstream_replies.append(reply)
            target = request.method == self.method and request.path.split("?")[0].endswith(self.path_end)
            lose = target and self.lost == 0
            self.lost += lose
        if not lose:
            return reply
        if self.loss == "drop":
            return DROP
        return Reply.text(503, "Service Unavailable (the gateway lost the answer)")


class Script:
    """Answers the n-th request with ``replies[n]``, then every later one with ``then(request)``."""

    def __init__(self, replies: list[Reply], then: Callable[[Request], Reply]) -> None:
        self.replies = list(replies)
        self.then = then
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            scripted = self.replies.pop(0) if self.replies else None
        return scripted if scripted is not None else self.then(request)


class Canned:
    """Fixed answers by ``(method, path)``; the path is relative to ``/tenants/{tenant}``."""

    def __init__(self, tenant: str, routes: dict[tuple[str, str], Reply]) -> None:
        self.routes = {(method, f"/tenants/{tenant}{path}"): reply for (method, path), reply in routes.items()}

    def __call__(self, request: Request) -> Reply:
        path = request.path.split("?")[0]
        not_found = Reply.json(404, {"error": {"status": 404, "code": "not_found", "message": f"no route {path}"}})
        return self.routes.get((request.method, path), not_found)


# -- helpers ------------------------------------------------------------------------------------------

TOKEN = "tok_canned_s3cret_0123456789abcdef"
TENANT, PLANE = "tenant_canned", "plane_canned"
RECIPE_TARGET = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}


def canned_config(base_url: str) -> ZenConfig:
    return ZenConfig(api_base=base_url, api_token=TOKEN, tenant_id=TENANT, plane_id=PLANE, adapter_id="adapter_canned")


def config_via(box: sandbox_pkg.Sandbox, base_url: str) -> ZenConfig:
    """The sandbox's demo tenant, reached at ``base_url`` (a proxy in front of it)."""
    return ZenConfig(environ={**box.env(), "ZEN_API_BASE": base_url})


@contextmanager
def canned_client(routes: dict[tuple[str, str], Reply], **client_kwargs: Any) -> Iterator[ZenClient]:
    with LocalServer(Canned(TENANT, routes)) as server, ZenClient(canned_config(server.url), **client_kwargs) as client:
        yield client


def check_short_error(error: BaseException, cls: type[BaseException]) -> list[str]:
    """Section 6 of the brief: a ZenError of ``cls`` shown in IPython as a few lines, none of our internals."""
    assert isinstance(error, zen_nb.ZenError)
    assert isinstance(error, cls), repr(error)
    lines = error._render_traceback_()
    assert isinstance(lines, list) and 1 <= len(lines) <= 4, lines
    assert lines[0].startswith(f"{type(error).__name__}: "), lines
    assert not [line for line in lines if "transport.py" in line or "site-packages" in line], lines
    return lines


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port bound by this test but not listening: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def flows_named(api: Any, name: str) -> list[dict[str, Any]]:
    return [flow for flow in api.all_pages("{plane}/delivery-flows") if flow["name"] == name]


# -- 1. a create whose answer is lost ----------------------------------------------------------------


@pytest.mark.parametrize("loss", ["503", "drop"])
def test_a_create_whose_answer_is_lost_is_retried_with_its_key_and_creates_one_flow(sandbox, api, loss):
    name = f"lost-answer-{loss}"
    proxy = LosingProxy(sandbox.base_url, "POST", "/delivery-flows", loss)
    with LocalServer(proxy) as server, ZenClient(config_via(sandbox, server.url)) as client:
        flow = client.create_flow(name, "ingester_stripe", RECIPE_TARGET)

    assert isinstance(flow, zen_nb.objects.Flow)
    assert flow["name"] == name and flow["id"].startswith("flow_") and flow["target"] == RECIPE_TARGET
    posts = server.matching("POST", "/delivery-flows")
    assert len(posts) == 2
    keys = [post.headers["Idempotency-Key"] for post in posts]
    assert keys[0] and keys[0] == keys[1]
    # the server committed the first and replayed it to the second
    assert [reply.status for reply in proxy.upstream_replies] == [201, 201]
    assert proxy.upstream_replies[1].header("Idempotent-Replayed") == "true"
    assert [found["id"] for found in flows_named(api, name)] == [flow["id"]]


# -- 2. retries -----------------------------------------------------------------------------------------


def test_two_503_then_the_real_answer_succeeds_on_the_third_try(sandbox, api):
    assert api.create_flow("behind-two-503").status_code == 201
    script = Script([Reply.text(503, "busy"), Reply.text(503, "busy")], then=lambda r: forward(sandbox.base_url, r))
    with LocalServer(script) as server, ZenClient(config_via(sandbox, server.url)) as client:
        flows = client.list_flows()
    assert [flow["name"] for flow in flows] == ["behind-two-503"]
    assert len(server.matching("GET", "/delivery-flows")) == 3


def test_429_with_retry_after_is_waited_out_then_succeeds():
    tenant = {"id": TENANT, "name": "Canned", "plan": "team"}
    limited = Reply.json(429, {"error": {"status": 429, "code": "rate_limited", "message": "slow down"}})
    limited.headers.append(("Retry-After", "1"))
    script = Script([limited], then=lambda r: Reply.json(200, tenant))
    with LocalServer(script) as server, ZenClient(canned_config(server.url)) as client:
        started = time.monotonic()
        got = client.get_tenant()
        elapsed = time.monotonic() - started
    assert got == tenant
    assert len(server.requests) == 2
    assert 0.9 <= elapsed < WAIT


@pytest.mark.parametrize(("retry", "tries"), [(2, 3), (None, 5)], ids=["retry=2", "default"])
def test_503_forever_is_a_server_error_after_a_bounded_number_of_tries(retry, tries):
    script = Script([], then=lambda r: Reply.text(503, "Service Unavailable"))
    with LocalServer(script) as server, ZenClient(canned_config(server.url), retry=retry) as client:
        started = time.monotonic()
        with pytest.raises(zen_nb.ServerError) as caught:
            client.get_tenant()
        elapsed = time.monotonic() - started
    check_short_error(caught.value, zen_nb.ServerError)
    assert caught.value.status == 503
    assert "Service Unavailable" in caught.value.message
    assert len(server.requests) == tries
    assert elapsed < WAIT


def test_a_real_429_without_retries_is_rate_limited_with_retry_after():
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(2, 60)) as box:
        with ZenClient(ZenConfig(environ=box.env()), retry=0) as client:
            with pytest.raises(zen_nb.RateLimitedError) as caught:
                for _ in range(5):  # 2 per window; a window may turn over once during the loop
                    client.get_tenant()
    error = caught.value
    check_short_error(error, zen_nb.RateLimitedError)
    assert error.status == 429 and error.code == "rate_limited"
    assert error.retry_after is not None and 1 <= error.retry_after <= 60
    assert error.request_id and error.request_id.startswith("req_")


# -- 3. a delete whose answer is lost --------------------------------------------------------------------


def test_a_delete_whose_answer_is_lost_still_succeeds(sandbox, api):
    created = api.create_flow("delete-lost-answer")
    assert created.status_code == 201, created.text
    flow_id = created.json()["id"]
    proxy = LosingProxy(sandbox.base_url, "DELETE", f"/delivery-flows/{flow_id}", "drop")
    with LocalServer(proxy) as server, ZenClient(config_via(sandbox, server.url)) as client:
        assert client.delete_flow(flow_id) is None
    assert len(server.matching("DELETE", f"/delivery-flows/{flow_id}")) == 2
    assert [reply.status for reply in proxy.upstream_replies] == [204, 404]
    assert api.get(f"{{plane}}/delivery-flows/{flow_id}").status_code == 404


def test_a_404_after_a_retry_that_never_ran_is_still_not_found(sandbox, api):
    """A 429 means the DELETE never ran: the 404 that follows is real, not a lost success."""
    limited = Reply.json(429, {"error": {"status": 429, "code": "rate_limited", "message": "slow down"}})
    limited.headers.append(("Retry-After", "0"))
    script = Script([limited], then=lambda r: forward(sandbox.base_url, r))
    with LocalServer(script) as server, ZenClient(config_via(sandbox, server.url)) as client:
        with pytest.raises(zen_nb.FlowNotFound) as caught:
            client.delete_flow("flow_never_existed")
    check_short_error(caught.value, zen_nb.FlowNotFound)
    assert len(server.matching("DELETE", "/delivery-flows/flow_never_existed")) == 2


# -- 4. nothing listening, nothing answering -------------------------------------------------------------


@pytest.mark.parametrize("retry", [0, None], ids=["retry=0", "default"])
def test_connection_refused_names_the_base_url_and_how_to_start_the_sandbox(retry):
    with refused_port() as port:
        base = f"http://127.0.0.1:{port}"
        with ZenClient(canned_config(base), retry=retry) as client:
            started = time.monotonic()
            with pytest.raises(zen_nb.ZenConnectionError) as caught:
                client.list_flows()
            elapsed = time.monotonic() - started
    error = caught.value
    check_short_error(error, zen_nb.ZenConnectionError)
    assert base in error.message
    assert "refused" in error.message
    assert "zen-nb sandbox" in error.fix
    assert elapsed < WAIT


def test_a_server_that_never_answers_is_a_connection_error_after_the_read_timeout():
    with silent_port() as port:
        base = f"http://127.0.0.1:{port}"
        with ZenClient(canned_config(base), timeout=(1, 0.5), retry=0) as client:
            started = time.monotonic()
            with pytest.raises(zen_nb.ZenConnectionError) as caught:
                client.get_tenant()
            elapsed = time.monotonic() - started
    check_short_error(caught.value, zen_nb.ZenConnectionError)
    assert base in caught.value.message
    assert 0.4 <= elapsed < 5


# -- 5. tolerance of a real service's shapes (section 6) -------------------------------------------------

FLOWS = [
    {
        "id": "flow_frac",
        "name": "fractional-seconds",
        "source": "ingester_stripe",
        "target": {"id": "dest_a", "type": "stripe"},
        "status": "active",
        "createdAt": "2024-01-15T10:30:00.123456Z",
        "updatedAt": "2024-01-15T10:30:00.5Z",
        "extraField": {"nested": [1, 2]},
        "shardHint": 7,
    },
    {
        "id": "flow_offset",
        "name": "offset-not-z",
        "source": "ingester_stripe",
        "target": {"id": "dest_b", "type": "http", "weight": 3},
        "status": "paused",
        "createdAt": "2024-01-15T12:30:00+02:00",
        "updatedAt": "2024-01-15T05:15:30.250-05:00",
        "extraField": "kept",
    },
]
PLANES = [{"id": PLANE, "name": "Canned plane", "region": "us-east-1", "createdAt": "2024-01-01T00:00:00Z"}]
TARGETS = [{"id": "dest_a", "name": "a", "type": "stripe", "createdAt": "2024-01-01T00:00:00Z", "tier": "gold"}]
BARE_ARRAYS = {
    ("GET", "/clusters"): Reply.json(200, PLANES),
    ("GET", f"/clusters/{PLANE}/delivery-flows"): Reply.json(200, FLOWS),
    ("GET", f"/clusters/{PLANE}/destinations"): Reply.json(200, TARGETS),
}


def test_lists_answered_as_bare_arrays_are_read_whole():
    with canned_client(BARE_ARRAYS) as client:
        assert [flow["id"] for flow in client.list_flows()] == ["flow_frac", "flow_offset"]
        assert [target["id"] for target in client.list_targets()] == ["dest_a"]
        assert [plane["id"] for plane in client.list_planes()] == [PLANE]
        assert list(load_flows(client, progress=False)["id"]) == ["flow_frac", "flow_offset"]
        assert list(load_flows(client, planes="all", progress=False)["id"]) == ["flow_frac", "flow_offset"]


def test_unknown_fields_are_kept_on_objects():
    with canned_client(BARE_ARRAYS) as client:
        first, second = client.list_flows()
        (target,) = client.list_targets()
    assert first["extraField"] == {"nested": [1, 2]} and first.extra_field == {"nested": [1, 2]}
    assert first.shard_hint == 7
    assert second["extraField"] == "kept" and second.extra_field == "kept"
    assert second["target"]["weight"] == 3
    assert target["tier"] == "gold" and target.tier == "gold"


def test_load_flows_ignores_unknown_fields():
    with canned_client(BARE_ARRAYS) as client:
        frame = load_flows(client, progress=False)
    assert list(frame.columns) == list(zen_nb.frames.FLOW_COLUMNS)
    assert list(frame["target_type"]) == ["stripe", "http"]
    assert list(frame["status"]) == ["active", "paused"]
    assert list(frame["plane_id"]) == [PLANE, PLANE]


def test_timestamps_with_fractions_and_offsets_become_exact_utc_instants():
    with canned_client(BARE_ARRAYS) as client:
        frame = load_flows(client, progress=False)
    assert str(frame["created_at"].dtype) == TIMESTAMP_DTYPE == str(frame["updated_at"].dtype)
    assert list(frame["created_at"]) == [
        pd.Timestamp("2024-01-15 10:30:00.123456", tz="UTC"),
        pd.Timestamp("2024-01-15 10:30:00", tz="UTC"),
    ]
    assert list(frame["updated_at"]) == [
        pd.Timestamp("2024-01-15 10:30:00.500", tz="UTC"),
        pd.Timestamp("2024-01-15 10:15:30.250", tz="UTC"),
    ]


HTML_404 = """<!DOCTYPE html>
<html><head><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on this gateway.</p></body></html>
"""


@pytest.mark.parametrize(
    ("reply", "cls", "shown"),
    [
        (
            Reply.text(404, HTML_404, "text/html"),
            zen_nb.NotFoundError,
            "The requested URL was not found on this gateway",
        ),
        (Reply.text(500, "Internal Server Error: upstream crashed"), zen_nb.ServerError, "upstream crashed"),
        (Reply.json(400, {"detail": "nope"}), zen_nb.BadRequestError, "nope"),
        (Reply.json(409, ["a", "bare", "list"]), zen_nb.ConflictError, '["a", "bare", "list"]'),
    ],
    ids=["html-404", "text-500", "other-json-400", "json-array-409"],
)
def test_an_error_body_of_another_shape_is_classed_by_status_with_its_text_in_the_message(reply, cls, shown):
    with canned_client({("GET", f"/clusters/{PLANE}/delivery-flows"): reply}) as client:
        with pytest.raises(zen_nb.ZenError) as caught:
            client.list_flows()
    error = caught.value
    check_short_error(error, cls)
    assert type(error) is cls
    assert "\n" not in error.message, "a multi-line body is folded into one line"
    assert error.status == reply.status
    assert shown in error.message
    assert shown in str(error)


ECHOES = {
    "json-error": Reply.json(
        401, {"error": {"status": 401, "code": "unauthenticated", "message": f"token {TOKEN} is not valid"}}
    ),
    "other-json": Reply.json(400, {"detail": f"bad header Authorization: Bearer {TOKEN}"}),
    "text": Reply.text(502, f"Bad Gateway: upstream refused Authorization: Bearer {TOKEN}"),
}


@pytest.mark.parametrize("reply", list(ECHOES.values()), ids=list(ECHOES))
def test_a_token_echoed_by_the_server_is_never_shown(reply):
    with canned_client({("GET", ""): reply}, retry=0) as client:
        with pytest.raises(zen_nb.ZenAPIError) as caught:
            client.get_tenant()
    error = caught.value
    check_short_error(error, zen_nb.ZenAPIError)
    assert error.status == reply.status
    shown = [str(error), repr(error), error.message, repr(error.body), *error._render_traceback_()]
    assert not [text for text in shown if TOKEN in text], shown
    assert "Bearer" in error.message or "token" in error.message  # the rest of the text is still there
