"""Reading an attempt list as time windows on a pool of threads, with the rows in a sequential read's order.

Against a real service every page is a round trip: 100,000 attempts at 250 a page and 50 ms a
trip is 20 s of waiting in one line. Here each plane's ``[since, until)`` is cut into more
windows (:mod:`zen_nb.time_windows`) than there are threads, at most ``workers`` requests are in
flight at once, and a thread that runs out of windows splits the biggest one still running, so
a bursty history (a month with everything in one hour) still spreads over all threads. Every
window is read by :meth:`ZenClient.attempt_pages`, so urllib3's retries, ``Retry-After`` and the
per-page resumes of :meth:`Transport.pages` apply to each as they do to a sequential read.

Only the main thread schedules, splits and tells the progress bar; the threads just read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any

from requests.adapters import DEFAULT_POOLSIZE

from .arguments import iso_timestamp
from .client import ZenClient
from .progress import PageProgress
from .time_windows import Window, created_ms, millis, split
from .wire import list_items

LOG = logging.getLogger(__name__)
#: the connection pool of one client (requests' default, :mod:`zen_nb.transport` keeps it): more
#: threads than connections would open and throw away a connection per request
MAX_WORKERS = DEFAULT_POOLSIZE
WINDOWS_PER_WORKER = 4  # enough slack that a slow window is not the whole load's tail
SPLITS_PER_WORKER = 8  # a bound on bisections, so a history of one millisecond cannot split for ever
POLL_SECONDS = 0.1  # how often the main thread wakes (Ctrl-C, the bar) while the threads read

Filters = dict[str, Any]
Pages = list[list[dict[str, Any]]]


def checked_workers(workers: object, what: str = "workers") -> int:
    """``workers`` as a thread count: a positive int, capped at :data:`MAX_WORKERS` (the connection pool)."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"{what} must be a whole number of threads, got {type(workers).__name__}: pass e.g. {what}=4")
    if workers < 1:
        raise ValueError(f"{what} must be 1 or more, got {workers}: pass {what}=1 to read page after page")
    return min(workers, MAX_WORKERS)


class Counters:
    """What a parallel load did, for tests and benchmarks: windows read, bisections, probe requests."""

    def __init__(self) -> None:
        self.windows = 0
        self.splits = 0
        self.probes = 0


#: the last parallel load's counters (read by tests and the benchmark; the main thread writes them)
last_load = Counters()


def windowed_attempts(
    client: ZenClient, plane_ids: list[str], filters: Filters, workers: int, bar: PageProgress
) -> list[Pages]:
    """Every plane's attempts as its pages, in a sequential read's order: one list of pages per plane."""
    global last_load
    last_load = counters = Counters()
    plans = [_plan(client, plane_id, filters, workers, bar, counters) for plane_id in plane_ids]
    done: dict[int, Pages] = {}
    queue = deque(window for plan in plans for window in plan)
    order = [list(plan) for plan in plans]  # each plane's windows in time order, bisections included
    plane_index = {plane_id: index for index, plane_id in enumerate(plane_ids)}
    stop = threading.Event()
    splittable = not client.dialect.newest_first  # a v1 window is read whole before its first page: no midpoint
    running: dict[Future[Pages], Window] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zen-window")
    try:
        while queue or running:
            while queue and len(running) < workers:
                window = queue.popleft()
                running[pool.submit(_read_window, client, window, filters, stop)] = window
                counters.windows += 1
            if splittable and len(running) < workers and counters.splits < SPLITS_PER_WORKER * workers:
                halves = _split_biggest(running.values())
                if halves is not None:  # an idle thread takes the later half of the biggest window left
                    earlier, later = halves
                    counters.splits += 1
                    windows = order[plane_index[later.plane_id]]
                    windows.insert(windows.index(earlier) + 1, later)
                    queue.append(later)
                    continue
            finished, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                window = running.pop(future)
                pages = future.result()  # a window that failed for good raises here, as a sequential read would
                done[id(window)] = pages
                for page in pages:
                    bar.update(len(page))
    finally:
        stop.set()  # the threads stop at their next page; none is left running after this call
        pool.shutdown(wait=True, cancel_futures=True)
    return [[page for window in windows for page in done[id(window)]] for windows in order]


def _split_biggest(running: Iterable[Window]) -> tuple[Window, Window] | None:
    """The running window with the most left to read and the new window of its later half, if any can split."""
    for window in sorted(running, key=Window.left, reverse=True):
        later = window.bisect()
        if later is not None:
            LOG.debug("split a window of plane %s at %s", window.plane_id, later.start)
            return window, later
    return None


def _read_window(client: ZenClient, window: Window, filters: Filters, stop: threading.Event) -> Pages:
    """One window's pages (on a pool thread), cut where the window ends if it was split while read."""
    since, until = window.bounds(filters["since"], filters["until"])
    pages: Pages = []
    page_size = client.dialect.page_size
    for page in client.attempt_pages(window.plane_id, **{**filters, "since": since, "until": until}):
        kept, done = window.keep(list(page), full=len(page) >= page_size)
        pages.append(kept)
        if done or stop.is_set():
            break
    return pages


def _plan(
    client: ZenClient, plane_id: str, filters: Filters, workers: int, bar: PageProgress, counters: Counters
) -> list[Window]:
    """A plane's windows: from its earliest matching attempt (one request of one row) to ``until`` or now.

    No matching attempt: no window (an empty frame). The end is an estimate when ``until`` is
    not given (this machine's clock), which is why the last window is open-ended.
    """
    newest_first = client.dialect.newest_first
    path, params, keep = client._attempt_listing(plane_id, *(filters[name] for name in _LISTING))
    params = {key: value for key, value in params.items() if value is not None}
    # Through the transport's page read: urllib3's retries and the page resumes, as every page of a
    # sequential load gets them (a probe raising after five 503s would fail a load that succeeds).
    body = client._http.page(path, {**params, "limit": 1})
    counters.probes += 1
    first = list_items(body)
    total = first.total if keep is None and not newest_first else None
    bar.begin_list(total)
    if not first:
        return []
    count = workers * WINDOWS_PER_WORKER
    if first.total is not None:  # no more windows than pages: each window costs a request at least
        count = max(1, min(count, -(-first.total // client.dialect.page_size)))
    row = client.dialect.read_attempt(first[0]) if newest_first else first[0]
    now = int(time.time() * 1000)  # only where the cuts go: the last window is open-ended
    if newest_first:  # v1 lists newest first: the one row is the end, and the start is the caller's or a month back
        end = created_ms(row) + 1
        start = millis(iso_timestamp(filters["since"])) if filters["since"] is not None else end - _MONTH_MS
    else:
        start = created_ms(row)
        end = millis(iso_timestamp(filters["until"])) if filters["until"] is not None else max(now, start) + 1
    return split(plane_id, start, end, count)


_LISTING = ("flow", "event", "target", "status", "since", "until")
_MONTH_MS = 31 * 24 * 3600 * 1000  # v1 has no oldest-first probe: a guess for where its cuts begin


def each_plane(planes: list[str], read: Callable[[str], Any], workers: int) -> list[Any]:
    """``read(plane_id)`` of every plane on up to ``workers`` threads at once, in plane order.

    The first plane that fails raises its error here, and the planes not yet begun are dropped.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zen-plane")
    try:
        futures = [pool.submit(read, plane_id) for plane_id in planes]
        while True:
            _, pending = wait(futures, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
            failed = [future for future in futures if future.done() and future.exception() is not None]
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
            if not pending:
                return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
