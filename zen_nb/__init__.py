"""zen_nb: the recipe kit for the Zen Mesh delivery-flow API, for Jupyter.

    import zen_nb
    client = zen_nb.ZenClient()          # reads the ZEN_* environment
    client.create_flow(name=..., source="ingester_stripe", target={"id": ..., "type": "stripe"})
    frame = zen_nb.load_flows(planes="all")
    attempts = zen_nb.load_attempts(status="failed")

Importing the package stays light: the client (requests), pandas and the sandbox server
(FastAPI) are imported only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ZenConfig
from .errors import (
    BadRequestError,
    ConflictError,
    FlowNameConflict,
    FlowNotFound,
    ForbiddenError,
    IdempotencyKeyReusedError,
    IngesterNotFound,
    NotFoundError,
    PayloadTooLargeError,
    PlaneNotFound,
    PlanUpgradeRequired,
    RateLimitedError,
    ServerError,
    TargetInUse,
    TargetNameConflict,
    TargetNotFound,
    TargetTypeMismatch,
    TenantNotFound,
    UnauthorizedError,
    ZenAPIError,
    ZenConfigError,
    ZenConnectionError,
    ZenError,
)
from .vocabulary import VERSION

if TYPE_CHECKING:
    from . import sandbox
    from .client import ZenClient
    from .frames import load_attempts, load_flows
    from .widgets import FlowForm, SetupForm, flow_form, setup

__version__ = VERSION

_LAZY = {
    "ZenClient": "client",
    "load_flows": "frames",
    "load_attempts": "frames",
    "setup": "widgets",
    "flow_form": "widgets",
    "SetupForm": "widgets",
    "FlowForm": "widgets",
}

__all__ = [
    "BadRequestError",
    "ConflictError",
    "FlowNameConflict",
    "FlowNotFound",
    "ForbiddenError",
    "IdempotencyKeyReusedError",
    "IngesterNotFound",
    "NotFoundError",
    "PayloadTooLargeError",
    "PlaneNotFound",
    "PlanUpgradeRequired",
    "RateLimitedError",
    "ServerError",
    "TargetInUse",
    "TargetNameConflict",
    "TargetNotFound",
    "TargetTypeMismatch",
    "TenantNotFound",
    "UnauthorizedError",
    "ZenAPIError",
    "FlowForm",
    "SetupForm",
    "ZenClient",
    "ZenConfig",
    "ZenConfigError",
    "ZenConnectionError",
    "ZenError",
    "__version__",
    "flow_form",
    "load_attempts",
    "load_flows",
    "load_ipython_extension",
    "sandbox",
    "setup",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext zen_nb``: register the magics (imported only now, with IPython)."""
    from .magics import ZenMagics

    ipython.register_magics(ZenMagics)


def __getattr__(name: str) -> Any:
    """Import the client, the DataFrame loaders and the sandbox package on first use (PEP 562).

    ``zen_nb.sandbox`` works after a bare ``import zen_nb``, as the fixes print it; the
    package itself is light (the server is imported when a sandbox starts).
    """
    from importlib import import_module

    if name == "sandbox":
        return import_module(".sandbox", __name__)
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'zen_nb' has no attribute {name!r}")
