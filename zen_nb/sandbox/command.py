"""``zen-nb sandbox``: serve in the foreground, print what a recipe user pastes, stop on Ctrl-C.

Everything that can refuse the start (the admin token, ``--allow-host``, an address beyond
loopback: see ``exposure.py``) is decided from the arguments first, so a refusal binds and
opens nothing, and comes at once (the server's modules are imported only after it). Then the
port is bound before the database is opened, so that a port in use leaves alone the database
of the sandbox that holds it.

``zen-nb class start`` (``class_command.py``) is the same start with a class on top: it reuses
each step here (:func:`decide`, :func:`listen`, :func:`open_database`, :func:`start_warnings`,
:func:`serve`) rather than a copy of them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..vocabulary import ENV_SANDBOX_ADMIN_TOKEN
from . import Sandbox, default_db_path
from .admin_token import FILE_FLAG, FLAG, AdminToken, AdminTokenError, read_admin_token
from .data import Store
from .data.schema import UnusableDatabase
from .exposure import ExposureRefused, check_exposure, is_loopback, reachable_text
from .faults import InvalidFaultRule, parse_rule, parse_rule_text
from .hosts import AllowedHosts, allowed_hosts, host_name

if TYPE_CHECKING:
    from .server import ServerSettings

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


def startup_text(
    info: Sandbox, where: str, token: AdminToken, hosts: AllowedHosts, faults: Sequence[Mapping[str, Any]] = ()
) -> tuple[str, list[str]]:
    """The banner (stdout) and the warnings (stderr) of a sandbox that starts serving at ``info``.

    Fault rules given with ``--fault`` are named in the banner: a sandbox that fails on purpose
    must not look like a broken one to whoever reads its terminal.
    """
    rules = "".join(f"  {fault_text(spec)}\n" for spec in faults)
    in_force = (
        f"Fault rules in force (GET or DELETE {info.base_url}/_sandbox/faults with the admin token):\n{rules}"
        if faults
        else ""
    )
    banner = (
        f"Zen Mesh sandbox serving {info.base_url} ({where})\n"
        "Paste these lines into the shell you run your recipes from:\n\n"
        f"{export_lines(info.env())}\n\n"
        f"API docs:    {info.base_url}/docs\n"
        f"Admin token: {admin_token_text(info.host, token)}  (for /_sandbox/reset and /_sandbox/tenants)\n"
        f"{in_force}"
        "Press Ctrl-C to stop."
    )
    return banner, start_warnings(info, token, hosts)


def fault_text(spec: Mapping[str, Any]) -> str:
    """One rule as ``--fault`` takes it back (``status=503,probability=0.3``): for the banner."""

    def written(value: Any) -> str:
        if isinstance(value, list):
            return "|".join(map(str, value))
        return json.dumps(value) if isinstance(value, bool) else str(value)

    return ",".join(f"{name}={written(value)}" for name, value in spec.items())


def decide(
    args: argparse.Namespace, environ: Mapping[str, str], extra_hosts: Sequence[str] = ()
) -> tuple[AdminToken, AllowedHosts]:
    """The admin token and the served hosts, or the one line (an error) that refuses the start.

    ``extra_hosts``: names served besides ``--allow-host`` (a class's ``--base-url`` host).
    """
    token = read_admin_token(args.admin_token, args.admin_token_file, environ)
    check_exposure(args.host, token)
    given = [*(args.allow_host or ()), *extra_hosts]
    return token, allowed_hosts(args.host, [host_name(name) for name in given])


class StartFailed(Exception):
    """The server cannot start: the one line to print, and the exit code (1: at run time, 2: usage)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, or :class:`StartFailed` naming the port and the fix."""
    from .server import PortInUse, bind  # the server's modules load only once the start is decided

    try:
        return bind(host, port)
    except PortInUse:
        raise StartFailed(
            f"port {port} on {host} is already in use; stop what uses it or pass --port N (0 picks a free port)"
        ) from None
    except OSError as error:
        raise StartFailed(f"cannot listen on {host}:{port}: {error.strerror}") from None


def open_database(db: str | Path, sock: socket.socket) -> Store:
    """The sandbox's store on ``db`` (seeded, migrated, recovered), opened after ``sock`` is bound, so
    that a port in use leaves the database of the sandbox on that port untouched; on failure the
    socket is closed and :class:`StartFailed` says why."""
    from .server import open_store

    try:
        return open_store(db)
    except UnusableDatabase as error:  # its message names the file and the fix
        sock.close()
        raise StartFailed(str(error)) from None
    except (RuntimeError, OSError) as error:
        sock.close()
        raise StartFailed(f"cannot open the database {db}: {error}") from None


def start_warnings(info: Sandbox, token: AdminToken, hosts: AllowedHosts) -> list[str]:
    """What a starting server says on stderr: the token in the process list, an address beyond loopback."""
    warnings = []
    if token.on_command_line:
        warnings.append(FLAG_WARNING)
    if not is_loopback(info.host):
        warnings.append(reachable_text(info.host, info.port, hosts.describe()))
    return warnings


def announce(banner: str, warnings: Sequence[str]) -> None:
    """The banner on stdout, the warnings on stderr, each flushed at once (a supervisor reads them live)."""
    print(banner, flush=True)
    for warning in warnings:
        print(warning, file=sys.stderr, flush=True)


def serve(
    server: Any,
    sock: socket.socket,
    store: Store,
    *,
    banner: str = "",
    warnings: Sequence[str] = (),
    on_stopped: Callable[[], None] | None = None,
) -> None:
    """Print the banner and warnings, then serve on ``sock`` until Ctrl-C, SIGTERM or SIGHUP; then
    close the socket and the database.

    The banner is printed once uvicorn has started (its signal handlers set, the app's lifespan
    begun), inside the stop handling: a user (or a test) answering it with Ctrl-C at once gets a
    clean stop, not uvicorn's traceback of a startup cut short. ``on_stopped`` runs once serving
    has ended, before the database is closed.
    """
    started = server.startup

    async def startup_then_announce(*args: Any, **kwargs: Any) -> None:
        await started(*args, **kwargs)
        if not server.should_exit:
            announce(banner, warnings)

    server.startup = startup_then_announce
    try:
        with _graceful_on_hangup(server):
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        try:
            if on_stopped is not None:
                on_stopped()
        finally:
            store.close()


def fault_rules(texts: Sequence[str] | None) -> tuple[dict[str, Any], ...]:
    """The rules of ``--fault 'status=503,probability=0.3,...'`` (repeatable), each checked now, so a
    wrong one refuses the start (a ``ValueError`` naming the option, the field and the fix)."""
    specs = []
    for text in texts or ():
        try:
            spec = parse_rule_text(text)
            parse_rule(spec)
        except InvalidFaultRule as error:
            raise ValueError(f"--fault {text!r}: {error}") from None
        specs.append(spec)
    return tuple(specs)


def server_settings(
    args: argparse.Namespace, db: str | Path, token: AdminToken, extra_hosts: Sequence[str] = ()
) -> ServerSettings:
    """The settings of a server started from the command line's ``args``."""
    from .server import DEFAULT_RATE_LIMIT, ServerSettings

    return ServerSettings(
        host=args.host,
        port=args.port,
        db=db,
        admin_token=token.value,
        rate_limit=args.rate_limit or DEFAULT_RATE_LIMIT,
        allow_hosts=(*(args.allow_host or ()), *extra_hosts),
        faults=fault_rules(getattr(args, "fault", None)),
    )


def run_sandbox(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Run until interrupted; return the process exit code."""
    try:
        token, hosts = decide(args, os.environ if environ is None else environ)
    except (AdminTokenError, ExposureRefused, ValueError) as error:
        print(f"zen-nb sandbox: {error}", file=sys.stderr)
        return 2
    db = args.db or default_db_path()
    try:
        settings = server_settings(args, db, token)
    except ValueError as error:  # a --fault that cannot be applied
        print(f"zen-nb sandbox: {error}", file=sys.stderr)
        return 2
    try:
        sock = listen(settings.host, settings.port)
        store = open_database(db, sock)
    except StartFailed as error:
        print(f"zen-nb sandbox: {error}", file=sys.stderr)
        return error.exit_code
    info = Sandbox(None, settings.host, sock.getsockname()[1], settings.admin_token)
    where = "a throwaway in-memory database" if str(db) == ":memory:" else f"database {db}"
    from .server import build_server

    server = build_server(settings, store)  # before the banner, which a user may answer with Ctrl-C at once
    banner, warnings = startup_text(info, where, token, hosts, settings.faults)
    serve(server, sock, store, banner=banner, warnings=warnings)
    print("Zen Mesh sandbox stopped.", flush=True)
    return 0
