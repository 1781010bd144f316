"""A progress bar for long loads: tqdm.auto, shown only when a load is long and someone watches."""

from __future__ import annotations

import sys
from typing import Any

#: a load shows a bar once it has fetched more pages than this
PAGES_BEFORE_BAR = 3


def is_interactive() -> bool:
    """True in a notebook or IPython session, or with a terminal on stderr."""
    shell = sys.modules.get("IPython")
    if shell is not None and getattr(shell, "get_ipython", lambda: None)() is not None:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class PageProgress:
    """Counts loaded rows; opens a tqdm bar after :data:`PAGES_BEFORE_BAR` pages when enabled.

    ``enabled=None`` decides by :func:`is_interactive`. Use it as a context manager.
    """

    def __init__(self, description: str, enabled: bool | None) -> None:
        self.description = description
        self.enabled = is_interactive() if enabled is None else enabled
        self.pages = 0
        self.rows = 0
        self.bar: Any = None

    def update(self, rows: int) -> None:
        self.pages += 1
        self.rows += rows
        if self.bar is None and self.enabled and self.pages > PAGES_BEFORE_BAR:
            from tqdm.auto import tqdm

            self.bar = tqdm(desc=self.description, unit=" rows", initial=self.rows - rows, leave=False)
        if self.bar is not None:
            self.bar.update(rows)

    def __enter__(self) -> PageProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.close()
