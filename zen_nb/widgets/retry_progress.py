"""The retry form's progress bar, fed from the plan's worker threads.

``plan.run(on_progress=...)`` calls back from several worker threads at once, as each request
ends. Every widget update is a message to the front end; one per event of a 10,000-event plan
would flood it, and two threads could set the bar back (an older count arriving after a newer
one). So the count only goes up, under a lock, and the bar is redrawn at most every
:data:`INTERVAL` seconds, and always for the last event.
"""

from __future__ import annotations

import threading
import time

import ipywidgets as widgets

INTERVAL = 0.1  # seconds between two redraws of the bar


class RunProgress:
    """An ``IntProgress`` and a line that says ``done of total``, hidden until a run starts."""

    def __init__(self) -> None:
        self.bar = widgets.IntProgress(
            value=0, min=0, max=1, description="Retried", style={"description_width": "110px"}
        )
        self.line = widgets.HTML()
        self.box = widgets.HBox([self.bar, self.line], layout={"display": "none", "flex_flow": "row wrap"})
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._drawn = 0.0

    def start(self, total: int) -> None:
        """A run of ``total`` events begins: the bar at zero, shown."""
        with self._lock:
            self._done, self._total, self._drawn = 0, total, 0.0
            self._draw()
        self.box.layout.display = "flex"

    def __call__(self, done: int, total: int) -> None:
        """``on_progress``: ``done`` of ``total`` events have had their request (any thread)."""
        with self._lock:
            if done < self._done:  # an older count from a slower thread
                return
            self._done, self._total = done, total
            now = time.monotonic()
            if done >= total or now - self._drawn >= INTERVAL:
                self._drawn = now
                self._draw()

    def finish(self) -> None:
        """The run has returned: the bar shows the last count it was given."""
        with self._lock:
            self._draw()

    @property
    def done(self) -> int:
        return self._done

    def _draw(self) -> None:
        self.bar.max = max(self._total, 1)
        self.bar.value = min(self._done, self.bar.max)
        self.line.value = f"{self._done} of {self._total}"
