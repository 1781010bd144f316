"""The kernel's link to a local sandbox: find one that runs, or start one in the background.

Used by the setup form's "Use local sandbox" button and by ``%zen_sandbox``. A sandbox started
here serves from this process (a background thread) with the persistent database of
``zen-nb sandbox``, on port 8765 when it is free, and stops with the kernel or on :func:`stop`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from .hints import SANDBOX_COMMAND, SANDBOX_MAGIC, code
from .vocabulary import SANDBOX_PORT

DEFAULT_PORT = SANDBOX_PORT
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")

_started: Any = None  # the Sandbox this kernel started, if any


def sandbox_env(base_url: str) -> dict[str, str]:
    """The five ``ZEN_*`` values of a sandbox's demo tenant at ``base_url``."""
    from .sandbox import DEMO_ADAPTER_ID, DEMO_PLANE_ID, DEMO_TENANT_ID, DEMO_TOKEN

    return {
        "ZEN_API_BASE": base_url,
        "ZEN_API_TOKEN": DEMO_TOKEN,
        "ZEN_TENANT_ID": DEMO_TENANT_ID,
        "ZEN_PLANE_ID": DEMO_PLANE_ID,
        "ZEN_ADAPTER_ID": DEMO_ADAPTER_ID,
    }


def is_sandbox(base_url: str) -> bool:
    """Whether a zen_nb sandbox answers at ``base_url``."""
    try:
        response = requests.get(f"{base_url.rstrip('/')}/health", timeout=2)
        return response.ok and response.json().get("service") == "zen-nb sandbox"
    except (requests.RequestException, ValueError):
        return False


def candidates(environ: Mapping[str, str] | None = None) -> list[str]:
    """Where to look: ``ZEN_API_BASE`` if it is on loopback, then the default port."""
    environ = dict(os.environ if environ is None else environ)
    found = []
    base = environ.get("ZEN_API_BASE", "").rstrip("/")
    if base and urlsplit(base).hostname in LOOPBACK:
        found.append(base)
    if _started is not None:
        found.append(_started.base_url)
    found.append(f"http://127.0.0.1:{DEFAULT_PORT}")
    return list(dict.fromkeys(found))


def find(environ: Mapping[str, str] | None = None) -> str | None:
    """The base URL of a running sandbox, or None."""
    return next((base for base in candidates(environ) if is_sandbox(base)), None)


def find_or_start(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], str]:
    """The demo tenant's ``ZEN_*`` values of a running sandbox (started if none runs), and what was done.

    ``environ`` (``os.environ`` by default) says where to look first: its ``ZEN_API_BASE``.
    """
    global _started
    base = find(environ)
    if base is not None:
        return sandbox_env(base), f"found the sandbox running at {base}"
    from . import sandbox

    try:
        _started = sandbox.start(port=DEFAULT_PORT, db=sandbox.default_db_path())
    except OSError:  # the default port is taken by something else
        _started = sandbox.start(port=0, db=sandbox.default_db_path())
    return sandbox_env(_started.base_url), f"started a sandbox at {_started.base_url} in this kernel"


def stop() -> str:
    """Stop the sandbox this kernel started; say what happened."""
    global _started
    if _started is None:
        return f"no sandbox was started in this kernel (one run by {code(SANDBOX_COMMAND)} stops with Ctrl-C there)"
    base = _started.base_url
    _started.stop()
    _started = None
    return f"stopped the sandbox at {base}"


def status() -> str:
    """Where a sandbox runs, and whether this kernel started it."""
    base = find()
    if base is None:
        return f"no sandbox is running; start one with {code(SANDBOX_MAGIC)} or {code(SANDBOX_COMMAND)} in a terminal"
    mine = _started is not None and _started.base_url == base
    return f"a sandbox is running at {base}" + (" (started in this kernel)" if mine else "")
