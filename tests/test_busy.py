"""``busy``: a button's busy state while the kernel waits for it, and everything put back after.

The traits are what the front end shows: each change made here is sent to the browser at once.
"""

from __future__ import annotations

import ipywidgets
import pytest

from zen_nb.widgets.busy import busy


def test_the_button_is_disabled_relabelled_and_spinning_and_the_others_held():
    button = ipywidgets.Button(description="Check connection", icon="plug")
    other, already_off = ipywidgets.Button(description="Apply"), ipywidgets.Button(description="Off", disabled=True)

    with busy(button, "Checking…", hold=[button, other, already_off]):
        assert (button.description, button.icon, button.disabled) == ("Checking…", "spinner", True)
        assert "zen-busy-button" in button._dom_classes
        assert other.disabled and already_off.disabled

    assert (button.description, button.icon, button.disabled) == ("Check connection", "plug", False)
    assert "zen-busy-button" not in button._dom_classes
    assert not other.disabled
    assert already_off.disabled, "a button that was off before stays off"


def test_everything_is_put_back_when_the_work_raises():
    button, other = ipywidgets.Button(description="Join class", icon="users"), ipywidgets.Button()

    with pytest.raises(RuntimeError), busy(button, "Joining…", hold=[other]):
        raise RuntimeError("the network went away")

    assert (button.description, button.icon, button.disabled, other.disabled) == ("Join class", "users", False, False)
