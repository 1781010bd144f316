"""Masking a target's secrets wherever the kit shows, prints or raises something.

The API echoes a target's ``config`` with its secrets (``apiKey``, ``webhookSecret``...), as the
vendor's recipe shows; the client keeps them in the dict (the caller may need them), but every
repr, HTML table, DataFrame, generated snippet, error message and error ``.body`` goes through
:func:`masked`, so a notebook saved or shared on screen never carries one. A key is secret when
its name contains one of :data:`SECRET_WORDS`, in any case and spelling (``api_key``, ``apiKey``,
``X-Hub-Signature``), the list the vendor's own redaction of saved payloads uses, and a few more;
and the password of a URL's user information (``https://user:<hidden>@host``) wherever it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

SECRET_WORDS = (
    "secret",
    "key",
    "token",
    "password",
    "passwd",
    "signature",
    "credential",
    "authorization",
    "cookie",
    "private",
)
MASK = "<hidden>"
"""What a secret value shows as (its length and characters are not shown either)."""

# The password of a URL's user information (``https://user:pass@host/...``, RFC 3986 3.2.1): an
# http target's url may carry one, under a key (``url``) that is not secret-looking itself.
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*:)([^\s/@]+)(@)")


def is_secret_key(key: object) -> bool:
    """Whether a field of this name holds a secret (``webhookSecret``, ``api_key``, ``Authorization``)."""
    name = str(key).lower()
    return any(word in name for word in SECRET_WORDS)


def masked(value: Any) -> Any:
    """A copy of a JSON-like value with the value under every secret-looking key replaced by :data:`MASK`.

    Nested dicts and lists are masked too; a mapping keeps its type when it can be rebuilt from
    a dict (an :class:`~zen_nb.objects.ApiObject` stays one), so a masked object still shows
    as its kind. Anything else comes back unchanged.
    """
    if isinstance(value, Mapping):
        items = {key: MASK if is_secret_key(key) and item is not None else masked(item) for key, item in value.items()}
        try:
            return type(value)(items)
        except TypeError:
            return items
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, tuple):
        return tuple(masked(item) for item in value)
    if isinstance(value, str):
        return _URL_PASSWORD.sub(lambda found: found[1] + MASK + found[3], value)
    return value


def secret_values(value: Any) -> Iterator[str]:
    """Every secret text in a JSON-like value (under a secret-looking key): what an error text must not show."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if is_secret_key(key):
                yield from _texts(item)
            else:
                yield from secret_values(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from secret_values(item)
    elif isinstance(value, str):
        yield from (found[2] for found in _URL_PASSWORD.finditer(value))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) >= 4:
        yield str(value)  # a shorter value would mask ordinary words of a message
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def redact_text(text: str, secrets: Iterator[str] | list[str]) -> str:
    """``text`` with each of ``secrets`` replaced by :data:`MASK` (the longest first, so none is left half-shown)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
