"""Where a delivery may go: one strict reading of a target URL, shared by the check and the connection.

The sandbox never leaves the machine: only an ``http`` target whose URL names this machine gets a
real POST; every other target is simulated. A check that reads a URL one way while the HTTP library
reads it another is no check (``http://evil.example\\@127.0.0.1/`` is 127.0.0.1 to ``urlsplit`` and
evil.example to urllib3), so a target URL must mean the same to every parser, or it is refused:
no backslash, no ``user@``, no percent-encoded or non-ASCII host, no IPv4 address in decimal,
octal or short form (``http://2130706433/`` is 127.0.0.1 to a browser and a name to ``ipaddress``),
no IPv6 zone; the two parsers must agree on scheme, host and port. :data:`URL_PATTERN` is the same
rule for the served JSON Schema.

The host is resolved once, every address it resolves to must be loopback, and the connection is
made to those addresses, never to the name (see ``loopback_post.py``), so that no second DNS answer
can move it. Only ``localhost`` is resolved, as Jupyter Server's ``local_hostnames`` does: any
other name is simulated without a DNS query, since a query would itself leave the machine.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

__all__ = ["URL_PATTERN", "Destination", "RefusedDestination", "destination_of", "url_problem"]

LOCAL_HOSTNAMES = ("localhost",)  # the names resolved (to loopback only); Jupyter Server's default

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = r"[0-9A-Fa-f]{1,4}"
# RFC 4291 text forms without an embedded IPv4 part (write that address as IPv4, unbracketed).
_IPV6 = (
    rf"(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,7}}:|(?:{_H}:){{1,6}}:{_H}|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}|:(?:(?::{_H}){{1,7}}|:))"
)
# A DNS name whose last label does not start with a digit (one that does must be an IPv4 address).
_NAME = r"(?:[A-Za-z0-9_-]+\.)*[A-Za-z_-][A-Za-z0-9_-]*\.?"
_HOST = rf"(?:{_NAME}|{_IPV4}|\[{_IPV6}\])"
# Every target URL the API accepts, and no other (JSON Schema's ECMA-262 dialect and Python's agree).
URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://{_HOST}(?::[0-9]*)?(?:[/?#][^\x00-\x20\x7f\\]*)?$"
_HOST_CHARS = re.compile(r"[A-Za-z0-9._-]*")


class RefusedDestination(Exception):
    """A target URL that no request may be made to; ``code`` is the attempt's ``errorCode``.

    The message names the problem and never holds the URL's path or query (they may hold a secret).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Destination:
    """Where one real POST goes: the checked loopback ``addresses`` to connect to (in resolution
    order), and the URL's own host and port for the ``Host`` header and TLS."""

    scheme: str
    host: str  # lowercase, without brackets
    port: int
    addresses: tuple[str, ...]
    target: str = field(repr=False)  # the request target (path and query): it may carry a secret

    @property
    def host_header(self) -> str:
        """The ``Host`` header as the URL names it (the port only when it is not the scheme's default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def url_problem(url: str) -> str | None:
    """Why a target URL is refused (the problem and its fix, ready for a 400), or None when it is fine.

    A port out of range is not a problem here (it is unambiguous: every parser refuses it); an
    attempt to such a URL fails ``invalid_url``.
    """
    bad = next((char for char in url if char <= " " or char == "\x7f"), None)
    if bad is not None:
        return f"must not contain spaces or control characters (found {bad!r}); percent-encode them (a space is %20)"
    if "\\" in url:
        return (
            "must not contain a backslash: HTTP libraries disagree on it (some read it as '/', which moves "
            "the host); write '/' or percent-encode it as %5C"
        )
    try:
        parts = urlsplit(url)
    except ValueError as error:
        return f"is not a valid URL ({error})"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http:// or https:// URL"
    if "@" in parts.netloc:
        return "must not carry a user name or password ('user:password@' before the host); remove it"
    problem = _authority_problem(parts.netloc)
    if problem is None and not re.fullmatch(URL_PATTERN, url):
        problem = "is not an http:// or https:// URL with a plain host"
    return problem or _disagreement(url)


def _authority_problem(authority: str) -> str | None:
    if authority.startswith("["):
        host, _, port = authority[1:].partition("]")
        if port and not port.startswith(":"):
            return "after an IPv6 address in brackets only ':port' may follow"
        port = port[1:]
        problem = _ipv6_problem(host)
    else:
        host, _, port = authority.partition(":")
        problem = _host_problem(host)
    if problem is None and port and not (port.isascii() and port.isdigit()):
        return "the port must be a number, e.g. http://127.0.0.1:8000/"
    return problem


def _ipv6_problem(host: str) -> str | None:
    if "%" in host:
        return "an IPv6 address must not carry a zone ('%...'); write it without, e.g. [::1]"
    if "." in host:
        return "write an IPv4 address as it is, without brackets (e.g. 127.0.0.1, not [::ffff:127.0.0.1])"
    if not re.fullmatch(_IPV6, host):
        return "the brackets must hold an IPv6 address, e.g. [::1]"
    return None


def _host_problem(host: str) -> str | None:
    if not host:
        return "must be an absolute http:// or https:// URL with a host"
    if "%" in host:
        return "the host must not be percent-encoded; write it in plain letters and digits"
    if not host.isascii():
        try:
            ascii_form = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "the host must be written in ASCII letters, digits, '-', '_' and '.'"
        return f"write the host in ASCII (its IDNA form): '{ascii_form}'"
    if not _HOST_CHARS.fullmatch(host):
        return "the host may hold only letters, digits, '-', '_' and '.'"
    labels = host.removesuffix(".").split(".")
    if "" in labels:
        return "the host has an empty label ('..' or a leading '.')"
    if labels[-1][:1].isdigit() and not re.fullmatch(_IPV4, host):
        return (
            f"a host ending in a number must be an IPv4 address in dotted-decimal form (four numbers from 0 to "
            f"255, no leading zeros, e.g. 127.0.0.1); '{host}' is read differently by different libraries"
        )
    return None


def _disagreement(url: str) -> str | None:
    """The last guard: ``urlsplit`` and urllib3 (what the connection uses) must read the same place."""
    ours = urlsplit(url)
    try:
        port = ours.port
    except ValueError:
        return None  # out of range: every parser refuses it, so there is nothing to disagree on
    try:
        theirs = parse_url(url)
    except (LocationParseError, ValueError):
        return "cannot be read by urllib3, the HTTP library that delivers it; write it plainly"
    if (theirs.host or "").strip("[]").lower() != (ours.hostname or ""):
        return "HTTP libraries read this URL's host differently; write the host plainly"
    if (theirs.scheme or "") != ours.scheme:
        return "HTTP libraries read this URL's scheme differently; start it with http:// or https://"
    if theirs.port != port:
        return "HTTP libraries read this URL's port differently; write the port as a plain number"
    return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address as it is connected to (an IPv4-mapped IPv6 address is its IPv4 address)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


Resolver = Callable[..., list[tuple[Any, ...]]]


def destination_of(url: str, resolve: Resolver | None = None) -> Destination | None:
    """Where a real POST to ``url`` goes, or None when the URL is not on this machine (it is simulated).

    Raises :class:`RefusedDestination` for a URL that no request may be made to: ``invalid_url``
    (ambiguous or unusable), ``destination_not_loopback`` (a local name that resolves off loopback,
    even in part), ``connection_error`` (a local name that does not resolve). ``resolve`` is
    ``socket.getaddrinfo`` unless given.
    """
    problem = url_problem(url)
    if problem is not None:
        raise RefusedDestination("invalid_url", f"the target's URL is refused: {problem}")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise RefusedDestination("invalid_url", "the target URL's port must be a number from 1 to 65535")
    port = port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    address = _address(host)
    if address is None and host not in LOCAL_HOSTNAMES or address is not None and not address.is_loopback:
        return None
    addresses = (str(address),) if address is not None else _resolve(host, port, resolve or socket.getaddrinfo)
    try:
        target = parse_url(url).request_uri
    except (LocationParseError, ValueError):
        raise RefusedDestination("invalid_url", "the target's URL cannot be read by urllib3") from None
    return Destination(parts.scheme, host, port, addresses, target)


def _resolve(host: str, port: int, resolve: Resolver) -> tuple[str, ...]:
    """Every address ``host`` resolves to, once; each one must be loopback."""
    try:
        answers = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedDestination("connection_error", f"the target's host '{host}' does not resolve") from None
    found: list[str] = []
    for answer in answers:
        address = _address(str(answer[4][0]))
        if address is None or not address.is_loopback:
            raise RefusedDestination(
                "destination_not_loopback",
                f"the target's host '{host}' resolves to {answer[4][0]}, not a loopback address: the sandbox "
                "delivers only to this machine",
            )
        if str(address) not in found:
            found.append(str(address))
    if not found:
        raise RefusedDestination("connection_error", f"the target's host '{host}' does not resolve")
    return tuple(found)
