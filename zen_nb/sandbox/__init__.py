"""The local Zen Mesh sandbox: the API of ``zen-api.md`` on loopback, with SQLite storage.

Start one in the background from Python::

    from zen_nb import sandbox
    with sandbox.start() as box:          # a free port, a throwaway database
        os.environ.update(box.env())      # the five ZEN_* variables of a recipe

or in the foreground with ``zen-nb sandbox``. The server itself (FastAPI, uvicorn) is imported
only when one starts, so importing this package stays light.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..vocabulary import ENV_ADAPTER_ID, ENV_API_BASE, ENV_API_TOKEN, ENV_PLANE_ID, ENV_TENANT_ID, SANDBOX_HOST
from .seed import DEMO_ADAPTER_ID, DEMO_PLANE_ID, DEMO_TENANT_ID, DEMO_TOKEN

if TYPE_CHECKING:
    from .fault_switch import FaultRules

__all__ = [
    "DEMO_ADAPTER_ID",
    "DEMO_PLANE_ID",
    "DEMO_TENANT_ID",
    "DEMO_TOKEN",
    "Sandbox",
    "SandboxNotInstalled",
    "default_db_path",
    "missing_server_modules",
    "start",
]

# The server's own dependencies: the ``sandbox`` extra (``pip install 'zen_nb[sandbox]'``).
SERVER_MODULES = ("fastapi", "uvicorn", "httptools")
INSTALL_HINT = "pip install 'zen_nb[sandbox]'"


class SandboxNotInstalled(ImportError):
    """The sandbox's server is not installed: the message names what is missing and the install command."""


def missing_server_modules() -> list[str]:
    """Which of the server's modules are not installed (empty when the sandbox can start)."""
    return [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]


def require_server() -> None:
    """Raise :class:`SandboxNotInstalled`, in one line with the fix, when the server cannot start."""
    missing = missing_server_modules()
    if missing:
        raise SandboxNotInstalled(f"the sandbox needs {', '.join(missing)}, not installed here: `{INSTALL_HINT}`")


def default_db_path() -> Path:
    """Where ``zen-nb sandbox`` keeps its database unless told otherwise: the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path("zen-nb", appauthor=False) / "sandbox.sqlite3"


class Sandbox:
    """A running sandbox: where it listens, the demo tenant's credentials, and :meth:`stop`."""

    def __init__(self, server: object, host: str, port: int, admin_token: str) -> None:
        self._server = server
        self.host = host
        self.port = port
        self.admin_token = admin_token
        self.tenant_id = DEMO_TENANT_ID
        self.token = DEMO_TOKEN
        self.plane_id = DEMO_PLANE_ID
        self.adapter_id = DEMO_ADAPTER_ID

    @property
    def base_url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:8765`` (what ``ZEN_API_BASE`` is set to)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The five ``ZEN_*`` variables that point a recipe at this sandbox's demo tenant."""
        return {
            ENV_API_BASE: self.base_url,
            ENV_API_TOKEN: self.token,
            ENV_TENANT_ID: self.tenant_id,
            ENV_PLANE_ID: self.plane_id,
            ENV_ADAPTER_ID: self.adapter_id,
        }

    def faults(self, *rules: dict[str, Any], **rule: Any) -> FaultRules:
        """Fault rules in force for a ``with`` block: ``with box.faults(status=503, probability=0.3) as f:``.

        Keywords are one rule, in Python's names (``latency_ms``, ``latency_spread_ms``,
        ``after_commit``) or the API's; each dict given is one more rule. On entering, the rules
        are added (a refused one raises :class:`~.fault_switch.FaultRuleRefused` naming the field,
        and none stays); on exit, exactly these are removed. ``f.hits`` counts their faults.
        """
        from .fault_switch import FaultRules, rule_json

        specs = [rule_json(spec) for spec in rules] + ([rule_json(rule)] if rule else [])
        if not specs:
            raise ValueError("give a fault rule, e.g. box.faults(status=503, probability=0.3)")
        return FaultRules(self.base_url, self.admin_token, specs)

    def advance_clock(self, seconds: float, tenant_id: str | None = None) -> dict[str, Any]:
        """Advance the delivery clock by ``seconds`` (more than 0, at most 30 days): every retry due
        within them is made now, and later ones come as much sooner; every tenant's, or ``tenant_id``'s.

        Returns the sandbox's answer (``advancedSeconds``, ``moved``, ``dueNow``, ``queued``,
        ``nextDueAt``); a refusal raises :class:`~.clock_switch.ClockRefused` naming the field.
        """
        from .clock_switch import advance_clock

        return advance_clock(self.base_url, self.admin_token, seconds, tenant_id)

    def stop(self) -> None:
        """Stop serving and close the database. Safe to call twice."""
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"<Sandbox {state} at {self.base_url}, tenant {self.tenant_id}>"


def start(
    port: int = 0,
    db: str | Path = ":memory:",
    *,
    host: str = SANDBOX_HOST,
    admin_token: str | None = None,
    rate_limit: tuple[int, float] | None = None,
    allow_hosts: Sequence[str] = (),
) -> Sandbox:
    """Start a sandbox on a background thread and return once it answers.

    ``port=0`` picks a free port; ``db=":memory:"`` is a throwaway database, a path a
    persistent one. ``rate_limit`` is ``(requests, per_seconds)`` per token (default 1000/s).
    It answers only to requests whose ``Host`` is loopback, ``host`` or one of ``allow_hosts``
    (see ``hosts.py``). A ``host`` beyond loopback needs an ``admin_token`` of your own
    (:class:`~.exposure.ExposureRefused` otherwise, a ``ValueError``; see ``exposure.py``), as
    does a bad name in ``allow_hosts``. Without the ``sandbox`` extra this raises
    :class:`SandboxNotInstalled`, naming the install.
    """
    require_server()
    from .admin_token import checked, new_admin_token
    from .exposure import check_exposure
    from .hosts import allowed_hosts
    from .server import DEFAULT_RATE_LIMIT, BackgroundServer, ServerSettings

    token = new_admin_token() if admin_token is None else checked(admin_token, "admin_token=")
    check_exposure(host, token)
    allowed_hosts(host, allow_hosts)  # a bad name is a ValueError now, before anything is bound
    settings = ServerSettings(
        host=host,
        port=port,
        db=db,
        admin_token=token.value,
        rate_limit=rate_limit or DEFAULT_RATE_LIMIT,
        allow_hosts=tuple(allow_hosts),
    )
    server = BackgroundServer(settings)
    server.start()
    return Sandbox(server, host, server.port, settings.admin_token)
