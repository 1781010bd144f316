"""Identifiers, tokens and request ids: random, prefixed by their type (contract section 2)."""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    """A new id such as ``flow_3k9x...``: the type prefix, then random lowercase letters and digits."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_request_id() -> str:
    """The id every response carries in ``X-Request-Id`` (and an error body in ``requestId``)."""
    return "req_" + secrets.token_hex(12)


def new_token() -> str:
    """A new tenant API token. Only its digest is stored."""
    return "zen_test_" + secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, so a copied database leaks no token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
