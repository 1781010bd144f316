"""Join codes: what a trainee types to join a class, drawn, shown and read back in one place.

A code is 8 symbols of Crockford's base32 (no I, L, O or U: nothing to misread when it is read
out or written on a board), drawn from :mod:`secrets`: 40 bits. Shown as ``XXXX-XXXX``; stored
as its 8 symbols. Reading one back forgives what people do to codes: lowercase, a missing or
extra dash, spaces, an ``O`` for a zero, an ``I`` or ``L`` for a one. :data:`CODE_PATTERN` is
exactly what :func:`normalise_code` accepts, so the OpenAPI document and the server agree.

Stdlib only: the CLI reads codes without the server's dependencies.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
MAX_INPUT_LENGTH = 64
# Outer whitespace, then the 8 symbols (any case; O, I and L allowed for 0 and 1) with dashes and
# spaces anywhere between them.
CODE_PATTERN = r"^[\t\n\r ]*[ -]*(?:[0-9A-TV-Za-tv-z][ -]*){8}[\t\n\r ]*$"
_CODE_RE = re.compile(CODE_PATTERN)
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_RULE = "8 letters and digits, shown as XXXX-XXXX (for example K7QM-3XPD)"


def new_code() -> str:
    """A new random code, in its stored form (8 symbols, no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(stored: str) -> str:
    """A stored code as people read it: ``K7QM3XPD`` -> ``K7QM-3XPD``."""
    return f"{stored[:4]}-{stored[4:]}"


def normalise_code(text: object) -> str | None:
    """The stored form of what someone typed, or None when it cannot be a code (wrong length, a
    symbol outside the alphabet, not text at all)."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH or not _CODE_RE.fullmatch(text):
        return None
    return re.sub(r"[^0-9A-Za-z]", "", text).upper().translate(_MISREAD)
