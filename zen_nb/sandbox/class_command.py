"""``zen-nb class start``: one sandbox for a room, a tenant and a join code per trainee, until Ctrl-C.

It is ``zen-nb sandbox`` (``command.py``: the same admin token, exposure refusals, binding,
banner and stop on Ctrl-C/SIGTERM/SIGHUP) with a class on top. Everything that can refuse the
start is decided before anything is bound or written: the admin token and the address, the
``--base-url``, the ``--roster`` file (every name checked, duplicates named by line), and
whether there is a class at all. Then the port is bound, the database opened, the trainees
added (a restart keeps every trainee, token, code and progress: names new to the roster, or a
larger ``--trainees``, are added, none removed), the roster CSV written, and the class served.

The other ``zen-nb class`` commands (roster, reset, progress, revoke, new-code) work on the
database file while this one serves it: see ``class_admin.py``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import Sandbox, classroom
from .admin_token import AdminToken, AdminTokenError
from .class_admin import ClassCommandError, class_db, default_class_db, rewrite_roster
from .command import (
    StartFailed,
    admin_token_text,
    decide,
    listen,
    open_database,
    serve,
    server_settings,
    start_warnings,
)
from .data import Store
from .exposure import ExposureRefused
from .hosts import host_name
from .hub_config_file import hub_config_path, write_hub_config
from .roster_file import roster_path

PROG = "zen-nb class"
BOARD_PATH = "/_sandbox/class"
NO_CLASS_FIX = "start it with --trainees N (trainee-01 ...) or --roster FILE (one name a line)"


def run_class_start(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Run ``zen-nb class start``; return the process exit code (0 ok, 1 at run time, 2 usage)."""
    try:
        return start_class(args, os.environ if environ is None else environ)
    except (ClassCommandError, StartFailed) as error:
        print(f"{PROG} start: {error}", file=sys.stderr)
        return error.exit_code


@dataclass(frozen=True)
class BaseUrl:
    """``--base-url``, parsed: what trainees use. ``port`` is None when the URL gave none (the bound one then)."""

    scheme: str
    host: str  # as it goes in a URL: an IPv6 address in brackets
    port: int | None
    served_name: str  # the host as the Host allow-list reads it

    def with_port(self, bound_port: int) -> str:
        return f"{self.scheme}://{self.host}:{self.port or bound_port}"


def parse_base_url(text: str) -> BaseUrl:
    """``http(s)://HOST[:PORT]`` and nothing else (no path, query, user); ValueError saying what is wrong."""
    example = "e.g. --base-url http://10.0.0.5:8765"
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"--base-url {text!r} is not a URL with a valid port; {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--base-url {text!r} is not an http:// or https:// address with a host; {example}")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"--base-url {text!r} must be the class's root address alone (no path, query or user); {example}"
        )
    served = host_name(parts.hostname)  # ValueError for 0.0.0.0 and the like: no address trainees can use
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return BaseUrl(parts.scheme, host, port, served)


def _is_unspecified(host: str) -> bool:
    return host.strip("[]") in ("", "0.0.0.0", "::")


def _roster_names(path: str) -> list[str]:
    """The names of ``--roster FILE``, each checked; one line naming the line number otherwise."""
    try:
        names = classroom.read_roster_file(path)
    except OSError as error:
        raise ClassCommandError(
            f"cannot read the roster file {path}: {error.strerror or error}; pass --roster a text file "
            "of names, one a line"
        ) from None
    except ValueError as error:  # its message names the line and the rule
        raise ClassCommandError(str(error)) from None
    if not names:
        raise ClassCommandError(
            f"the roster file {path} names no trainee; write one name a line (blank lines and # comments are skipped)"
        )
    return names


def _has_data(db: Path) -> bool:
    try:
        return db.stat().st_size > 0
    except OSError:
        return False


def start_class(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Decide, bind, open, enroll, write the roster, print, serve: see the module's docstring."""
    db = class_db(args.db)
    base = parse_base(args.base_url)
    extra_hosts = [base.served_name] if base is not None else []
    try:
        token, hosts = decide(args, environ, extra_hosts)
    except (AdminTokenError, ExposureRefused, ValueError) as error:
        raise ClassCommandError(str(error)) from None
    if base is None and _is_unspecified(args.host):
        raise ClassCommandError(
            f"--host {args.host or '(all)'} listens on every interface, which is no address trainees can use; "
            "also pass --base-url http://THIS-MACHINE'S-ADDRESS[:PORT], the address the room reaches"
        )
    names = _roster_names(args.roster) if args.roster is not None else None
    if names is None and args.trainees is None and not _has_data(db):
        raise ClassCommandError(f"there is no class in {db} yet: {NO_CLASS_FIX}")
    hub_config = hub_config_path(getattr(args, "hub_config", None), roster_path(db))

    settings = server_settings(args, db, token, extra_hosts)
    sock = listen(settings.host, settings.port)
    store = open_database(db, sock)
    port = sock.getsockname()[1]
    info = Sandbox(None, settings.host, port, settings.admin_token)
    base_url = base.with_port(port) if base is not None else info.base_url

    def roster_changed() -> None:
        rewrite_roster(store, db, base_url)

    try:
        kept, added = _enroll(store, db, names, args.trainees)
        roster_changed()
        if hub_config is not None:
            write_hub_config(hub_config, roster_path(db), db)
        # Built before the banner: whoever reads it may press Ctrl-C at once, and must meet a server that stops.
        from .server import build_server

        server = build_server(settings, store)
        _offer_roster_hook(server, roster_changed)
    except BaseException:
        sock.close()
        store.close()
        raise
    banner = class_banner(info, base_url, db, token, kept, added, hub_config)
    serve(server, sock, store, banner=banner, warnings=start_warnings(info, token, hosts), on_stopped=roster_changed)
    print("Zen Mesh class stopped.", flush=True)
    return 0


def parse_base(text: str | None) -> BaseUrl | None:
    if text is None:
        return None
    try:
        return parse_base_url(text)
    except ValueError as error:
        raise ClassCommandError(str(error)) from None


def _enroll(store: Store, db: Path, names: Sequence[str] | None, count: int | None) -> tuple[int, int]:
    """Add the trainees asked for; (how many the class had, how many were added)."""
    existing = [trainee.name for trainee in classroom.roster(store)]
    if names is None and count is None and not existing:
        raise StartFailed(f"there is no class in {db} yet: {NO_CLASS_FIX}", exit_code=2)
    if count is not None:
        names = classroom.numbered_names(count, existing)
    try:
        added = classroom.enroll(store, names or [])
    except ValueError as error:
        raise StartFailed(str(error), exit_code=2) from None
    return len(existing), len(added)


def _offer_roster_hook(server: Any, changed: Callable[[], None]) -> None:
    """Let the class routes rewrite the roster CSV after a change made over HTTP (new trainees, codes).

    The routes call ``app.state.roster_changed()`` when it is set (a sandbox without a class
    command behind it has none). A roster that cannot be written then is said on stderr, and the
    request that changed the class still succeeds: the database holds the change, and the file is
    written again at the next change and when the class stops.
    """

    def rewrite_or_warn() -> None:
        try:
            changed()
        except ClassCommandError as error:
            print(f"warning: {error}", file=sys.stderr, flush=True)

    app = getattr(server.config, "app", None)
    state = getattr(app, "state", None)
    if state is not None:
        state.roster_changed = rewrite_or_warn


def class_banner(
    info: Sandbox, base_url: str, db: Path, token: AdminToken, kept: int, added: int, hub_config: Path | None = None
) -> str:
    """What ``zen-nb class start`` prints (stdout): where, who, the roster, the board, what trainees do.

    No token and no join code: those are in the roster file only (a trainer's screen is often
    projected). The admin token is shown as ``zen-nb sandbox`` shows it.
    """
    db_flag = f" --db {shlex.quote(str(db))}" if db != default_class_db() else ""
    total = kept + added
    lines = [
        f"Zen Mesh class serving {info.base_url} (database {db})",
        f"Base URL:    {base_url}  (what the roster gives trainees)",
        f"Trainees:    {total} (kept {kept}, added {added})",
        f"Roster:      {roster_path(db)}  (each trainee's token and join code: keep it private)",
        f"Board:       {base_url}{BOARD_PATH}  (the browser asks for a password: the admin token, any user name)",
        f"Admin token: {admin_token_text(info.host, token)}  (for the board, zen_nb.class_progress() and /_sandbox/)",
        *_hub_lines(hub_config),
        f'To join:     zen_nb.setup() in a notebook, ZEN_API_BASE {base_url} and their join code, then "Join class";',
        f'             or zen_nb.join("THEIR-CODE", "{base_url}") in a cell',
        f"             (or %zen_join THEIR-CODE --api-base {base_url}).",
        f"In another terminal: zen-nb class roster|progress|reset TRAINEE|revoke TRAINEE|new-code TRAINEE{db_flag}",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _hub_lines(hub_config: Path | None) -> list[str]:
    """The banner's lines on ``--hub-config``: the file, and what a hub user logs in as."""
    if hub_config is None:
        return []
    return [
        f"Hub config:  {hub_config}  (JupyterHub: each trainee logs in as their name in lower case, dashes",
        "             for spaces, e.g. trainee-01, their join code as the password; their server starts joined)",
    ]
