"""The ``Host`` allow-list: the sandbox answers only to the names it serves, as Jupyter Server does.

A web page cannot read the sandbox's answers across origins (it sends no CORS headers), but
a page whose DNS name its owner rebinds to 127.0.0.1 is then same-origin with the sandbox in
the browser's eyes, and could use the public demo token. Such a request still carries the
page's own name in ``Host``; :class:`HostMiddleware` refuses it (403 ``host_not_allowed``)
before any other middleware or route runs, on every path (``/health``, ``/docs`` and
``/_sandbox/`` included).

What is served (:func:`allowed_hosts`), on any port (an SSH or container port forward
changes the port, and a rebinding page must match the port anyway):

- ``localhost`` and every loopback address (``127.0.0.1``, ``[::1]``), as Jupyter's
  ``local_hostnames`` and its loopback check;
- the name or address given to ``--host``; bound to every interface (``0.0.0.0``, ``::``),
  any IP address: an address literal cannot be rebound, so the room reaches the sandbox by
  the machine's address with no configuration;
- each name given to ``--allow-host`` (say, the machine's name on the room's network).

A request without ``Host`` (HTTP/1.0) cannot come from a browser, and is served.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..vocabulary import SANDBOX_PORT
from .asgi import ASGIApp, Receive, Scope, Send, send_error
from .errors import ApiError

LOCAL_NAMES = ("localhost",)
# A registered name or IPv4 literal as RFC 3986 allows in a Host (no userinfo, no '%' escapes).
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$")
_PORT = re.compile(r"^[0-9]{0,5}$")
_SHOWN_MAX = 100  # characters of a rejected Host echoed in the error message

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def split_host(value: str) -> str | None:
    """The host of a ``Host`` header value (``name[:port]``, ``[v6][:port]``), lowercased and
    without brackets; None when the value is not a host."""
    value = value.strip().lower()
    if value.startswith("["):
        host, bracket, port = value[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        port = port[1:]
        if _address(host) is None:
            return None
    else:
        host, _, port = value.partition(":")
        if ":" in port or not _NAME.match(host):
            return None
    return host if _PORT.match(port) else None


def host_name(text: str) -> str:
    """A name or address as ``--allow-host`` takes it (``trainer.local``, ``10.0.0.5``, ``[fe80::1]``),
    normalised as :func:`split_host` reads a ``Host``; ValueError, saying what is wrong, otherwise."""
    stripped = text.strip()
    bare = stripped[1:-1] if stripped.startswith("[") and stripped.endswith("]") else stripped
    address = _address(bare)
    if address is not None and address.is_unspecified:
        raise ValueError(
            f"{text!r} names no host (it means every interface); a sandbox bound there with --host already "
            "answers to any IP address"
        )
    if address is not None:
        return bare.lower()
    host = split_host(stripped)
    if host is None or ":" in stripped:
        raise ValueError(f"{text!r} is not a host name or address (give the name alone, without a port or scheme)")
    return host


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class AllowedHosts:
    """The hosts one sandbox serves: names, addresses, and whether any address literal is."""

    names: frozenset[str]
    addresses: frozenset[IPAddress]
    any_address: bool = False

    def allows(self, host: str) -> bool:
        """Whether a host (as :func:`split_host` returns it) is one this sandbox serves."""
        address = _address(host)
        if address is None:
            return host in self.names
        return self.any_address or address.is_loopback or address in self.addresses

    def describe(self) -> str:
        """The served hosts, for an error message."""
        shown = list(LOCAL_NAMES) + ["127.0.0.1", "[::1]"]
        shown += sorted(name for name in self.names if name not in shown)
        shown += sorted(f"[{a}]" if a.version == 6 else str(a) for a in self.addresses if not a.is_loopback)
        if self.any_address:
            shown.append("any IP address")
        return ", ".join(shown)


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> AllowedHosts:
    """What a sandbox bound to ``bind_host`` serves: loopback, ``bind_host`` itself, and ``extra``
    (each as :func:`host_name` reads it)."""
    names = set(LOCAL_NAMES)
    addresses: set[IPAddress] = set()
    bound = _address(bind_host.strip("[]"))
    any_address = bind_host == "" or (bound is not None and bound.is_unspecified)  # "" binds every interface
    served = list(extra) + ([] if any_address else [bind_host])
    for name in (host_name(given) for given in served):
        address = _address(name)
        if address is None:
            names.add(name)
        else:
            addresses.add(address)
    return AllowedHosts(frozenset(names), frozenset(addresses), any_address)


LOOPBACK_ONLY = allowed_hosts("127.0.0.1")


def host_error(value: str, served: AllowedHosts, port: int) -> ApiError:
    """The 403 for a ``Host`` this sandbox (on ``port``) does not serve: which host, why, and the fix."""
    shown = value if len(value) <= _SHOWN_MAX else value[:_SHOWN_MAX] + "..."
    return ApiError(
        403,
        "host_not_allowed",
        f"this sandbox does not serve the host {shown!r} named in the request's Host header: it answers only "
        f"to {served.describe()} (on any port), so that a web page whose name is pointed at this machine cannot "
        f"use it; open http://127.0.0.1:{port} (the address the sandbox printed) or, if that name is this "
        "machine's, start the sandbox with --allow-host NAME (allow_hosts=[NAME] in sandbox.start)",
    )


class HostMiddleware:
    """Refuse a request whose ``Host`` this sandbox does not serve, before anything else runs."""

    def __init__(self, app: ASGIApp, hosts: AllowedHosts = LOOPBACK_ONLY) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = next((value for value in _host_values(scope) if not self._serves(value)), None)
        if refused is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation, before accepting
        else:
            port = (scope.get("server") or (None, None))[1] or SANDBOX_PORT
            await send_error(scope, send, host_error(refused, self.hosts, port))

    def _serves(self, value: str) -> bool:
        host = split_host(value)
        return host is not None and self.hosts.allows(host)


def _host_values(scope: Scope) -> list[str]:
    # Every Host header is checked: a second one must not smuggle a name past the first.
    return [value.decode("latin-1") for key, value in scope.get("headers", ()) if key == b"host"]
