"""The code a flow form shows under "Show as code", read as a user reads and copies it.

Each tab's ``<pre>`` holds highlighted spans; its text content (tags dropped, entities decoded)
is what the browser shows and what the Copy button copies.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from zen_nb.widgets.code_view import LANGUAGES


def shown_code(form: Any) -> dict[str, str]:
    """``{"curl": ..., "python": ..., "javascript": ...}`` as the form's tabs show them ("Show as code" turned on)."""
    form.code_toggle.value = True
    shown = {}
    for block, (key, _title) in zip(form.code.blocks, LANGUAGES, strict=True):
        found = re.search(r"<pre[^>]*>(.*?)</pre>", block.value, re.S)
        assert found is not None, f"no code in the {key} tab: {form.code.value}"
        shown[key] = unescape(re.sub(r"<[^>]+>", "", found.group(1)))
    return shown
