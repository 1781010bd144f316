"""Where a delivery may go (issue 13, finding 1): only to the loopback address that was checked.

Each test drives the sandbox over HTTP: an ``http`` target with the URL, a flow, an event ingested,
then what the receivers got and how the attempt ended. The URL seems to name one receiver; a second
one, the "attacker", listens on 127.0.0.2 (loopback too on Linux), where a parser-confused,
proxied, redirected or rebound request would land instead. A URL that the API now refuses is
written into the database the way an older sandbox stored it, to show that the delivery refuses it
too. Nothing in this file may leave loopback, whatever the code under test does: every connection
to another address is refused and recorded (:func:`off_loopback`), and DNS is faked only where a
test is about DNS.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox import delivery
from zen_nb.sandbox.data import Store
from zen_nb.sandbox.data.targets import require_target, update_target

from deliveries import TARGETS, http_target, ingest_ok, make_flow, settled, wait_attempts
from helpers import Api, admin_post, assert_error, set_retry_schedule

DEADLINE = 30.0  # the machine is shared: generous
SECRET_PATH = "/hooks/s3cr3t-path-token"


# -- receivers and guards -------------------------------------------------------------------------


class Receiver:
    """An HTTP server on one loopback address that records every request (any method) and answers
    ``status``, with ``location`` as its ``Location`` header when set."""

    def __init__(self, address: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.location: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_CONNECT = answer  # noqa: N815 - the stdlib's names

            def log_message(self, *args: Any) -> None:
                pass

        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True})
        self.server = server_class((address, port), Handler)
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """A factory of :class:`Receiver` s, all stopped afterwards."""
    made: list[Receiver] = []

    def make(address: str = "127.0.0.1", port: int = 0) -> Receiver:
        try:
            made.append(Receiver(address, port))
        except OSError as error:  # 127.0.0.2 is loopback on Linux, not on every system; ::1 needs IPv6
            pytest.skip(f"cannot listen on {address} here ({error})")
        return made[-1]

    yield make
    for one in made:
        one.stop()


@pytest.fixture
def hook(receiver: Callable[..., Receiver]) -> Receiver:
    """The receiver a URL seems to name: on 127.0.0.1."""
    return receiver("127.0.0.1")


@pytest.fixture
def attacker(receiver: Callable[..., Receiver]) -> Receiver:
    """Where a confused request would land instead: 127.0.0.2, loopback but another address."""
    return receiver("127.0.0.2")


@pytest.fixture(autouse=True)
def off_loopback(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection this process tries to a non-loopback address: refused, and recorded here."""
    tried: list[Any] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            try:
                local = ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
            except ValueError:  # a name: the C library would resolve it unseen
                local = False
            if not local:
                tried.append(address)
                raise ConnectionRefusedError(errno.ECONNREFUSED, "refused by the test: off loopback")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


def fake_dns(monkeypatch: pytest.MonkeyPatch, name: str, answers: Callable[[int], list[str]]) -> list[str]:
    """Answer ``name`` with ``answers(n)`` at its n-th query (from 0); other names as usual.
    Returns the list of queries made for ``name``."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host != name:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        found = answers(len(asked) - 1)
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port or 80)))
            for ip in found
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


# -- a sandbox whose database the tests can also write --------------------------------------------


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("destinations") / "sandbox.sqlite3"


@pytest.fixture(scope="module")
def box(db_path: Path) -> Iterator[sandbox_pkg.Sandbox]:
    """This module's sandbox, on a database file that :func:`store_url` writes too."""
    with sandbox_pkg.start(port=0, db=db_path, rate_limit=(1_000_000, 1)) as started:
        yield started


@pytest.fixture
def api(box: sandbox_pkg.Sandbox) -> Api:
    """The demo tenant on this module's sandbox, reset, with no automatic retries (one attempt each)."""
    response = admin_post(box, "reset")
    assert response.status_code == 200, response.text
    api = Api(box)
    api.session.trust_env = False  # the test's own calls ignore a proxy that a test puts in the environment
    set_retry_schedule(api, [])
    return api


def store_url(api: Api, db_path: Path, target_id: str, url: str) -> None:
    """Write a target's URL straight into the database, as an older sandbox (which took it) left it."""
    store = Store(db_path)
    try:
        with store.transaction() as db:
            update_target(db, require_target(db, api.tenant_id, api.plane_id, target_id), {"url": url})
    finally:
        store.close()


def deliver_once(api: Api, url: str, *, stored_in: Path | None = None) -> dict[str, Any]:
    """Deliver one event to an http target at ``url`` (made through the API, or written into the
    database file ``stored_in``) and return its one attempt, settled."""
    target = http_target(api, "dest-hook", url if stored_in is None else "http://127.0.0.1:9/placeholder")
    if stored_in is not None:
        store_url(api, stored_in, target[0], url)
    make_flow(api, "dest-flow", target)
    ingest_ok(api, {"type": "invoice.paid"})
    [attempt] = wait_attempts(api, settled(1), deadline=DEADLINE)
    return attempt


def outcome(attempt: dict[str, Any]) -> tuple[Any, Any, Any]:
    return attempt["status"], attempt["responseStatus"], attempt["errorCode"]


# -- the API refuses a URL that parsers read differently ------------------------------------------

# (id, URL, words the 400's message must hold). Each was a 201 before the fix.
CONFUSING = [
    ("backslash-before-at", "http://127.0.0.2:8001\\@127.0.0.1:8002/", "backslash"),
    ("backslash-after-host", "http://127.0.0.1:8002\\@127.0.0.2:8001/", "backslash"),
    ("userinfo", "http://user:pw@127.0.0.1:8002/", "user name or password"),
    ("percent-encoded-host", "http://%31%32%37.0.0.1:8002/", "percent-encoded"),
    ("decimal-ipv4", "http://2130706433:8002/", "dotted-decimal"),
    ("octal-ipv4", "http://0177.0.0.1:8002/", "dotted-decimal"),
    ("hex-ipv4", "http://0x7f000001:8002/", "dotted-decimal"),
    ("short-ipv4", "http://127.1:8002/", "dotted-decimal"),
    ("ipv6-zone", "http://[::1%25lo]:8002/", "zone"),
    ("ipv4-in-brackets", "http://[::ffff:127.0.0.1]:8002/", "without brackets"),
    ("tab-in-host", "http://127.0.0.1\t.evil.example/", "control characters"),
    ("non-ascii-host", "http://\u24dbocalhost:8002/", "'localhost'"),  # a circled l: IDNA reads it as localhost
]


@pytest.mark.parametrize(("url", "words"), [case[1:] for case in CONFUSING], ids=[case[0] for case in CONFUSING])
def test_the_api_refuses_a_target_url_that_parsers_read_differently(api: Api, url: str, words: str) -> None:
    error = assert_error(api.post(TARGETS, json={"name": "x-hook", "type": "http", "url": url}), 400, "invalid_field")
    assert error["field"] == "url" and words in error["message"], error
    patched = api.patch(f"{TARGETS}/dest_http_orders_webhook", json={"url": url})
    assert assert_error(patched, 400, "invalid_field", field="url")["message"] == error["message"]
    assert api.get(f"{TARGETS}/dest_http_orders_webhook").json()["url"] == "http://127.0.0.1:9/hooks/orders"


# -- a stored URL of that kind is never requested -------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "http://127.0.0.2:{attacker}\\@127.0.0.1:{hook}{path}",  # checked: 127.0.0.1; requests went to the attacker
        "http://127.0.0.2:{attacker}\\@localhost:{hook}{path}",
        "http://127.0.0.1:{hook}\\@127.0.0.2:{attacker}{path}",  # the other way round
        "http://user:pw@127.0.0.1:{hook}{path}",  # requests sent the credentials as Basic auth
        "http://2130706433:{hook}{path}",  # a browser's 127.0.0.1; simulated as "not loopback" before
    ],
    ids=["backslash-before-at", "backslash-before-at-localhost", "backslash-after-host", "userinfo", "decimal-ipv4"],
)
def test_a_stored_url_that_parsers_read_differently_is_refused_at_delivery(
    api: Api, db_path: Path, hook: Receiver, attacker: Receiver, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = form.format(attacker=attacker.port, hook=hook.port, path=SECRET_PATH)
    with caplog.at_level(logging.WARNING, logger="zen_nb.sandbox"):
        attempt = deliver_once(api, url, stored_in=db_path)
    assert [r["path"] for r in attacker.requests] == [] and [r["path"] for r in hook.requests] == []
    assert outcome(attempt) == ("failed", None, "invalid_url"), attempt
    logged = [record.getMessage() for record in caplog.records if attempt["id"] in record.getMessage()]
    assert len(logged) == 1 and SECRET_PATH not in logged[0], logged  # logged once, without the URL's path


# -- what does deliver goes to the address it names, and only there -------------------------------


@pytest.mark.parametrize(
    ("host", "address", "host_header"),
    [
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("localhost", "127.0.0.1", "localhost"),
        ("LocalHost", "127.0.0.1", "localhost"),
        ("127.0.0.2", "127.0.0.2", "127.0.0.2"),
        ("[::1]", "::1", "[::1]"),
    ],
)
def test_a_loopback_url_is_delivered_to_the_address_it_names(
    api: Api, receiver: Callable[..., Receiver], host: str, address: str, host_header: str
) -> None:
    there = receiver(address)
    attempt = deliver_once(api, f"http://{host}:{there.port}{SECRET_PATH}?tag=1")
    assert outcome(attempt) == ("succeeded", 200, None), attempt
    [received] = there.requests
    assert (received["method"], received["path"]) == ("POST", f"{SECRET_PATH}?tag=1")
    assert received["headers"]["Host"] == f"{host_header}:{there.port}"  # the URL's host, not the address
    assert received["headers"]["Zen-Attempt-Id"] == attempt["id"]


def test_a_proxy_in_the_environment_is_not_used(
    api: Api, hook: Receiver, attacker: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = f"http://127.0.0.2:{attacker.port}"
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    attempt = deliver_once(api, f"http://127.0.0.1:{hook.port}/hooks/zen")
    assert outcome(attempt) == ("succeeded", 200, None), attempt
    assert attacker.requests == [] and [r["path"] for r in hook.requests] == ["/hooks/zen"]


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_is_the_attempts_answer_and_is_not_followed(
    api: Api, hook: Receiver, attacker: Receiver, status: int
) -> None:
    hook.status, hook.location = status, f"http://127.0.0.2:{attacker.port}/stolen"
    attempt = deliver_once(api, f"http://127.0.0.1:{hook.port}/hooks/zen")
    assert outcome(attempt) == ("failed", status, None), attempt
    assert len(hook.requests) == 1 and attacker.requests == []


# -- DNS: a local name is resolved once, and only to loopback -------------------------------------


@pytest.mark.parametrize(
    "answers", [["10.0.0.1"], ["127.0.0.1", "10.0.0.1"], ["::1", "192.0.2.7"]], ids=["off", "mixed", "mixed-v6"]
)
def test_localhost_that_resolves_off_loopback_is_refused(
    api: Api, hook: Receiver, off_loopback: list[Any], monkeypatch: pytest.MonkeyPatch, answers: list[str]
) -> None:
    asked = fake_dns(monkeypatch, "localhost", lambda n: answers)
    attempt = deliver_once(api, f"http://localhost:{hook.port}/hooks/zen")
    assert outcome(attempt) == ("failed", None, "destination_not_loopback"), attempt
    assert hook.requests == [] and off_loopback == []  # no connection at all, off loopback or on it
    assert len(asked) == 1


def test_the_connection_goes_to_the_address_that_was_checked(
    api: Api, receiver: Callable[..., Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer is checked, a later one would point elsewhere; no later one is asked."""
    hook = receiver("127.0.0.1")
    attacker = receiver("127.0.0.2", hook.port)  # the same port on another address
    asked = fake_dns(monkeypatch, "localhost", lambda n: ["127.0.0.1"] if n == 0 else ["127.0.0.2"])
    attempt = deliver_once(api, f"http://localhost:{hook.port}/hooks/zen")
    assert outcome(attempt) == ("succeeded", 200, None), attempt
    assert len(hook.requests) == 1 and attacker.requests == []
    assert len(asked) == 1


def test_another_name_is_simulated_without_a_dns_query(
    api: Api, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only ``localhost`` is resolved (as Jupyter Server's ``local_hostnames``): a DNS query for any
    other name would itself leave the machine, so such a target is simulated, even one on loopback."""
    asked = fake_dns(monkeypatch, "receiver.test", lambda n: ["127.0.0.1"])
    attempt = deliver_once(api, f"http://receiver.test:{hook.port}/hooks/zen")
    assert outcome(attempt) == ("succeeded", 200, None), attempt  # the http kind's default outcome
    assert hook.requests == [] and asked == []


def test_a_receiver_that_never_answers_is_a_timeout(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The urllib3 errors map to the same codes as before: here a connection taken (by the listen
    backlog) and never answered; refused connections are in test_delivery_http_target.py."""
    monkeypatch.setattr(delivery, "HTTP_TIMEOUT", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        attempt = deliver_once(api, f"http://127.0.0.1:{silent.getsockname()[1]}/hooks/zen")
    assert outcome(attempt) == ("failed", None, "timeout"), attempt
    assert 500 <= attempt["latencyMs"] < 5000


def test_https_to_a_receiver_that_speaks_plain_http_is_a_connection_error(api: Api, hook: Receiver) -> None:
    attempt = deliver_once(api, f"https://127.0.0.1:{hook.port}/hooks/zen")
    assert outcome(attempt) == ("failed", None, "connection_error"), attempt
