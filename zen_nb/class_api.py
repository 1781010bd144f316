"""The kit's calls to a class sandbox's own surface, ``/_sandbox/class/...``: where it is, and one transport.

A join, a check and the trainer's progress all go through the client's :class:`~.transport.Transport`
(its session, retries, error mapping and User-Agent), only with the credential each call needs: none
for a join, the trainee's token for a check, the admin token for the progress. Any other service
(the real Zen Mesh API, or a sandbox without a class) answers these paths 404 or 405, which
:func:`no_class_error` turns into one error that says where a class runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from urllib3.util.retry import Retry

from . import local_sandbox
from .errors import NoClassSandbox, NotFoundError, ZenAPIError, ZenConfigError
from .hints import code
from .transport import Transport, default_retry
from .vocabulary import ENV_API_BASE

CLASS_PATH = "/_sandbox/class"
CLASS_COMMAND = "zen-nb class start"


@dataclass(frozen=True)
class ClassEndpoint:
    """Where a call to the class goes, and the token it carries ("" for none); never shown."""

    api_base: str
    api_token: str = field(default="", repr=False)
    tenant_id: str = ""


def checked_base(text: str, where: str) -> str:
    """``text`` as an API base (no trailing slash), or a :class:`ZenConfigError` naming ``where`` it came from."""
    base = text.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ZenConfigError(
            f"{where} must be an http:// or https:// URL with a host, such as http://192.168.1.20:8765 "
            f"(it is {base!r})",
            fix="Use the class's address exactly as your trainer gives it: http://, the host, a colon and the port.",
        )
    return base


def class_base(api_base: str | None, environ: Mapping[str, str] | None, *, fix: str) -> str:
    """The class sandbox's address: ``api_base`` if given, else ``ZEN_API_BASE``, else a sandbox on this machine.

    A sandbox on this machine is taken only if one answers (``local_sandbox``'s candidates): a trainer
    who runs the class on their own laptop needs no address. Else a :class:`ZenConfigError` with ``fix``.
    """
    if api_base is not None and api_base.strip():
        return checked_base(api_base, "the class's address")
    source = os.environ if environ is None else environ
    if source.get(ENV_API_BASE, "").strip():
        return checked_base(source[ENV_API_BASE], ENV_API_BASE)
    found = local_sandbox.find(source)
    if found is not None:
        return found
    looked = ", ".join(local_sandbox.candidates(source))
    raise ZenConfigError(
        f"no class sandbox to reach: {ENV_API_BASE} is not set and no sandbox answers on this machine (at {looked})",
        fix=fix,
    )


def transport(api_base: str, token: str = "", *, retry: Retry | int | None = None) -> Transport:
    """The client's transport for ``/_sandbox/class/...`` at ``api_base``, with ``token`` if one is needed."""
    return Transport(ClassEndpoint(api_base, token), retry=retry)


def retry_but_not_when_limited() -> Retry:
    """The client's retries without the one for 429: a refused join waits for a person, not for a loop.

    The class's limit on wrong join codes is a minute long; sleeping through it in a cell would look
    like a hang, where the error says how long to wait.
    """
    # urllib3 retries a 429 that carries Retry-After whatever the forcelist says, unless told not to.
    return default_retry().new(status_forcelist=frozenset({502, 503, 504}), respect_retry_after_header=False)


def is_missing_surface(error: ZenAPIError) -> bool:
    """Whether ``error`` says the path does not exist at all (not that a thing on it was not found)."""
    return (isinstance(error, NotFoundError) and error.code in (None, "not_found")) or error.status == 405


def no_class_error(api_base: str, what: str, fix: str) -> NoClassSandbox:
    """The error for a service that has no ``/_sandbox/class/...``: it is not a class sandbox."""
    return NoClassSandbox(
        f"{api_base} is not a zen_nb class sandbox: {what} (it has no {CLASS_PATH}/...)",
        fix=fix,
    )


def class_command() -> str:
    """The command that starts a class, as code to type."""
    return code(CLASS_COMMAND)
