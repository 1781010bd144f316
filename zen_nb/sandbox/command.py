"""``zen-nb sandbox``: serve in the foreground, print what a recipe user pastes, stop on Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import Sandbox, default_db_path
from .server import DEFAULT_RATE_LIMIT, PortInUse, ServerSettings, bind, build_server, open_store


def export_lines(env: dict[str, str]) -> str:
    """The ``export`` lines of the recipe's Prerequisites, with this sandbox's values."""
    return "\n".join(f'export {name}="{value}"' for name, value in env.items())


@contextmanager
def _graceful_on_hangup(server: Any) -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) shut the server down as Ctrl-C does.

    uvicorn shuts down gracefully on SIGINT and SIGTERM (and newer versions raise the signal
    again once done, which must then end quietly, not kill the process before the database is
    closed); a hangup would end the process at once.
    """
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            number = getattr(signal, name)
            previous[number] = signal.signal(number, server.handle_exit)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_sandbox(args: argparse.Namespace) -> int:
    """Run until interrupted; return the process exit code."""
    db = args.db or default_db_path()
    settings = ServerSettings(host=args.host, port=args.port, db=db, rate_limit=args.rate_limit or DEFAULT_RATE_LIMIT)
    if args.admin_token:
        settings.admin_token = args.admin_token
    try:
        sock = bind(settings.host, settings.port)
    except PortInUse:
        print(
            f"zen-nb sandbox: port {settings.port} on {settings.host} is already in use; "
            "stop what uses it or pass --port N (0 picks a free port)",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(f"zen-nb sandbox: cannot listen on {settings.host}:{settings.port}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        store = open_store(db)
    except (RuntimeError, OSError) as error:
        sock.close()
        print(f"zen-nb sandbox: cannot open the database {db}: {error}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    info = Sandbox(None, settings.host, port, settings.admin_token)
    where = "a throwaway in-memory database" if str(db) == ":memory:" else f"database {db}"
    print(
        f"Zen Mesh sandbox serving {info.base_url} ({where})\n"
        "Paste these lines into the shell you run your recipes from:\n\n"
        f"{export_lines(info.env())}\n\n"
        f"API docs:    {info.base_url}/docs\n"
        f"Admin token: {settings.admin_token}  (for /_sandbox/reset and /_sandbox/tenants)\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {settings.host}, not only on loopback", file=sys.stderr, flush=True)
    server = build_server(settings, store)
    try:
        with _graceful_on_hangup(server):
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        store.close()
    print("Zen Mesh sandbox stopped.", flush=True)
    return 0
