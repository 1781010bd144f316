"""HTML for a class's results in a notebook (a check, a join): a tick or a cross, readable in any theme.

Colours come from JupyterLab's theme variables, with fallbacks for other front ends (classic
Notebook, VS Code, nbviewer); the background is a faint tint over whatever the theme's is, never
a light colour of its own, so the text keeps the theme's colour in the light and the dark theme.
Standard library only: the results call this from ``_repr_html_``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

MARKS = {True: "✓", False: "✗"}
_COLOURS = {
    True: ("var(--jp-success-color1, #2e7d32)", "rgba(46, 125, 50, 0.10)"),
    False: ("var(--jp-error-color1, #c62828)", "rgba(198, 40, 40, 0.10)"),
}
_BOX = (
    "border:1px solid {line};border-left-width:4px;border-radius:4px;padding:6px 10px;margin:2px 0;"
    "background:{tint};color:var(--jp-content-font-color1, inherit);"
    "font-family:var(--jp-content-font-family, sans-serif);line-height:1.4"
)


def result_html(passed: bool, message: str, more: Sequence[tuple[str, str]] = ()) -> str:
    """``message`` after a coloured tick (``passed``) or cross, then each ``(label, text)`` of ``more`` below it.

    A message that starts with its own mark (the sandbox's ``✓ …`` / ``✗ …``) keeps it, coloured, not doubled.
    """
    line, tint = _COLOURS[passed]
    mark = MARKS[passed]
    text = message
    if text[:1] in MARKS.values():
        mark, text = text[0], text[1:].lstrip()
    label = "passed" if passed else "not passed"
    head = (
        f'<span style="color:{line};font-weight:bold" role="img" aria-label="{label}">{mark}</span> '
        f"<span>{escape(text)}</span>"
    )
    rows = "".join(f'<div style="margin-top:2px"><b>{escape(name)}:</b> {escape(value)}</div>' for name, value in more)
    return f'<div style="{_BOX.format(line=line, tint=tint)}">{head}{rows}</div>'
