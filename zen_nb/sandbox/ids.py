"""Identifiers, tokens and request ids: random, prefixed by their type (contract section 2)."""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    """A new id such as ``flow_3k9x...``: the type prefix, then random lowercase letters and digits.

    One draw from the system's randomness per id, written in base 36 (a simulation makes
    hundreds of thousands of ids: a draw per character was most of its time).
    """
    number = secrets.randbelow(len(_ALPHABET) ** length)
    characters = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        characters.append(_ALPHABET[digit])
    return f"{prefix}_" + "".join(characters)


def new_request_id() -> str:
    """The id every response carries in ``X-Request-Id`` (and an error body in ``request_id``)."""
    return "req_" + secrets.token_hex(12)


def new_token() -> str:
    """A new tenant API token. Only its digest is stored."""
    return "zen_test_" + secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, so a copied database leaks no token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
