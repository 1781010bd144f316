"""The ``zen-nb`` command. Each subcommand imports what it needs only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .vocabulary import ENV_SANDBOX_ADMIN_TOKEN, SANDBOX_PORT


def _rate_limit(text: str) -> tuple[int, float]:
    """``N`` or ``N/SECONDS``: at most N requests per token per window."""
    count, _, window = text.partition("/")
    try:
        parsed = (int(count), float(window or 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not N or N/SECONDS, e.g. 1000/1") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError("a rate limit needs N >= 1 and SECONDS > 0")
    return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zen-nb", description="The Zen Mesh recipe kit for Jupyter.")
    parser.add_argument("--version", action="version", version=f"zen-nb {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local Zen Mesh sandbox API in the foreground",
        description="Serve the Zen Mesh API on loopback, with a persistent SQLite database, until Ctrl-C.",
    )
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        help=(
            "address to bind (default: 127.0.0.1, loopback only); any other opens the API, with the public demo "
            f"token, to whoever reaches it, and needs an admin token of your own ({ENV_SANDBOX_ADMIN_TOKEN} "
            "or --admin-token-file)"
        ),
    )
    sandbox.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "a name the sandbox answers to in the Host header, besides localhost, loopback addresses and --host "
            "(repeatable); requests naming any other host get a 403, which keeps out web pages that rebind their "
            "name to this machine"
        ),
    )
    sandbox.add_argument(
        "--port",
        type=int,
        default=SANDBOX_PORT,
        help=f"port to listen on (default: {SANDBOX_PORT}; 0 picks a free one)",
    )
    sandbox.add_argument(
        "--db",
        default=None,
        help="SQLite database file (default: sandbox.sqlite3 in your data directory; ':memory:' for a throwaway one)",
    )
    admin = sandbox.add_mutually_exclusive_group()
    admin.add_argument(
        "--admin-token-file",
        default=None,
        metavar="PATH",
        help=(
            f"a file holding the token for the /_sandbox/ admin paths (default: ${ENV_SANDBOX_ADMIN_TOKEN}, "
            "else a new random one, printed)"
        ),
    )
    admin.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="the admin token itself: visible to every user in the process list, so loopback only; prefer the file",
    )
    sandbox.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="N[/SECONDS]",
        help="requests allowed per token per window (default: 1000/1)",
    )

    lab = commands.add_parser(
        "lab",
        help="open the recipes in JupyterLab, against a local sandbox",
        description=(
            "Start the sandbox (database in your data directory) and JupyterLab on the recipe notebooks, "
            "with the five ZEN_* variables set for every kernel. Ctrl-C stops both."
        ),
    )
    lab.add_argument("--port", type=int, default=None, help="JupyterLab's port (default: 8888, or the next free one)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser; just print the address")
    lab.add_argument(
        "--sandbox-port",
        type=int,
        default=SANDBOX_PORT,
        help=f"the sandbox's port (default: {SANDBOX_PORT}; a sandbox already there is used; 0 picks a free one)",
    )
    lab.add_argument("--db", default=None, help="the sandbox's SQLite database (default: as for `zen-nb sandbox`)")
    lab.add_argument(
        "--dir",
        default=None,
        help="the folder of notebooks to open (default: the recipes of this installation)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zen-nb`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        from .sandbox import SandboxNotInstalled, require_server

        try:
            require_server()
        except SandboxNotInstalled as error:
            print(f"zen-nb sandbox: {error}", file=sys.stderr)
            return 2
        from .sandbox.command import run_sandbox

        return run_sandbox(args)
    if args.command == "lab":
        from .lab import run_lab

        return run_lab(args)
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
