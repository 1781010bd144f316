"""Values written into code for a user to paste: each as a literal of its language, and nothing more.

A value the kit writes into a snippet or a command may come from a server (an id in a list) or
from a user (a description), and the user runs what the kit wrote. Each function here turns any
such value into text that the language reads back as exactly that value and never as code:

- a shell word in single quotes (:func:`shlex.quote`), where nothing expands;
- a Python literal with every character that is not printable escaped (newlines, line and
  paragraph separators, bidirectional controls that could make code read otherwise than it runs);
- a JavaScript literal as JSON with only ASCII, and ``<``, ``>`` and ``&`` escaped as well, as
  Django's ``json_script`` does, so that it is also safe inside an HTML ``<script>``;
- a URL path segment, percent-encoded as the client encodes it (only ``A-Z a-z 0-9 _ . - ~`` stay).
"""

from __future__ import annotations

import json
import math
import shlex
from typing import Any
from urllib.parse import quote

_PYTHON_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_JAVASCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def shell_word(value: str) -> str:
    """``value`` as one word of a POSIX shell command line (bash, zsh, sh), with nothing expanded."""
    return shlex.quote(value)


def url_segment(value: str) -> str:
    """``value`` as one segment of a URL path: a ``/``, ``?`` or ``#`` in it cannot change the path."""
    return quote(value, safe="", errors="surrogatepass")


def _python_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _PYTHON_ESCAPES:
            out.append(_PYTHON_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            number = ord(char)
            out.append(
                f"\\x{number:02x}" if number < 0x100 else f"\\u{number:04x}" if number < 0x10000 else f"\\U{number:08x}"
            )
    out.append('"')
    return "".join(out)


def python_literal(value: Any, indent: int | None = None, _level: int = 0) -> str:
    """A Python expression that evaluates to ``value`` (JSON-like data: dict, list, str, number, bool, None).

    With ``indent``, objects and lists are laid out as ``json.dumps(value, indent=indent)`` lays
    them out, so the literal reads like the JSON the request sends.
    """
    if isinstance(value, str):
        return _python_string(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if isinstance(value, dict):
        parts = [f"{python_literal(key)}: {python_literal(item, indent, _level + 1)}" for key, item in value.items()]
        return _layout("{", parts, "}", indent, _level)
    if isinstance(value, (list, tuple)):
        return _layout("[", [python_literal(item, indent, _level + 1) for item in value], "]", indent, _level)
    raise TypeError(f"cannot write a {type(value).__name__} as a Python literal: give JSON-like data")


def _layout(opening: str, parts: list[str], closing: str, indent: int | None, level: int) -> str:
    if not parts:
        return opening + closing
    if indent is None:
        return opening + ", ".join(parts) + closing
    inner = " " * (indent * (level + 1))
    return opening + "\n" + ",\n".join(inner + part for part in parts) + "\n" + " " * (indent * level) + closing


def javascript_literal(value: Any, indent: int | None = None) -> str:
    """A JavaScript expression that evaluates to ``value`` (JSON-like data), safe in a template or a page.

    JSON with ``ensure_ascii`` escapes every non-ASCII character (U+2028 and U+2029 included,
    which older engines read as line ends); ``<``, ``>`` and ``&`` occur only inside strings in
    JSON, so escaping them there changes no value and keeps ``</script>`` out.
    """
    text = json.dumps(value, indent=indent, ensure_ascii=True)
    return "".join(_JAVASCRIPT_ESCAPES.get(char, char) for char in text)
