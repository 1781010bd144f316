"""The time buckets of :func:`zen_nb.delivery_metrics` as SQL, for a DuckDB relation of attempts.

The buckets must start where the pandas code (:func:`zen_nb.metrics._bucket_codes`) starts them:
a fixed offset (``1h``, ``1D``) floors from the epoch, in integer nanoseconds; a calendar one
(``W``, ``MS``) on the offset's own dates. Those dates are made by pandas, from the relation's
earliest and latest ``created_at`` (one small query), and joined with an ``ASOF`` join: DuckDB
has no calendar of pandas offsets, and a few hundred edges cost nothing to send as ``VALUES``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .attempt_arrays import timestamps

#: created_at as microseconds since the epoch: absolute, whatever the connection's TimeZone
EPOCH_US = "epoch_us(created_at)"


@dataclass(frozen=True)
class Buckets:
    """How the first attempt's moment ``first_us`` (microseconds) becomes its bucket's start in nanoseconds."""

    start_ns: str  # an SQL expression over first_us, or the edge column of the join
    join: str = ""  # the ASOF join that brings the edges, for a calendar offset
    edges: pd.DatetimeIndex | None = None  # a calendar offset's bucket starts
    step: int = 0  # a fixed offset's length in nanoseconds

    @classmethod
    def of(cls, offset: pd.DateOffset, relation) -> Buckets | None:
        """The buckets of ``offset`` for the attempts of ``relation``; None when a calendar has no moment to span."""
        if isinstance(offset, pd.offsets.Tick):
            step = int(offset.nanos)
            moment = "(first_us * 1000)"
            return cls(f"({moment} - ((({moment} % {step}) + {step}) % {step}))", step=step)
        low, high = moment_range(relation)
        if low is None or high is None:
            return None
        times = pd.to_datetime([low, high], unit="us", utc=True)
        edges = pd.date_range(offset.rollback(times[0].normalize()), times[1], freq=offset).as_unit("ns")
        values = ", ".join(f"({int(edge)})" for edge in edges.asi8)
        return cls(
            "bucket_edge.edge_ns",
            f" ASOF JOIN (VALUES {values}) AS bucket_edge(edge_ns) ON first_us * 1000 >= bucket_edge.edge_ns",
            edges=edges,
        )

    def index(self, starts_ns: np.ndarray, deliveries: int) -> pd.DatetimeIndex:
        """The sorted bucket starts as the pandas code's index of them, ``freq`` and all.

        pandas takes its buckets from every bucket start in the span (or the edges of a calendar
        offset), and a take of consecutive ones keeps their ``freq``: made the same way here, so
        that the two frames are equal to the last attribute.
        """
        if self.edges is not None:
            universe = pd.Index(self.edges)
        else:
            low, high = int(starts_ns.min()) // self.step, int(starts_ns.max()) // self.step
            span = high - low + 1
            if span <= 4 * deliveries + 1024:
                universe = pd.Index(timestamps((low + np.arange(span)) * self.step))
            else:
                universe = timestamps(np.unique(starts_ns))
        return universe.take(np.searchsorted(universe.asi8, starts_ns))


def moment_range(relation) -> tuple[int | None, int | None]:
    """The earliest and latest ``created_at`` of ``relation``, in microseconds (None, None when it is empty)."""
    [(low, high)] = relation.aggregate(f"min({EPOCH_US}), max({EPOCH_US})").fetchall()
    return low, high
