"""pyarrow and DuckDB, imported only when a history on disk is used: ``import zen_nb`` stays light.

The local history (:func:`zen_nb.sync_attempts`, :func:`zen_nb.attempts_dataset`) and the metrics
computed in DuckDB need the ``analysis`` extra; a kit installed without it still loads frames and
runs every recipe but the history's, so a missing package is named with the command that adds it,
at the call that needs it, instead of an ``ImportError`` at ``import zen_nb``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .errors import ZenError
from .hints import INSTALL_ANALYSIS, code


def analysis_module(name: str, what: str) -> ModuleType:
    """The module ``name`` (``"pyarrow.parquet"``, ``"duckdb"``...), or a :class:`ZenError` naming the extra.

    ``what`` says what needed it (``"sync_attempts"``), so the message names the call.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        package = name.split(".")[0]
        raise ZenError(
            f"{what} needs {package}, which is not installed",
            fix=f"Install the analysis extra: {code(INSTALL_ANALYSIS)} (pyarrow and DuckDB), then restart the kernel.",
        ) from None


def is_duckdb_relation(value: Any) -> bool:
    """Whether ``value`` is a DuckDB relation, without importing DuckDB for anything else (a frame, say)."""
    kind = type(value)
    return kind.__name__ == "DuckDBPyRelation" and kind.__module__.split(".")[0] in ("duckdb", "_duckdb")
