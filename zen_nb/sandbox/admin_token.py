"""Where the sandbox's admin token comes from: a file, the environment, the command line, or made here.

A token on a command line is in the process list, which every user of the machine can read
(``ps``, ``/proc/PID/cmdline``). So a token of one's own is given in a file
(``--admin-token-file PATH``) or in the environment (``ZEN_SANDBOX_ADMIN_TOKEN``), which other
users cannot read; ``--admin-token VALUE`` stays for older scripts, with a warning, and only on
loopback (see :mod:`.exposure`). The module imports only the standard library, so the CLI can
decide before the server is imported or anything is bound.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..vocabulary import ENV_SANDBOX_ADMIN_TOKEN

GENERATED = "generated"
FLAG = "--admin-token"
FILE_FLAG = "--admin-token-file"
_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]+$")  # what a bearer token can be, sent in a header
_MAX_FILE_BYTES = 4096


class AdminTokenError(ValueError):
    """An admin token that cannot be used: one line naming its source, what is wrong and the fix."""


@dataclass(frozen=True)
class AdminToken:
    """The admin token and how it was given (its value never in the repr)."""

    value: str = field(repr=False)
    source: str = GENERATED  # GENERATED, FLAG, "--admin-token-file PATH", ENV_SANDBOX_ADMIN_TOKEN, ...

    @property
    def generated(self) -> bool:
        """Made by this sandbox at start (and printed for the user), not chosen by the user."""
        return self.source == GENERATED

    @property
    def on_command_line(self) -> bool:
        """Given as ``--admin-token VALUE``, so in the process list."""
        return self.source == FLAG


def new_admin_token() -> AdminToken:
    """A fresh random admin token."""
    return AdminToken("zen_admin_" + secrets.token_urlsafe(18))


def checked(value: str, source: str) -> AdminToken:
    """The token from ``source``, if it can be sent as a bearer token; else :class:`AdminTokenError`."""
    if not _VISIBLE_ASCII.match(value):
        what = "is empty" if not value else "has spaces or characters other than visible ASCII"
        raise AdminTokenError(
            f"the admin token from {source} {what}; give one line of letters, digits and punctuation, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(24))"'
        )
    return AdminToken(value, source)


def read_admin_token(flag: str | None, path: str | None, environ: Mapping[str, str]) -> AdminToken:
    """The admin token as the command was given it: ``--admin-token-file``, then ``--admin-token``,
    then ``ZEN_SANDBOX_ADMIN_TOKEN``; a new one when none is given."""
    if path is not None:
        return checked(_read_file(Path(path)), f"{FILE_FLAG} {path}")
    if flag is not None:
        return checked(flag, FLAG)
    if ENV_SANDBOX_ADMIN_TOKEN in environ:
        return checked(environ[ENV_SANDBOX_ADMIN_TOKEN].strip(), ENV_SANDBOX_ADMIN_TOKEN)
    return new_admin_token()


def _read_file(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_FILE_BYTES + 1)
    except OSError as error:
        raise AdminTokenError(
            f"cannot read the admin token file {path}: {error.strerror or error}; "
            f"write the token into it (one line) or pass another {FILE_FLAG}"
        ) from None
    if len(data) > _MAX_FILE_BYTES:
        raise AdminTokenError(f"the admin token file {path} is larger than {_MAX_FILE_BYTES} bytes; it holds one line")
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise AdminTokenError(
            f"the admin token file {path} is not ASCII text; write the token into it as one line"
        ) from None
