"""The ``zen-nb`` command. Each subcommand imports what it needs only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .vocabulary import ENV_SANDBOX_ADMIN_TOKEN, SANDBOX_PORT

MAX_TRAINEES = 500  # as sandbox.classroom.MAX_TRAINEES (not imported: the CLI stays light)


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


def _add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The options a served sandbox takes, the same for ``zen-nb sandbox`` and ``zen-nb class start``."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help=(
            "address to bind (default: 127.0.0.1, loopback only); any other opens the API, with the public demo "
            f"token, to whoever reaches it, and needs an admin token of your own ({ENV_SANDBOX_ADMIN_TOKEN} "
            "or --admin-token-file)"
        ),
    )
    parser.add_argument(
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
    parser.add_argument(
        "--port",
        type=int,
        default=SANDBOX_PORT,
        help=f"port to listen on (default: {SANDBOX_PORT}; 0 picks a free one)",
    )
    admin = parser.add_mutually_exclusive_group()
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
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="N[/SECONDS]",
        help="requests allowed per token per window (default: 1000/1)",
    )


def _class_size(text: str) -> int:
    """``--trainees N``: a class of 1 to MAX_TRAINEES."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of trainees, e.g. 30") from None
    if not 1 <= count <= MAX_TRAINEES:
        raise argparse.ArgumentTypeError(f"a class has 1 to {MAX_TRAINEES} trainees")
    return count


CLASS_DB_HELP = "the class's SQLite database (default: class.sqlite3 in your data directory)"


def _add_class_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``zen-nb class start|roster|reset|progress|revoke|new-code``."""
    group = commands.add_parser(
        "class",
        help="run a training class: one sandbox, a tenant and a join code per trainee, a progress board",
        description=(
            "Start a class (`zen-nb class start --trainees 30`), then, from another terminal while it runs, "
            "look at its roster and progress, reset a trainee, or revoke and renew join codes. Every command "
            "works on the class's database file (--db); the roster CSV beside it holds the tokens."
        ),
    )
    sub = group.add_subparsers(dest="class_command", metavar="SUBCOMMAND", required=True)

    start = sub.add_parser(
        "start",
        help="create (or reopen) the class and serve it until Ctrl-C",
        description=(
            "Add the trainees to the class in --db (a restart keeps every trainee, token, join code and their "
            "progress), write the roster CSV beside it (mode 0600), print the addresses and serve until "
            "Ctrl-C, SIGTERM or SIGHUP."
        ),
    )
    who = start.add_mutually_exclusive_group()
    who.add_argument(
        "--trainees",
        type=_class_size,
        default=None,
        metavar="N",
        help="trainee-01 ... trainee-NN (again with a larger N: the new ones are added; none is ever removed)",
    )
    who.add_argument(
        "--roster",
        default=None,
        metavar="FILE",
        help="a text file of trainee names, one a line (# comments and blank lines skipped); new names are added",
    )
    _add_server_arguments(start)
    start.add_argument("--db", default=None, help=CLASS_DB_HELP + "; the roster CSV is written beside it")
    start.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help=(
            "the address trainees use, when it is not the one bound (e.g. --host 0.0.0.0 --base-url "
            "http://10.0.0.5:8765); the roster and the banner give it, and its host is served. Without a port, "
            "the port the class listens on"
        ),
    )

    start.add_argument(
        "--hub-config",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help=(
            "also write a jupyterhub_config.py that gives each hub user their trainee's ZEN_* values from the "
            "roster (FILE, or <db stem>-jupyterhub_config.py beside the roster); see notebooks/training/README.md"
        ),
    )

    roster = sub.add_parser("roster", help="the trainees, their tenants and join codes, and who joined (no tokens)")
    roster.add_argument("--db", default=None, help=CLASS_DB_HELP)

    reset = sub.add_parser("reset", help="put a trainee's tenant (or every one) back to the seed")
    _add_trainee_or_all(reset, "the trainee to reset")
    reset.add_argument("--keep-progress", action="store_true", help="keep the exercises the trainee has passed")
    reset.add_argument("--db", default=None, help=CLASS_DB_HELP)

    progress = sub.add_parser("progress", help="a table of trainees and the exercises each has passed")
    progress.add_argument("--db", default=None, help=CLASS_DB_HELP)

    revoke = sub.add_parser(
        "revoke", help="revoke a trainee's join code (or every one) and replace the token it gave: the code answers 410"
    )
    _add_trainee_or_all(revoke, "the trainee whose join code to revoke")
    revoke.add_argument("--db", default=None, help=CLASS_DB_HELP)

    new_code = sub.add_parser("new-code", help="give a trainee a new join code (the old one is revoked)")
    new_code.add_argument("trainee", metavar="TRAINEE", help="the trainee's name, as `zen-nb class roster` lists it")
    new_code.add_argument("--db", default=None, help=CLASS_DB_HELP)


def _add_trainee_or_all(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("trainee", nargs="?", default=None, metavar="TRAINEE", help=f"{what}, as the roster names it")
    parser.add_argument("--all", action="store_true", help="every trainee of the class")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zen-nb", description="The Zen Mesh recipe kit for Jupyter.")
    parser.add_argument("--version", action="version", version=f"zen-nb {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local Zen Mesh sandbox API in the foreground",
        description="Serve the Zen Mesh API on loopback, with a persistent SQLite database, until Ctrl-C.",
    )
    _add_server_arguments(sandbox)
    sandbox.add_argument(
        "--db",
        default=None,
        help="SQLite database file (default: sandbox.sqlite3 in your data directory; ':memory:' for a throwaway one)",
    )
    sandbox.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="RULE",
        help="a fault rule in force from the start, key=value pairs (repeatable), e.g. "
        "'status=503,probability=0.3,methods=POST,path=/tenants/*/clusters/*/delivery-flows'; see /_sandbox/faults",
    )
    _add_class_commands(commands)

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


def _server_installed(command: str) -> bool:
    """Whether the sandbox's server can start; if not, say what to install (one line on stderr)."""
    from .sandbox import SandboxNotInstalled, require_server

    try:
        require_server()
    except SandboxNotInstalled as error:
        print(f"{command}: {error}", file=sys.stderr)
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zen-nb`` console script."""
    args = build_parser().parse_args(argv)
    if args.command in ("sandbox", "class") and not _server_installed(f"zen-nb {args.command}"):
        return 2
    if args.command == "sandbox":
        from .sandbox.command import run_sandbox

        return run_sandbox(args)
    if args.command == "class":
        if args.class_command == "start":
            from .sandbox.class_command import run_class_start

            return run_class_start(args)
        from .sandbox.class_admin import run_class_admin  # the database alone: no server imported

        return run_class_admin(args)
    if args.command == "lab":
        from .lab import run_lab

        return run_lab(args)
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
