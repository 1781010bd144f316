"""zen_nb: the recipe kit for the Zen Mesh delivery-flow API, for Jupyter.

    import zen_nb
    client = zen_nb.ZenClient()          # reads the ZEN_* environment
    client.create_flow(name=..., source="ingester_stripe", target={"id": ..., "type": "stripe"})
    frame = zen_nb.load_flows(planes="all")
    attempts = zen_nb.load_attempts(status="failed", workers=8)   # time windows fetched at once
    zen_nb.sync_attempts("history", since="2026-11-01")               # a Parquet history, by day
    zen_nb.delivery_metrics(zen_nb.attempts_dataset("history"), by="target", freq="1D")  # in DuckDB

In a training class: ``zen_nb.join("K7QM-3XPD")`` (the trainee's code sets the ``ZEN_*``),
``zen_nb.exercises.check("create-a-flow")``, and for the trainer ``zen_nb.class_progress()``.

Importing the package stays light: the client (requests), pandas, pyarrow and DuckDB (the
``analysis`` extra) and the sandbox server (FastAPI) are imported only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ZenConfig
from .errors import (
    BadRequestError,
    ConflictError,
    ExerciseNotFound,
    FlowNameConflict,
    FlowNotFound,
    ForbiddenError,
    FormNotSupported,
    GoneError,
    IdempotencyKeyReusedError,
    IngesterNotFound,
    JoinCodeInvalid,
    JoinCodeNotFound,
    JoinCodeRevoked,
    NoClassSandbox,
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
    UnknownExercise,
    ZenAPIError,
    ZenConfigError,
    ZenConnectionError,
    ZenError,
    ZenTimeoutError,
)
from .vocabulary import VERSION

if TYPE_CHECKING:
    from . import exercises, sandbox
    from .client import ZenClient
    from .frames import load_attempts, load_flows, load_targets
    from .history_dataset import attempts_dataset
    from .history_sync import sync_attempts
    from .joining import join
    from .metrics import delivery_issues, delivery_metrics
    from .trainer import class_progress
    from .widgets import FlowForm, SetupForm, flow_form, setup

__version__ = VERSION

_LAZY = {
    "ZenClient": "client",
    "load_flows": "frames",
    "load_attempts": "frames",
    "load_targets": "frames",
    "delivery_metrics": "metrics",
    "delivery_issues": "metrics",
    "sync_attempts": "history_sync",
    "attempts_dataset": "history_dataset",
    "setup": "widgets",
    "flow_form": "widgets",
    "retry_form": "widgets.retry_form",
    "SetupForm": "widgets",
    "FlowForm": "widgets",
    "join": "joining",
    "class_progress": "trainer",
}
_LAZY_MODULES = ("sandbox", "exercises")

__all__ = [
    "BadRequestError",
    "ConflictError",
    "ExerciseNotFound",
    "FlowNameConflict",
    "FlowNotFound",
    "ForbiddenError",
    "FormNotSupported",
    "GoneError",
    "IdempotencyKeyReusedError",
    "IngesterNotFound",
    "JoinCodeInvalid",
    "JoinCodeNotFound",
    "JoinCodeRevoked",
    "NoClassSandbox",
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
    "UnknownExercise",
    "ZenAPIError",
    "FlowForm",
    "SetupForm",
    "ZenClient",
    "ZenConfig",
    "ZenConfigError",
    "ZenConnectionError",
    "ZenTimeoutError",
    "ZenError",
    "__version__",
    "attempts_dataset",
    "class_progress",
    "delivery_issues",
    "delivery_metrics",
    "exercises",
    "flow_form",
    "join",
    "load_attempts",
    "load_flows",
    "load_ipython_extension",
    "load_targets",
    "retry_form",
    "sandbox",
    "setup",
    "sync_attempts",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext zen_nb``: register the magics (imported only now, with IPython)."""
    from .magics import ZenMagics

    ipython.register_magics(ZenMagics)


def __getattr__(name: str) -> Any:
    """Import the client, the DataFrame loaders, the class's calls and the sandbox package on first use (PEP 562).

    ``zen_nb.sandbox`` and ``zen_nb.exercises`` work after a bare ``import zen_nb``, as the fixes
    print them; the sandbox package itself is light (the server is imported when a sandbox starts).
    """
    from importlib import import_module

    if name in _LAZY_MODULES:
        return import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'zen_nb' has no attribute {name!r}")
