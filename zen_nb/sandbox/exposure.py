"""Listening beyond loopback: when the sandbox refuses to, and what it says becomes reachable.

On loopback only this machine reaches the sandbox. On any other address (``0.0.0.0``, a
room's network) whoever reaches the port gets the API with the demo tenant's token, which is
public (``zen_test_sandbox_demo_token``; no route changes it), and through that tenant the
sandbox's deliveries to ``http`` targets on this machine's loopback. What must stay the
operator's is the admin token: ``/_sandbox/`` resets the database and makes tenants. So
beyond loopback the sandbox starts only with an admin token the user chose and keeps out of
the process list (:mod:`.admin_token`):

- a generated token (the default, printed to the terminal) is refused: the user made no
  choice, and the banner would show it to whoever sees the screen or its scrollback;
- ``--admin-token VALUE`` is refused: any user of the machine reads it in ``ps``;
- a token shorter than :data:`MIN_ADMIN_TOKEN_LENGTH`, or the demo token itself, is refused.

The decision (:func:`refusal`) needs only the arguments, so the CLI makes it before anything
is bound or opened. Imports: the standard library and the vocabulary only.
"""

from __future__ import annotations

import ipaddress

from ..vocabulary import ENV_SANDBOX_ADMIN_TOKEN
from .admin_token import FILE_FLAG, FLAG, AdminToken
from .seed import DEMO_TENANT_ID, DEMO_TOKEN

MIN_ADMIN_TOKEN_LENGTH = 16
OWN_TOKEN = f"{FILE_FLAG} PATH (a file only you can read) or {ENV_SANDBOX_ADMIN_TOKEN}"


class ExposureRefused(ValueError):
    """The sandbox will not listen on this address with this admin token: why, and the fix, in one line."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host``: ``localhost`` or a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # another name: it may resolve to any interface


def _where(host: str) -> str:
    try:
        every = ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        every = host == ""
    return f"{host or '(all)'}, every network interface of this machine" if every else f"{host}, beyond loopback"


def refusal(host: str, token: AdminToken) -> str | None:
    """Why the sandbox must not listen on ``host`` with ``token``, with the fix; None when it may."""
    if is_loopback(host):
        return None
    keep = "or keep the default --host 127.0.0.1"
    if token.generated:
        return (
            f"refusing to listen on {_where(host)}, with the public demo token and a generated admin token "
            f"printed to this terminal; choose an admin token of your own and give it with {OWN_TOKEN}, {keep}"
        )
    if token.on_command_line:
        return (
            f"refusing {FLAG} on {host}: a token on the command line is in the process list for every user "
            f"of this machine to read; give it with {OWN_TOKEN}, {keep}"
        )
    if token.value == DEMO_TOKEN:
        return f"refusing to listen on {host} with the public demo token as the admin token; choose another one"
    if len(token.value) < MIN_ADMIN_TOKEN_LENGTH:
        return (
            f"refusing to listen on {host} with an admin token of {len(token.value)} characters (from "
            f"{token.source}); beyond loopback it needs at least {MIN_ADMIN_TOKEN_LENGTH}, e.g. "
            'python -c "import secrets; print(secrets.token_urlsafe(24))"'
        )
    return None


def check_exposure(host: str, token: AdminToken) -> None:
    """Raise :class:`ExposureRefused` when :func:`refusal` has a reason."""
    reason = refusal(host, token)
    if reason is not None:
        raise ExposureRefused(reason)


def reachable_text(host: str, port: int, served: str) -> str:
    """What listening on ``host`` opens, said plainly (for a sandbox :func:`refusal` lets start).

    ``served`` lists the ``Host`` names it answers to (:meth:`.hosts.AllowedHosts.describe`).
    """
    return (
        f"warning: listening on {_where(host)}. Whoever can reach port {port} of this machine can use "
        f"the API as the demo tenant ({DEMO_TENANT_ID}) with its public token {DEMO_TOKEN}: read and change "
        "its flows and targets, ingest events, and have this sandbox POST them to http targets on this "
        "machine's loopback. The /_sandbox/ paths (reset, new tenants, outcome models) need the admin token, "
        "which is not shown here. For a class, give every trainee a tenant of their own "
        "(POST /_sandbox/tenants) and keep nothing of yours on the demo tenant. "
        f"The sandbox answers to the Host names {served}; add this machine's name with --allow-host NAME."
    )
