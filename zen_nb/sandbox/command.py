"""``zen-nb sandbox``: serve in the foreground, print what a recipe user pastes, stop on Ctrl-C.

Everything that can refuse the start (the admin token, ``--allow-host``, an address beyond
loopback: see ``exposure.py``) is decided from the arguments first, so a refusal binds and
opens nothing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..vocabulary import ENV_SANDBOX_ADMIN_TOKEN
from . import Sandbox, default_db_path
from .admin_token import FILE_FLAG, FLAG, AdminToken, AdminTokenError, read_admin_token
from .data.schema import UnusableDatabase
from .exposure import ExposureRefused, check_exposure, is_loopback, reachable_text
from .hosts import AllowedHosts, allowed_hosts, host_name
from .server import DEFAULT_RATE_LIMIT, PortInUse, ServerSettings, bind, build_server, open_store

FLAG_WARNING = (
    f"warning: {FLAG} is in the process list (ps) for every user of this machine to read; "
    f"give the token with {FILE_FLAG} PATH or {ENV_SANDBOX_ADMIN_TOKEN} instead"
)


def export_lines(env: dict[str, str]) -> str:
    """The ``export`` lines of the recipe's Prerequisites, with this sandbox's values, each quoted
    for the shell (a value is pasted into one, so it must never expand there)."""
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in env.items())


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


def admin_token_text(host: str, token: AdminToken) -> str:
    """The admin token as the banner shows it: in full only on loopback and when the user has no
    other copy of it (generated here, or typed on the command line); else where it came from."""
    if is_loopback(host) and (token.generated or token.on_command_line):
        return token.value
    return f"the one from {token.source} (not shown)"


def startup_text(info: Sandbox, where: str, token: AdminToken, hosts: AllowedHosts) -> tuple[str, list[str]]:
    """The banner (stdout) and the warnings (stderr) of a sandbox that starts serving at ``info``."""
    banner = (
        f"Zen Mesh sandbox serving {info.base_url} ({where})\n"
        "Paste these lines into the shell you run your recipes from:\n\n"
        f"{export_lines(info.env())}\n\n"
        f"API docs:    {info.base_url}/docs\n"
        f"Admin token: {admin_token_text(info.host, token)}  (for /_sandbox/reset and /_sandbox/tenants)\n"
        "Press Ctrl-C to stop."
    )
    warnings = []
    if token.on_command_line:
        warnings.append(FLAG_WARNING)
    if not is_loopback(info.host):
        warnings.append(reachable_text(info.host, info.port, hosts.describe()))
    return banner, warnings


def decide(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[AdminToken, AllowedHosts]:
    """The admin token and the served hosts, or the one line (an error) that refuses the start."""
    token = read_admin_token(args.admin_token, args.admin_token_file, environ)
    check_exposure(args.host, token)
    return token, allowed_hosts(args.host, [host_name(name) for name in args.allow_host or ()])


def run_sandbox(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Run until interrupted; return the process exit code."""
    try:
        token, hosts = decide(args, os.environ if environ is None else environ)
    except (AdminTokenError, ExposureRefused, ValueError) as error:
        print(f"zen-nb sandbox: {error}", file=sys.stderr)
        return 2
    db = args.db or default_db_path()
    settings = ServerSettings(
        host=args.host,
        port=args.port,
        db=db,
        admin_token=token.value,
        rate_limit=args.rate_limit or DEFAULT_RATE_LIMIT,
        allow_hosts=tuple(args.allow_host or ()),
    )
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
    except UnusableDatabase as error:  # its message names the file and the fix
        sock.close()
        print(f"zen-nb sandbox: {error}", file=sys.stderr)
        return 1
    except (RuntimeError, OSError) as error:
        sock.close()
        print(f"zen-nb sandbox: cannot open the database {db}: {error}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    info = Sandbox(None, settings.host, port, settings.admin_token)
    where = "a throwaway in-memory database" if str(db) == ":memory:" else f"database {db}"
    banner, warnings = startup_text(info, where, token, hosts)
    print(banner, flush=True)
    for warning in warnings:
        print(warning, file=sys.stderr, flush=True)
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
