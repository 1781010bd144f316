""":func:`zen_nb.delivery_metrics` computed in DuckDB, for a DuckDB relation of attempts.

Why: a month of a busy tenant is millions of attempts; DuckDB streams them from the Parquet
history (:func:`zen_nb.attempts_dataset`) and spills to disk past its memory limit, where the
pandas code needs the whole frame in memory. Every join, group-by and quantile runs in DuckDB;
only the answer, one row per group, comes to pandas, where it is shaped exactly as the pandas
code shapes its own (same index, dtypes, columns and ``errors_<reason>`` order).

One query: the attempts (with the flows' columns joined, sent as ``VALUES``: a small table),
one row per delivery (its first attempt's group and moment, kept by ``arg_min`` over
``(attempt_number, created_at)``; its latencies and failure reasons as lists), then per group the
figures, the latency quantiles and the reasons, the last two from the lists unnested.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import grouped
from .analysis_imports import analysis_module
from .attempt_arrays import FROM_FLOWS, NEEDED, joined_flows, timestamps
from .frames import STRING_DTYPE
from .metrics import BY_ALIASES, METRIC_COLUMNS, PERIOD, _by_names, _empty, _offset
from .metrics_sql_buckets import EPOCH_US, Buckets
from .vocabulary import ATTEMPT_STATUSES, ATTEMPT_TRIGGERS

CALLER = "delivery_metrics"
#: the dtypes load_attempts() gives the attempts' own columns, for the index levels
_ATTEMPT_DTYPES = {"attempt_number": "int64", "response_status": "Int64", "latency_ms": "Int64"}
_CATEGORIES = {"trigger": ATTEMPT_TRIGGERS, "status": ATTEMPT_STATUSES}
_COUNTS = ("events", "attempts", "pending", "failed_attempts")
# A failure's reason: the error code, else http_<status>, else unknown (so "http_500" and 500 are one reason).
_REASON = (
    "CASE WHEN a.error_code IS NOT NULL THEN CAST(a.error_code AS VARCHAR)"
    " WHEN a.response_status IS NOT NULL THEN 'http_' || CAST(CAST(a.response_status AS BIGINT) AS VARCHAR)"
    " ELSE 'unknown' END"
)


# The attempts of a delivery up to and including its first success: its numbers not above
# ``success_n``. Without a lambda (DuckDB 1.1 writes them ``x -> ...``, 2.x only ``lambda x: ...``):
# in the numbers sorted high to low, ``success_n`` first shows after the ones above it.
_UP_TO = "len(numbers) - list_position(list_reverse_sort(numbers), success_n) + 1"


def relation_metrics(
    relation, by: str | Sequence[str] | None, freq: str | pd.DateOffset | None, flows: pd.DataFrame | None
) -> pd.DataFrame:
    """:func:`zen_nb.delivery_metrics` of a DuckDB relation: the same frame the pandas code gives for its rows."""
    analysis_module("duckdb", CALLER)  # a relation means DuckDB is there; this names the extra if not
    have = list(relation.columns)
    missing = [name for name in (*NEEDED, "latency_ms", "created_at") if name not in have]
    if missing:
        raise ValueError(
            f"{CALLER}: the relation lacks the columns {missing}: make it with zen_nb.attempts_dataset(path),"
            " or select those columns of load_attempts()"
        )
    if flows is not None:
        joined_flows(flows, pd.Index([]), pd.Index(have), CALLER)  # the same checks of the flows as the pandas code
    joined = {name for name in FROM_FLOWS if name not in have} if flows is not None else set()
    keys = [_key_column(name, have, joined) for name in _by_names(by)]
    offset = _offset(freq)
    named = "flow_id" in keys and flows is not None
    columns = [*(["flow"] if named else []), *METRIC_COLUMNS]
    names = keys + ([PERIOD] if offset is not None else [])
    buckets = Buckets.of(offset, relation) if offset is not None else None
    if offset is not None and buckets is None:
        return _empty(names, columns)
    sql = _query(keys, joined, buckets, named, flows)
    answer = relation.query("zen_attempts", sql).df()
    if not len(answer):
        return _empty(names, columns)
    return _shaped(answer, keys, names, columns, joined, flows, buckets)


def _key_column(name: str, have: list[str], joined: set[str]) -> str:
    """The column ``by``'s ``name`` means; the pandas code's errors for one that is missing."""
    column = BY_ALIASES.get(name, name)
    if column in have or column in joined:
        return column
    if column in FROM_FLOWS:
        raise ValueError(
            f"by={name!r} needs a {column!r} column, which the attempts have not got: pass the flows,"
            f" delivery_metrics(attempts, by={name!r}, flows=zen_nb.load_flows())"
        )
    known = ", ".join(["'flow'", "'target'", "'target_type'", *map(repr, have)])
    raise ValueError(f"by names no column of the attempts: {name!r}; it takes one of {known}, a list of them or None")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value) -> str:
    return "NULL" if pd.isna(value) else "'" + str(value).replace("'", "''") + "'"


def _flows_table(flows: pd.DataFrame) -> str:
    """The flows' id, name and target type as an SQL table of ``VALUES``."""
    rows = flows.drop_duplicates("id")[["id", "name", "target_type"]].itertuples(index=False)
    values = ", ".join(f"({', '.join(map(_literal, row))})" for row in rows)
    if not values:
        return "(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS name, NULL::VARCHAR AS target_type WHERE false)"
    return f"(SELECT * FROM (VALUES {values}) AS listed(id, name, target_type))"


def _query(keys: list[str], joined: set[str], buckets: Buckets | None, named: bool, flows) -> str:
    """The SQL of the whole computation, over the view ``zen_attempts``: one row per group."""
    sources = {"flow": "f.name", "target_type": "f.target_type"}
    key_of = {key: sources[key] if key in joined else f"a.{_quoted(key)}" for key in keys}
    label = "f.name" if "flow" in joined else 'a."flow"'
    picked = [f"{expression} AS k{i}" for i, expression in enumerate(key_of.values())]
    if named:
        picked.append(f"{label} AS flow_label")
    join = f" LEFT JOIN {_flows_table(flows)} AS f ON f.id = CAST(a.flow_id AS VARCHAR)" if joined or named else ""
    first = ", ".join(f"arg_min({column}, [n, t]) AS {column}" for column in _kept(keys, named))
    group = [f"k{i}" for i in range(len(keys))] + (["period"] if buckets else [])
    by = f" GROUP BY {', '.join(group)}" if group else ""
    on = " AND ".join(f"g.{name} IS NOT DISTINCT FROM x.{name}" for name in group) or "true"
    listed = ", ".join([*group, ""])
    moment = EPOCH_US.replace("created_at", "a.created_at")
    return f"""
WITH attempt AS (
    SELECT CAST(a.flow_id AS VARCHAR) AS flow_id, CAST(a.event_id AS VARCHAR) AS event_id,
        CAST(a.target_id AS VARCHAR) AS target_id, CAST(a.attempt_number AS BIGINT) AS n,
        CAST(a.status AS VARCHAR) AS status, CAST(a.latency_ms AS DOUBLE) AS latency,
        {moment} AS t, {_REASON} AS reason{"".join(", " + column for column in picked)}
    FROM zen_attempts AS a{join}
), delivery AS (
    SELECT {first + "," if first else ""} arg_min(t, [n, t]) AS first_us, min(n) AS first_n,
        min(n) FILTER (WHERE status = 'succeeded') AS success_n,
        arg_min(t, [n, t]) FILTER (WHERE status = 'succeeded') AS success_us,
        max(n) AS last_n, max(n) FILTER (WHERE status = 'pending') AS pending_n,
        count(*) AS attempts, count(*) FILTER (WHERE status = 'failed') AS failed, list(n) AS numbers,
        list(latency) FILTER (WHERE latency IS NOT NULL) AS latencies,
        list(reason) FILTER (WHERE status = 'failed') AS reasons
    FROM attempt GROUP BY flow_id, event_id, target_id
), bucketed AS MATERIALIZED (
    SELECT *, {buckets.start_ns + " AS period," if buckets else ""}
        success_n IS NOT NULL AS delivered, coalesce(success_n = first_n, false) AS first_ok,
        success_n IS NULL AND coalesce(pending_n = last_n, false) AS still_pending,
        CASE WHEN success_n IS NOT NULL THEN {_UP_TO} END AS up_to,
        (success_us - first_us) * 1000 AS to_deliver_ns
    FROM delivery{buckets.join if buckets else ""}
), g AS (
    SELECT {listed} count(*) AS events, CAST(sum(attempts) AS BIGINT) AS attempts,
        count(*) FILTER (WHERE first_ok) / count(*) AS first_attempt_success_rate,
        count(*) FILTER (WHERE delivered) / count(*) AS delivery_rate,
        count(*) FILTER (WHERE still_pending) AS pending,
        sum(up_to) / count(up_to) AS attempts_per_delivered,
        quantile_cont(to_deliver_ns, [0.5, 0.95]) AS to_deliver,
        CAST(sum(failed) AS BIGINT) AS failed_attempts{", min(flow_label) AS flow" if named else ""}
    FROM bucketed{by} HAVING count(*) > 0
), latency AS (
    SELECT {listed} quantile_cont(value, [0.5, 0.95, 0.99]) AS quantiles
    FROM (SELECT {listed} unnest(latencies) AS value FROM bucketed){by}
), error AS (
    SELECT {listed} histogram(value) AS reasons
    FROM (SELECT {listed} unnest(reasons) AS value FROM bucketed){by}
)
SELECT g.*, g.to_deliver[1] AS to_deliver_p50, g.to_deliver[2] AS to_deliver_p95, x.quantiles[1] AS p50,
    x.quantiles[2] AS p95, x.quantiles[3] AS p99, y.reasons FROM g
    LEFT JOIN latency AS x ON {on}
    LEFT JOIN error AS y ON {on.replace("x.", "y.")}
"""


def _kept(keys: list[str], named: bool) -> list[str]:
    """The columns a delivery takes from its first attempt: its group keys (and the flow's name)."""
    return [f"k{i}" for i in range(len(keys))] + (["flow_label"] if named else [])


def _shaped(
    answer: pd.DataFrame, keys: list[str], names: list[str], columns: list[str], joined, flows, buckets
) -> pd.DataFrame:
    """The rows of the query as the pandas code's frame: index levels typed and sorted, figures, reasons."""
    levels = [_level(answer[f"k{i}"], key, joined, flows) for i, key in enumerate(keys)]
    if PERIOD in names:
        levels.append(timestamps(answer[PERIOD].to_numpy(dtype=np.int64)))
    if not levels:
        index = pd.RangeIndex(1)
    elif len(levels) == 1:
        index = pd.Index(levels[0], name=names[0])
    else:
        index = pd.MultiIndex.from_arrays(levels, names=names)
    figures = {
        "events": answer["events"],
        "attempts": answer["attempts"],
        "first_attempt_success_rate": answer["first_attempt_success_rate"],
        "delivery_rate": answer["delivery_rate"],
        "pending": answer["pending"],
        "p50_ms": answer["p50"],
        "p95_ms": answer["p95"],
        "p99_ms": answer["p99"],
        "attempts_per_delivered": answer["attempts_per_delivered"],
        "time_to_deliver_p50_s": answer["to_deliver_p50"] / 1e9,
        "time_to_deliver_p95_s": answer["to_deliver_p95"] / 1e9,
        "failed_attempts": answer["failed_attempts"],
    }
    # Counts are never missing (pandas 2.2.0 refuses na_value=nan for int64 even with none missing).
    figures = {
        name: values.to_numpy(dtype=np.int64) if name in _COUNTS else values.to_numpy(np.float64, na_value=np.nan)
        for name, values in figures.items()
    }
    result = pd.DataFrame(figures, index=index)
    if columns[0] == "flow":
        result.insert(0, "flow", pd.array(answer["flow"].tolist(), dtype=flows["name"].dtype))
    result = result.join(_errors(answer["reasons"], index))
    result = result.iloc[_order(result.index)]
    if buckets is not None:  # the bucket starts rebuilt as pandas builds them, now that the rows are in order
        levels = [result.index.get_level_values(name) for name in names]
        levels[-1] = buckets.index(levels[-1].asi8, int(result["events"].sum()))
        single = len(levels) == 1
        result.index = pd.Index(levels[0], name=PERIOD) if single else pd.MultiIndex.from_arrays(levels, names=names)
    return result


def _errors(maps: pd.Series, index: pd.Index) -> pd.DataFrame:
    """``errors_<reason>`` per group, the most frequent reason first (then by name), as the pandas code orders."""
    counts = pd.DataFrame([value if isinstance(value, dict) else {} for value in maps], index=index)
    if counts.empty:
        return pd.DataFrame(index=index)
    counts = counts.fillna(0).astype(np.int64)
    order = sorted(counts.columns, key=lambda reason: (-int(counts[reason].sum()), reason))
    return counts[order].add_prefix("errors_")


def _order(index: pd.Index) -> np.ndarray:
    """The rows in the pandas code's order: by each level's sorted values (categories in their order), missing last."""
    if isinstance(index, pd.RangeIndex):
        return np.arange(len(index))
    levels = [index.get_level_values(number) for number in range(index.nlevels)]
    codes = [grouped.codes_of(pd.Series(level))[0] for level in levels]
    return np.lexsort(codes[::-1])


def _level(values: pd.Series, key: str, joined: set[str], flows) -> pd.Index:
    """An index level with the dtype the pandas code gives it for a load_attempts() frame (or the flows')."""
    if key in joined:
        return _typed(values, flows[FROM_FLOWS[key]].dtype)
    if key in _CATEGORIES:
        known = _CATEGORIES[key]
        extra = sorted(set(values.dropna()) - set(known))
        return pd.CategoricalIndex(values.tolist(), categories=[*known, *extra])
    if key in _ATTEMPT_DTYPES:
        return pd.Index(values.tolist(), dtype=_ATTEMPT_DTYPES[key])
    if pd.api.types.is_string_dtype(values.dtype) or key in NEEDED:  # text: load_attempts()' string dtype
        return pd.Index(values.tolist(), dtype=STRING_DTYPE)
    return pd.Index(values)


def _typed(values: pd.Series, dtype) -> pd.Index:
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.CategoricalIndex(values.tolist(), categories=dtype.categories)
    return pd.Index(values.tolist(), dtype=dtype)
