"""Stop a foreground command the ways terminals and supervisors stop it: Ctrl-C, SIGTERM, SIGHUP.

Python turns only SIGINT into ``KeyboardInterrupt``; SIGTERM (``kill``, a supervisor, a container
stopping) and SIGHUP (the terminal closed) would end the process at once, skipping the clean-up
that stops its children. Inside :func:`stopping_on_signals` all three raise :class:`Stopped`, so
one ``finally`` stops everything whichever way the user ended it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# SIGHUP does not exist on Windows; there a console's close arrives as SIGBREAK or not at all.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(KeyboardInterrupt):
    """The command was asked to stop by ``signal_name`` (a ``KeyboardInterrupt``, so Ctrl-C code paths apply)."""

    def __init__(self, signal_number: int) -> None:
        self.signal_name = signal.Signals(signal_number).name
        super().__init__(self.signal_name)


def _raise_stopped(signal_number: int, _frame: FrameType | None) -> None:
    raise Stopped(signal_number)


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread."""
    previous = {number: signal.signal(number, _raise_stopped) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def children_ignore_hangup() -> Iterator[None]:
    """Processes started within the block ignore SIGHUP (an ignored signal stays ignored across exec).

    A closed terminal sends SIGHUP to the whole foreground process group: a child that died of it
    at once would leave its own children (JupyterLab's kernels) behind. The parent, which does
    not ignore it, then stops the child cleanly instead.
    """
    if not hasattr(signal, "SIGHUP"):
        yield
        return
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)
