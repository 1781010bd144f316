"""Integer group codes and the reductions over them, in numpy, for :mod:`zen_nb.metrics`.

Why not ``DataFrame.groupby``: the metrics need a dozen figures per delivery and per group, and
each ``groupby`` factorizes its keys again (0.1 to 0.8 s per text column of a million rows on
this machine). Here every key is turned into integer codes once, and each figure is one
``np.bincount``, ``np.minimum.at`` or sort over them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def codes_of(values: pd.Series | np.ndarray, *, sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    """``values`` as int64 codes and the distinct values they index (sorted), a missing value last.

    A text column is factorized as its object array: pandas' string hash table on it is twice as
    fast as through the ``string`` Series. Missing values are numbered here rather than by
    ``use_na_sentinel=False``, which scans the whole array for them first.
    """
    dtype = None
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        dtype, values = values.dtype, values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values, sort=sort)
    codes = codes.astype(np.int64, copy=False)
    index = pd.Index(uniques, dtype=dtype)
    missing = codes < 0
    if missing.any():
        codes[missing] = len(index)
        index = index.append(pd.Index([None], dtype=index.dtype))
    return codes, index


def combined(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """One code per row for several code columns, numbered in their lexicographic order.

    Answers ``(group, first_row, count)``: each row's group, the first row of each group, and the
    number of groups. The columns are combined in mixed radix, re-numbered whenever the product of
    their sizes would overflow int64.
    """
    if not codes:
        raise ValueError("combined needs at least one code column")
    key, size = codes[0], max(int(sizes[0]), 1)
    for column, column_size in zip(codes[1:], sizes[1:], strict=True):
        column_size = max(int(column_size), 1)
        if size * column_size >= 2**62:
            _, key = np.unique(key, return_inverse=True)
            size = int(key.max()) + 1 if len(key) else 1
        key = key * column_size + column
        size *= column_size
    if size <= 4 * len(key) + 1024:  # dense enough to number by counting, without a sort
        present = np.bincount(key, minlength=size) > 0
        number = np.cumsum(present) - 1
        group = number[key]
        count = int(present.sum())
        return group, first_of(group, count), count
    distinct, first_row, group = np.unique(key, return_index=True, return_inverse=True)
    return group.astype(np.int64, copy=False).reshape(-1), first_row, len(distinct)


def delivery_codes(flow: np.ndarray, target: np.ndarray, targets: int, events: pd.Series) -> tuple[np.ndarray, int]:
    """One code per (flow, event, target), from the flow and target codes and the event ids.

    The event ids (hundreds of thousands of distinct strings) are factorized exactly: as fast as
    hashing them, which would then need a second hash to stay exact.
    """
    event, event_ids = codes_of(events, sort=False)
    pair = flow.astype(np.int64) * max(targets, 1) + target
    codes, uniques = pd.factorize(pair * len(event_ids) + event)
    return codes.astype(np.int64, copy=False), len(uniques)


def first_of(groups: np.ndarray, count: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The first row (lowest index) of each of ``count`` groups among ``rows`` (all rows by default)."""
    rows = np.arange(len(groups)) if rows is None else rows
    first = np.full(count, len(groups), dtype=np.int64)
    np.minimum.at(first, groups[rows], rows)
    return first


def minimum(groups: np.ndarray, values: np.ndarray, count: int, empty: int) -> np.ndarray:
    """The least of ``values`` per group (int64), ``empty`` for a group with none."""
    out = np.full(count, empty, dtype=np.int64)
    np.minimum.at(out, groups, values)
    return out


def maximum(groups: np.ndarray, values: np.ndarray, count: int, empty: int) -> np.ndarray:
    """The greatest of ``values`` per group (int64), ``empty`` for a group with none."""
    out = np.full(count, empty, dtype=np.int64)
    np.maximum.at(out, groups, values)
    return out


def counts(groups: np.ndarray, count: int, where: np.ndarray | None = None) -> np.ndarray:
    """Rows per group (int64), only those where ``where`` is true if it is given."""
    if where is not None:
        groups = groups[where]
    return np.bincount(groups, minlength=count).astype(np.int64, copy=False)


def quantiles(groups: np.ndarray, values: np.ndarray, count: int, qs: Sequence[float]) -> list[np.ndarray]:
    """The ``qs`` quantiles of ``values`` per group, interpolated linearly as ``Series.quantile`` does.

    NaN for a group with no value. Sorting dominates: when the values are whole numbers that fit
    beside the group code in 63 bits (latencies in ms), one ``np.sort`` of the packed key does it;
    else ``np.lexsort``.
    """
    if not len(values):
        return [np.full(count, np.nan) for _ in qs]
    ordered = _sorted_by_group(groups, values, count)
    sizes = np.bincount(groups, minlength=count)
    starts = np.cumsum(sizes) - sizes
    has = sizes > 0
    answers = []
    for q in qs:
        position = (sizes[has] - 1) * q
        low = np.floor(position).astype(np.int64)
        high = np.ceil(position).astype(np.int64)
        below, above = ordered[starts[has] + low], ordered[starts[has] + high]
        out = np.full(count, np.nan)
        out[has] = below + (above - below) * (position - low)
        answers.append(out)
    return answers


def _sorted_by_group(groups: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """``values`` as float, sorted by group then value."""
    if values.dtype.kind in "iu":
        low, high = int(values.min()), int(values.max())
        value_bits, group_bits = max(high - low, 1).bit_length(), max(count, 1).bit_length()
        if value_bits + group_bits <= 62:
            packed = np.sort((groups.astype(np.int64) << value_bits) | (values.astype(np.int64) - low))
            return (packed & ((1 << value_bits) - 1)).astype(np.float64) + low
    order = np.lexsort((values, groups))
    return values[order].astype(np.float64)
