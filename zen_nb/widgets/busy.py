"""A button's busy state while the kernel waits on the network for it.

A click on "Check connection" runs in the kernel; the front end sees only the widget updates the
kernel sends while it works. Those are sent at once, before the request, so the user sees the
button disabled and saying what it does ("Checking…") for as long as the request takes. Every
other button of the form is held too: a second click while one request runs would race it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import ipywidgets as widgets


@contextmanager
def busy(button: widgets.Button, label: str, hold: Iterable[widgets.Button] = ()) -> Iterator[None]:
    """``button`` disabled and labelled ``label`` (with a spinning icon), ``hold`` disabled; all restored after."""
    others = [other for other in hold if other is not button]
    saved = (button.description, button.icon, button.disabled, [other.disabled for other in others])
    button.description, button.icon, button.disabled = label, "spinner", True
    button.add_class("zen-busy-button")
    for other in others:
        other.disabled = True
    try:
        yield
    finally:
        button.description, button.icon, button.disabled = saved[0], saved[1], saved[2]
        button.remove_class("zen-busy-button")
        for other, disabled in zip(others, saved[3], strict=True):
            other.disabled = disabled
