"""Serving the sandbox with uvicorn: in the foreground (the CLI) or on a background thread (tests, notebooks).

The socket is bound here, before uvicorn starts, so that ``port=0`` gives a free port whose
number is known at once, and a port in use is an :class:`OSError` the caller can report.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from ..vocabulary import SANDBOX_HOST, SANDBOX_PORT
from .abortable import AbortableHttpProtocol
from .admin_token import new_admin_token
from .app import create_app
from .data import Store
from .data.deliveries import recover_interrupted
from .data.idempotency import release_in_flight
from .faults import FaultEngine, parse_rule
from .hosts import allowed_hosts
from .rate_limit import RateLimiter
from .seed import seed_database

DEFAULT_RATE_LIMIT = (1000, 1.0)


class PortInUse(OSError):
    """The port is taken by another process."""


@dataclass
class ServerSettings:
    """How to run a sandbox. ``allow_hosts``: names it answers to besides loopback and ``host`` (see hosts.py)."""

    host: str = SANDBOX_HOST
    port: int = SANDBOX_PORT
    db: str | Path = ":memory:"
    admin_token: str = field(default_factory=lambda: new_admin_token().value, repr=False)  # a secret
    rate_limit: tuple[int, float] = DEFAULT_RATE_LIMIT
    log_level: str = "warning"
    allow_hosts: tuple[str, ...] = ()
    faults: tuple[dict[str, Any], ...] = ()  # fault rules in force from the start, as JSON (faults.py)


def open_store(db: str | Path) -> Store:
    """Open the sandbox's storage: a new database is seeded, an old one migrated and recovered.

    Recovery ends what a process that died mid-work left behind: requests that held an
    idempotency key, attempts that were being made (see :func:`recover_interrupted`).
    """
    store = Store(db)
    with store.transaction() as conn:
        if store.is_new:
            seed_database(conn)
        else:
            release_in_flight(conn)
            recover_interrupted(conn)
    return store


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; :class:`PortInUse` names the port when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on such sockets, and without it every
    # response on a kept-alive connection waits 40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise PortInUse(error.errno, f"port {port} on {host} is already in use") from None
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build_server(settings: ServerSettings, store: Store) -> uvicorn.Server:
    """A uvicorn server for the sandbox app on ``store``."""
    hosts = allowed_hosts(settings.host, settings.allow_hosts)
    faults = FaultEngine(parse_rule(spec) for spec in settings.faults)  # InvalidFaultRule names the field
    app = create_app(store, settings.admin_token, RateLimiter(*settings.rate_limit), hosts, faults=faults)
    config = uvicorn.Config(
        app,
        log_level=settings.log_level,
        access_log=False,
        lifespan="on",  # starts and stops the delivery worker
        timeout_graceful_shutdown=5,
        # No proxy stands before the sandbox: X-Forwarded-For from a local process must not set the
        # client address that failed authentications are counted against (rate_limit.py).
        proxy_headers=False,
        http=AbortableHttpProtocol,  # a drop fault closes the connection with no answer (abortable.py)
    )
    return uvicorn.Server(config)


class BackgroundServer:
    """A sandbox serving on a daemon thread of this process until :meth:`stop`."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.socket = bind(settings.host, settings.port)
        self.port: int = self.socket.getsockname()[1]
        try:
            self.store = open_store(settings.db)
        except BaseException:  # a database that cannot be used: the port must not stay bound
            self.socket.close()
            raise
        self.server = build_server(settings, self.store)
        self._thread = threading.Thread(target=self._run, name=f"zen-sandbox-{self.port}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.socket]))
        except BaseException as error:  # reported by start()
            self._error = error

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout / 0.01)):
            if self.server.started or not self._thread.is_alive():
                break
            deadline.wait(0.01)
        if not self.server.started:
            self.stop()
            raise RuntimeError(f"the sandbox did not start within {timeout} s: {self._error!r}")

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.socket.close()
        self.store.close()
