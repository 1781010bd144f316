"""``attempts_dataset``: a local attempt history (see :func:`zen_nb.sync_attempts`) as a DuckDB relation.

DuckDB reads the day files in place (no copy into memory), filters on ``day`` by skipping whole
files, and gives pandas with ``.df()``. A folder never synced is an error that names the call that
fills it; a synced folder with no attempt yet is an empty relation with the columns, so a
notebook's queries run the same on a quiet plane.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .analysis_imports import analysis_module
from .errors import ZenError
from .frames import ATTEMPT_COLUMNS
from .history_files import DAY_FILE
from .history_state import STATE_FILE

#: The kit's own DuckDB connection (in memory, TimeZone UTC), made on first use and kept: before
#: DuckDB 2, a connection whose Python object goes is closed, and every relation made on it fails.
_CONNECTION: list[Any] = []

_EMPTY_TYPES = {
    "attempt_number": "BIGINT",
    "response_status": "BIGINT",
    "latency_ms": "BIGINT",
    "created_at": "TIMESTAMPTZ",
}


def attempts_dataset(path: str | Path, *, connection: Any = None) -> Any:
    """The history in ``path`` as a ``duckdb.DuckDBPyRelation``: :data:`ATTEMPT_COLUMNS`, then ``day`` (DATE).

    ``connection``: a DuckDB connection to use (its own, with ``TimeZone='UTC'``, when None). The
    kit's own is one for the process, as DuckDB's default connection is: to query from several
    threads at once, give each thread its own (``duckdb.connect()``, or ``.cursor()`` of one).
    """
    duckdb = analysis_module("duckdb", "attempts_dataset")
    root = Path(path)
    files = sorted(root.glob(f"day=*/{DAY_FILE}"))
    if not files and not (root / STATE_FILE).exists():
        raise ZenError(
            f"no history at {root}",
            fix=f"Run zen_nb.sync_attempts({str(root)!r}, since=...) first, or check the path.",
        )
    if connection is None:
        connection = _own_connection(duckdb)
    columns = ", ".join(ATTEMPT_COLUMNS)
    if not files:
        empty = ", ".join(f"CAST(NULL AS {_EMPTY_TYPES.get(name, 'VARCHAR')}) AS {name}" for name in ATTEMPT_COLUMNS)
        return connection.sql(f"SELECT {empty}, CAST(NULL AS DATE) AS day WHERE false")
    pattern = str(root / "day=*" / DAY_FILE).replace("'", "''")
    return connection.sql(
        f"SELECT {columns}, day FROM read_parquet('{pattern}', hive_partitioning = true, hive_types = {{'day': DATE}})"
    )


def _own_connection(duckdb: Any) -> Any:
    """The connection :func:`attempts_dataset` uses when given none: one for the process, kept open."""
    if not _CONNECTION:
        connection = duckdb.connect()
        connection.execute("SET TimeZone='UTC'")
        _CONNECTION.append(connection)
    return _CONNECTION[0]
