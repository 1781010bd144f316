"""Time windows of an attempt list: ``[start, end)`` slices on whole milliseconds that a parallel load fetches at once.

The service stores ``createdAt`` to the millisecond, takes ``since`` inclusive and ``until``
exclusive, and lists in ``(createdAt, creation order)``: windows that meet on a whole
millisecond neither drop nor double a row, and laid end to end in time order they list exactly
what one sequential read lists.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .arguments import utc_moment

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def millis(text: str) -> int:
    """Milliseconds since the epoch of an API timestamp (``2024-01-15T10:30:00.123Z``), rounded down."""
    return (utc_moment(text) - EPOCH) // timedelta(milliseconds=1)


def stamp(ms: int) -> str:
    """The API's timestamp text of a whole millisecond: what a window sends as ``since``/``until``."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def created_ms(row: dict[str, Any]) -> int:
    """The ``createdAt`` of an attempt's JSON in milliseconds (snake_case read too)."""
    return millis(row.get("createdAt") or row["created_at"])


@dataclass(eq=False)  # a window is itself: two are never the same slice, and identity finds it in a list
class Window:
    """One slice ``[start, end)`` of a plane's list (ms) and how far its read got.

    ``open_start``/``open_end``: that bound is only an estimate, and the window sends the load's
    outer bound instead (the caller's ``since``/``until``, or none), so no row is lost to it.

    ``end`` may move earlier while the window is read (a bisection): the reader checks it after
    every page, under ``lock``, and keeps only the rows before it.
    """

    plane_id: str
    start: int
    end: int
    open_start: bool = False
    open_end: bool = False
    reached: int | None = None  # the createdAt (ms) of the last row kept so far
    more: bool = False  # its last page was full: more pages follow (only such a window is worth a split)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def keep(self, page: list[dict[str, Any]], full: bool = False) -> tuple[list[dict[str, Any]], bool]:
        """The rows of a page that belong here, and whether the read is done (a row at or past ``end``).

        The list is in createdAt order, so the first row at or past ``end`` ends the window.
        ``full``: the page had as many rows as a page holds, so more may follow.
        """
        with self.lock:
            end = None if self.open_end else self.end
            if end is None or not page or created_ms(page[-1]) < end:
                kept, done = page, False
            else:
                cut = next(index for index, row in enumerate(page) if created_ms(row) >= end)
                kept, done = page[:cut], True
            if kept:
                self.reached = created_ms(kept[-1])
            self.more = full and not done
            return kept, done

    def bisect(self, min_span: int = 2) -> Window | None:
        """Split off the later half of what is left to read, as a new window; None when too little is left.

        Only a window with a known ``end`` is split (an open-ended one has no midpoint), and the
        halves meet on a whole millisecond past every row already kept.
        """
        with self.lock:
            if self.open_end or not self.more:
                return None
            low = self.reached + 1 if self.reached is not None else self.start
            if self.end - low < min_span:
                return None
            middle = (low + self.end) // 2
            later = Window(self.plane_id, middle, self.end)
            self.end = middle
            return later

    def left(self) -> int:
        """Milliseconds still to read (0 when unknown): which running window is worth splitting."""
        with self.lock:
            low = self.reached + 1 if self.reached is not None else self.start
            return 0 if self.open_end else max(self.end - low, 0)

    def bounds(self, since: str | None, until: str | None) -> tuple[str | None, str | None]:
        """The ``since``/``until`` this window sends: its own millisecond bounds, or the load's outer ones."""
        return (since if self.open_start else stamp(self.start), until if self.open_end else stamp(self.end))


def split(plane_id: str, start: int, end: int, count: int) -> list[Window]:
    """``[start, end)`` (estimates) in ``count`` windows on whole milliseconds, in time order.

    The first window runs from the load's own ``since`` and the last to its own ``until`` (or
    open): the estimates only place the cuts between them, so a row older than ``start`` or
    newer than ``end`` (written while the load runs) is still read.
    """
    count = max(1, min(count, end - start))
    cuts = [start + (end - start) * index // count for index in range(count + 1)]
    windows = [Window(plane_id, low, high) for low, high in zip(cuts, cuts[1:], strict=False)]
    windows[0].open_start = True
    windows[-1].open_end = True
    return windows
