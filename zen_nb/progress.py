"""A progress bar for long loads: tqdm.auto, shown only when a load is long and someone watches.

When the service says how many rows a list holds (the sandbox's ``total`` on a list's first
page), the bar has an end: ``4,500/7,875 rows``; otherwise it counts rows, time and rate. Once a
bar was shown, a closing line says what was loaded (``Loaded 7,875 attempts in 0.3 s``) on
stdout, so that a notebook keeps it under the cell after the bar has gone.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

#: a load shows a bar once it has fetched more pages than this
PAGES_BEFORE_BAR = 3

# tqdm's own n_fmt/total_fmt have no thousands separators: format the counts here.
_WITH_TOTAL = "{desc}: {percentage:3.0f}%|{bar}| {n:,}/{total:,} rows [{elapsed}<{remaining}, {rate_fmt}]"
_WITHOUT_TOTAL = "{desc}: {n:,} rows [{elapsed}, {rate_fmt}]"


def is_interactive() -> bool:
    """True in a notebook or IPython session, or with a terminal on stderr."""
    shell = sys.modules.get("IPython")
    if shell is not None and getattr(shell, "get_ipython", lambda: None)() is not None:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def closing_line(rows: int, what: str, seconds: float) -> str:
    """``Loaded 7,875 attempts in 0.3 s``: what a finished load says once its bar is gone."""
    return f"Loaded {rows:,} {what} in {seconds:.1f} s"


class PageProgress:
    """Counts loaded rows; opens a tqdm bar after :data:`PAGES_BEFORE_BAR` pages when enabled.

    ``what`` names the rows (``"attempts"``): the bar reads ``Loading attempts``, the closing
    line ``Loaded 7,875 attempts in 0.3 s``. ``enabled=None`` decides by :func:`is_interactive`.
    ``bar_file`` is where a text bar writes (tqdm's ``file``; None: stderr, or the notebook
    widget) and ``out`` where the closing line goes (None: ``sys.stdout`` at the time): tests
    pass StringIOs. Use it as a context manager.
    """

    def __init__(
        self, what: str, enabled: bool | None, *, bar_file: IO[str] | None = None, out: IO[str] | None = None
    ) -> None:
        self.what = what
        self.description = f"Loading {what}"
        self.enabled = is_interactive() if enabled is None else enabled
        self.pages = 0
        self.rows = 0
        self.bar: Any = None
        self._bar_file = bar_file
        self._out = out
        self._counted = 0  # the sum of the totals the lists begun so far gave
        self._uncounted = False  # a list begun so far gave none: the load has no known end
        self._started = time.perf_counter()

    @property
    def total(self) -> int | None:
        """The rows this load will have, as far as the lists begun so far say; None when one said nothing."""
        return None if self._uncounted else max(self._counted, self.rows)

    def begin_list(self, total: int | None) -> None:
        """A new list (one plane's) starts; ``total`` is how many rows its service says it holds, or None."""
        if total is None:
            self._uncounted = True
        else:
            self._counted += total
        if self.bar is not None:
            self._show_total()

    def update(self, rows: int) -> None:
        """One more page of ``rows`` rows was loaded."""
        self.pages += 1
        self.rows += rows
        if self.bar is None and self.enabled and self.pages > PAGES_BEFORE_BAR:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                desc=self.description,
                unit=" rows",
                initial=self.rows,  # it opens on the rows loaded so far, this page's included
                total=self.total,
                bar_format=_WITH_TOTAL if self.total is not None else _WITHOUT_TOTAL,
                leave=False,
                file=self._bar_file,
            )
            return
        if self.bar is not None:
            if self.total is not None and self.total != self.bar.total:
                self._show_total()  # a count can be overtaken by rows created while paging
            self.bar.update(rows)

    def _show_total(self) -> None:
        """Give the open bar the current total, in text and in the notebook's widget alike."""
        total = self.total
        self.bar.total = total
        self.bar.bar_format = _WITH_TOTAL if total is not None else _WITHOUT_TOTAL
        container = getattr(self.bar, "container", None)  # tqdm.notebook's (label, IntProgress, label)
        if container is not None and total is not None:
            widget = container.children[1]
            widget.max = total
            widget.bar_style = ""  # an unknown total showed a full "info" bar
        self.bar.refresh()

    def __enter__(self) -> PageProgress:
        self._started = time.perf_counter()
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        if self.bar is None:
            return
        if self.bar.total is not None and self.bar.n < self.bar.total:
            # Fewer rows than counted (some went while paging, or the load failed): a notebook bar
            # closed short of its total would stay up, red. The closing line says what came.
            self._counted, self._uncounted = 0, False
            self._show_total()
        self.bar.close()
        if exc_type is None:
            out = self._out if self._out is not None else sys.stdout
            print(closing_line(self.rows, self.what, time.perf_counter() - self._started), file=out)
