"""Delivery metrics and failure groups from a frame of attempts: what a delivery dashboard shows.

``delivery_metrics(attempts, by="flow", freq="1D")`` answers, per flow (or target, target type,
any column) and per day (or hour, any pandas offset): how many events were delivered, how many on
the first try, how fast, after how many attempts, and why the others failed.
``delivery_issues(attempts)`` groups the failures by flow, target and reason, with when they were
first and last seen and whether they are still happening.

A *delivery* is one event on its way to one target through one flow: the attempts with the same
``(flow_id, event_id, target_id)``. Both functions are pure pandas and numpy on the frame
:func:`zen_nb.load_attempts` answers; they read nothing from the service. ``delivery_metrics``
also takes a DuckDB relation of attempts, and then computes in DuckDB (:mod:`zen_nb.metrics_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import grouped
from .analysis_imports import is_duckdb_relation
from .attempt_arrays import FROM_FLOWS, NEVER, AttemptArrays, failure_reasons, timestamps
from .frames import STRING_DTYPE

#: the columns of :func:`delivery_metrics`, before the ``errors_<reason>`` columns
METRIC_COLUMNS = (
    "events",
    "attempts",
    "first_attempt_success_rate",
    "delivery_rate",
    "pending",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "attempts_per_delivered",
    "time_to_deliver_p50_s",
    "time_to_deliver_p95_s",
    "failed_attempts",
)
#: the columns of :func:`delivery_issues` (``flow`` and ``target_type`` follow ``reason`` when ``flows`` is given)
ISSUE_COLUMNS = (
    "flow_id",
    "target_id",
    "reason",
    "failed_attempts",
    "events",
    "first_seen",
    "last_seen",
    "still_failing",
)
#: what ``by`` may name besides a column
BY_ALIASES = {"flow": "flow_id", "target": "target_id", "target_type": "target_type"}
#: the index level of the time buckets when ``freq`` is given: each bucket's start
PERIOD = "period"


def delivery_metrics(
    attempts: pd.DataFrame,
    by: str | Sequence[str] | None = "flow",
    freq: str | pd.DateOffset | None = None,
    flows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Delivery figures per group of ``by`` (and per time bucket of ``freq``), one row each.

    ``attempts``: a :func:`zen_nb.load_attempts` frame (extra columns may be named in ``by``), or a
    DuckDB relation with its columns (:func:`zen_nb.attempts_dataset`, filtered or not): then it is
    all computed in DuckDB, which streams the rows and spills past memory, and only the answer,
    the same frame as for those rows in pandas, comes to pandas (:mod:`zen_nb.metrics_sql`).
    ``by``: ``"flow"`` (``flow_id``), ``"target"`` (``target_id``), ``"target_type"`` (a
    ``target_type`` column, or joined from ``flows``), any column, a list of them, or ``None``
    for one row over everything. A delivery is counted in the group of its first attempt.
    ``freq``: ``None``, or a pandas offset (``"1h"``, ``"1D"``, ``"W"``, ``"MS"``): each delivery
    with all its attempts goes to the bucket of its first attempt's ``created_at``, an index level
    ``period`` (the bucket's start: from the epoch for a fixed offset, on the offset's own dates
    for a calendar one); buckets without a delivery are not listed.
    ``flows``: a :func:`zen_nb.load_flows` frame, joined on ``flow_id`` to add ``target_type`` and
    the flow's name ``flow`` where ``attempts`` has not got them; with flows grouped by
    ``flow_id``, the answer's first column is then ``flow``.

    The index holds the groups (``flow_id``, ``target_id``, ... then ``period``), sorted. Columns:

    - ``events``: deliveries, i.e. distinct ``(flow_id, event_id, target_id)``.
    - ``attempts``: their attempts.
    - ``first_attempt_success_rate``: share of deliveries whose first attempt (lowest ``attempt_number``) succeeded.
    - ``delivery_rate``: share of deliveries with a succeeded attempt (pending ones count as not delivered).
    - ``pending``: deliveries not settled: no success, and the latest attempt still ``pending``.
    - ``p50_ms``, ``p95_ms``, ``p99_ms``: ``latency_ms`` percentiles (linear, as ``Series.quantile``) over attempts
      with one.
    - ``attempts_per_delivered``: attempts up to and including the first success, mean over delivered deliveries.
    - ``time_to_deliver_p50_s``, ``time_to_deliver_p95_s``: seconds from the first attempt to the first success
      (``created_at``), over delivered deliveries; 0 when the first attempt succeeded.
    - ``failed_attempts``: attempts with status ``failed``.
    - ``errors_<reason>``: failed attempts per reason, most frequent first: the ``error_code``, else
      ``http_<response_status>``, else ``unknown``.

    Rates and figures over nothing (no latency, nothing delivered) are NaN. An empty ``attempts``
    gives an empty frame with these columns (no ``errors_`` column).
    """
    if is_duckdb_relation(attempts):
        from .metrics_sql import relation_metrics

        return relation_metrics(attempts, by, freq, flows)
    table = AttemptArrays.of(attempts, flows, "delivery_metrics")
    keys = [_key_column(table, name) for name in _by_names(by)]
    offset = _offset(freq)
    columns = [*(["flow"] if "flow_id" in keys and flows is not None else []), *METRIC_COLUMNS]
    if not len(table.frame):
        return _empty(keys + ([PERIOD] if offset is not None else []), columns)
    deliveries = _Deliveries.of(table)
    codes, sizes, index_of = _group_keys(table, deliveries, keys, offset)
    if codes:
        group, first_delivery, count = grouped.combined(codes, sizes)
    else:
        group, first_delivery, count = np.zeros(deliveries.count, np.int64), np.zeros(1, np.int64), 1
    result = pd.DataFrame(_figures(table, deliveries, group, count), index=index_of(first_delivery))
    result = result.join(_errors(table, group[deliveries.of_row], count, result.index))
    if columns[0] == "flow":
        result.insert(0, "flow", table.column("flow", deliveries.first_row[first_delivery]).array)
    return result


def delivery_issues(attempts: pd.DataFrame, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The failed attempts grouped by ``(flow_id, target_id, reason)``: what is going wrong, where, since when.

    ``reason``: the ``error_code``, else ``http_<response_status>``, else ``unknown``. Columns:

    - ``failed_attempts``: failed attempts of the group.
    - ``events``: distinct events among them.
    - ``first_seen``, ``last_seen``: ``created_at`` of the group's first and last failed attempt.
    - ``still_failing``: no attempt of that flow and target succeeded after ``last_seen``.

    Sorted: still failing first, then the most recently seen. ``flows`` (a
    :func:`zen_nb.load_flows` frame) adds the flow's name ``flow`` and its ``target_type`` after
    ``reason``. An empty frame, or one without a failure, gives no rows and these columns.
    """
    table = AttemptArrays.of(attempts, flows, "delivery_issues")
    extra = ["flow", "target_type"] if flows is not None else []
    failed = np.flatnonzero(table.is_status("failed"))
    columns = [*ISSUE_COLUMNS[:3], *extra, *ISSUE_COLUMNS[3:]]
    if not len(failed):
        return _empty_issues(columns)
    reason_code, reasons = failure_reasons(table, failed)
    flow, target = table.flow_code[failed], table.target_code[failed]
    group, first, count = grouped.combined([flow, target, reason_code], [table.flows, table.targets, len(reasons)])
    delivery, deliveries = grouped.delivery_codes(
        table.flow_code, table.target_code, table.targets, table.frame["event_id"]
    )
    _, distinct_first = np.unique(group * deliveries + delivery[failed], return_index=True)
    moments = table.moments[failed]
    seen_first = grouped.minimum(group, moments, count, NEVER)
    seen_last = grouped.maximum(group, moments, count, -NEVER)
    pair = table.flow_code * table.targets + table.target_code
    succeeded = table.is_status("succeeded")
    last_success = grouped.maximum(pair[succeeded], table.moments[succeeded], table.flows * table.targets, -NEVER)
    rows = failed[first]
    issues = pd.DataFrame(
        {
            "flow_id": table.frame["flow_id"].array.take(rows),
            "target_id": table.frame["target_id"].array.take(rows),
            "reason": pd.array(np.array(reasons, dtype=object)[reason_code[first]], dtype=STRING_DTYPE),
            **{name: table.column(name, rows).array for name in extra},
            "failed_attempts": grouped.counts(group, count),
            "events": grouped.counts(group[distinct_first], count),
            "first_seen": timestamps(seen_first),
            "last_seen": timestamps(seen_last),
            "still_failing": last_success[pair[rows]] <= seen_last,
        }
    )
    order = ["still_failing", "last_seen", "failed_attempts", "flow_id", "target_id", "reason"]
    issues = issues.sort_values(order, ascending=[False, False, False, True, True, True], kind="stable")
    return issues.reset_index(drop=True)


@dataclass
class _Deliveries:
    """One entry per delivery, as arrays indexed by its code."""

    count: int
    of_row: np.ndarray  # each attempt's delivery
    first_row: np.ndarray  # the row of its first attempt (lowest attempt_number, then the earliest row)
    first_number: np.ndarray
    success_number: np.ndarray  # attempt_number of its first success, NEVER if none
    attempts: np.ndarray
    first_succeeded: np.ndarray
    pending: np.ndarray
    delivered: np.ndarray
    to_deliver_s: np.ndarray  # seconds from the first attempt to the first success (NaN if none)

    @classmethod
    def of(cls, table: AttemptArrays) -> _Deliveries:
        code, count = grouped.delivery_codes(table.flow_code, table.target_code, table.targets, table.frame["event_id"])
        numbers, moments = table.numbers, table.moments
        succeeded, pending = table.is_status("succeeded"), table.is_status("pending")
        first_number = grouped.minimum(code, numbers, count, NEVER)
        is_first = numbers == first_number[code]
        first_row = grouped.first_of(code, count, np.flatnonzero(is_first))
        success_number = grouped.minimum(code[succeeded], numbers[succeeded], count, NEVER)
        delivered = success_number < NEVER
        is_success = succeeded & (numbers == success_number[code])
        success_moment = grouped.minimum(code[is_success], moments[is_success], count, NEVER)
        last_number = grouped.maximum(code, numbers, count, -NEVER)
        last_pending = grouped.counts(code, count, pending & (numbers == last_number[code])) > 0
        to_deliver = np.full(count, np.nan)
        to_deliver[delivered] = (success_moment[delivered] - moments[first_row[delivered]]) / 1e9
        return cls(
            count=count,
            of_row=code,
            first_row=first_row,
            first_number=first_number,
            success_number=success_number,
            attempts=grouped.counts(code, count),
            first_succeeded=grouped.counts(code, count, is_first & succeeded) > 0,
            pending=last_pending & ~delivered,
            delivered=delivered,
            to_deliver_s=to_deliver,
        )


def _figures(table: AttemptArrays, deliveries: _Deliveries, group: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """Every column of :data:`METRIC_COLUMNS`, per group (``group``: each delivery's)."""
    of_row = group[deliveries.of_row]
    events = grouped.counts(group, count)
    delivered = deliveries.delivered
    up_to = table.numbers <= deliveries.success_number[deliveries.of_row]
    attempts_to_deliver = grouped.counts(deliveries.of_row, deliveries.count, up_to)
    latency = table.frame["latency_ms"]
    has_latency = latency.notna().to_numpy(dtype=bool)
    latency_values = latency.to_numpy(dtype=np.int64 if _whole(latency) else np.float64, na_value=0)
    p50, p95, p99 = grouped.quantiles(of_row[has_latency], latency_values[has_latency], count, (0.5, 0.95, 0.99))
    delivered_count = grouped.counts(group, count, delivered)
    to_deliver = (deliveries.to_deliver_s[delivered] * 1e9).round().astype(np.int64)
    t50, t95 = (q / 1e9 for q in grouped.quantiles(group[delivered], to_deliver, count, (0.5, 0.95)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "events": events,
            "attempts": grouped.counts(of_row, count),
            "first_attempt_success_rate": grouped.counts(group, count, deliveries.first_succeeded) / events,
            "delivery_rate": delivered_count / events,
            "pending": grouped.counts(group, count, deliveries.pending),
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "attempts_per_delivered": np.bincount(
                group[delivered], weights=attempts_to_deliver[delivered], minlength=count
            )
            / delivered_count,
            "time_to_deliver_p50_s": t50,
            "time_to_deliver_p95_s": t95,
            "failed_attempts": grouped.counts(of_row, count, table.is_status("failed")),
        }


def _errors(table: AttemptArrays, group_of_row: np.ndarray, count: int, index: pd.Index) -> pd.DataFrame:
    """``errors_<reason>`` per group, the most frequent reason first (then by name)."""
    failed = np.flatnonzero(table.is_status("failed"))
    if not len(failed):
        return pd.DataFrame(index=index)
    reason_code, reasons = failure_reasons(table, failed)
    cells = np.bincount(group_of_row[failed] * len(reasons) + reason_code, minlength=count * len(reasons))
    cells = cells.reshape(count, len(reasons)).astype(np.int64)
    order = sorted(range(len(reasons)), key=lambda column: (-int(cells[:, column].sum()), reasons[column]))
    return pd.DataFrame(cells[:, order], index=index, columns=[f"errors_{reasons[column]}" for column in order])


def _whole(values: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(values.dtype)


def _by_names(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    names = [by] if isinstance(by, str) else list(by)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"by takes a column name, 'flow', 'target', 'target_type', a list of them or None; not {by!r}")
    return names


def _key_column(table: AttemptArrays, name: str) -> str:
    """The column ``by``'s ``name`` means; an error naming the columns and the fix for one that is missing."""
    column = BY_ALIASES.get(name, name)
    if table.has(column):
        return column
    if column in FROM_FLOWS:
        raise ValueError(
            f"by={name!r} needs a {column!r} column, which the attempts have not got: pass the flows,"
            f" delivery_metrics(attempts, by={name!r}, flows=zen_nb.load_flows())"
        )
    known = ", ".join(["'flow'", "'target'", "'target_type'", *map(repr, table.frame.columns)])
    raise ValueError(f"by names no column of the attempts: {name!r}; it takes one of {known}, a list of them or None")


def _offset(freq: str | pd.DateOffset | None) -> pd.DateOffset | None:
    if freq is None:
        return None
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError):
        raise ValueError(
            f"freq is not a pandas frequency: {freq!r}; use None, '1h', '1D', 'W' or any pandas offset alias"
        ) from None


def _group_keys(table: AttemptArrays, deliveries: _Deliveries, keys: list[str], offset: pd.DateOffset | None):
    """Each key's codes per delivery (from its first attempt), their sizes, and how to build the index."""
    rows = deliveries.first_row
    codes, sizes, uniques = [], [], []
    for name in keys:
        if name in ("flow_id", "target_id"):  # coded already, for the deliveries
            code, values = (
                (table.flow_code, table.flow_ids) if name == "flow_id" else (table.target_code, table.target_ids)
            )
            code = code[rows]
        else:
            code, values = grouped.codes_of(table.column(name, rows))
        codes.append(code)
        sizes.append(len(values))
        uniques.append(values)
    names = list(keys)
    if offset is not None:
        code, values = _bucket_codes(table.moments[rows], offset)
        codes.append(code)
        sizes.append(len(values))
        uniques.append(values)
        names.append(PERIOD)

    def index_of(first_delivery: np.ndarray) -> pd.Index:
        if not codes:
            return pd.RangeIndex(1)
        levels = [values.take(code[first_delivery]) for code, values in zip(codes, uniques, strict=True)]
        if len(levels) == 1:
            return pd.Index(levels[0], name=names[0])
        return pd.MultiIndex.from_arrays(levels, names=names)

    return codes, sizes, index_of


def _bucket_codes(moments: np.ndarray, offset: pd.DateOffset) -> tuple[np.ndarray, pd.Index]:
    """Each moment's bucket as a code into the buckets' starts.

    A fixed offset (``1h``, ``1D``) floors from the epoch, as ``Timestamp.floor`` does, in integer
    arithmetic. A calendar one (``MS``, ``W``) starts its buckets on its own dates: the last one
    at or before each moment, from the first at or before the earliest day.
    """
    if isinstance(offset, pd.offsets.Tick):
        step = offset.nanos
        bucket = moments // step
        low = int(bucket.min())
        span = int(bucket.max()) - low + 1
        if span <= 4 * len(moments) + 1024:
            return bucket - low, pd.Index(timestamps((low + np.arange(span)) * step))
        return grouped.codes_of(bucket * step, sort=True)[0], timestamps(np.unique(bucket) * step)
    times = timestamps(moments)
    edges = pd.date_range(offset.rollback(times.min().normalize()), times.max(), freq=offset)
    return np.searchsorted(edges.asi8, moments, side="right") - 1, edges


def _empty(names: list[str], columns: list[str]) -> pd.DataFrame:
    if len(names) > 1:
        index = pd.MultiIndex.from_arrays([[] for _ in names], names=names)
    else:
        index = pd.Index([], name=names[0] if names else None)
    return pd.DataFrame({name: pd.Series(dtype=_METRIC_DTYPES.get(name, "float64")) for name in columns}, index=index)


def _empty_issues(columns: list[str]) -> pd.DataFrame:
    dtypes = {"failed_attempts": "int64", "events": "int64", "still_failing": "bool"}
    dtypes |= {"first_seen": "datetime64[ns, UTC]", "last_seen": "datetime64[ns, UTC]"}
    return pd.DataFrame({name: pd.Series(dtype=dtypes.get(name, STRING_DTYPE)) for name in columns})


_METRIC_DTYPES = {
    "events": "int64",
    "attempts": "int64",
    "pending": "int64",
    "failed_attempts": "int64",
    "flow": STRING_DTYPE,
}
