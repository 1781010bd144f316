"""The forms' one stylesheet, written in JupyterLab's theme variables (``--jp-*``).

A colour written out (``#fff5f5``) is right in one theme only: under the dark theme's white text
a light box reads at 1.02 : 1. Every colour here is a theme variable, so light, dark and
high-contrast themes each bring their own; tints are mixed from the theme's own colours
(``color-mix``) over whatever the page's background is. The fallbacks after a variable are for
front ends without JupyterLab's variables (classic Notebook, VS Code), and are the light
theme's values, chosen to pass WCAG AA there.

A form puts :data:`STYLESHEET` in front of its children once (:func:`stylesheet`) and gives its
root the class ``zen-form``; the classes below then style it. Everything is scoped under
``.zen-form`` so the rest of the notebook is untouched.
"""

from __future__ import annotations

import ipywidgets as widgets

#: an input row's layout: 4 px less than the row, since ipywidgets puts a 2 px margin either side
#: (a width of 100 % overflowed by them at 150 % zoom); never wider than 560 px
INPUT_LAYOUT = {"width": "min(calc(100% - 4px), 560px)"}

STYLESHEET = """
<style>
.zen-form {
  --zen-text: var(--jp-content-font-color1, #1a1a1a);
  --zen-muted: var(--jp-content-font-color2, #4a4a4a);
  --zen-error: var(--jp-error-color1, #b71c1c);
  --zen-success: var(--jp-success-color1, #1b5e20);
  --zen-info: var(--jp-info-color1, #0d47a1);
  --zen-warn: var(--jp-warn-color1, #8a4b00);
  --zen-border: var(--jp-border-color1, #8a8a8a);
  --zen-surface: var(--jp-layout-color1, #ffffff);
  --zen-code-surface: var(--jp-cell-editor-background, #f5f5f5);
  max-width: 100%;
  color: var(--zen-text);
  font-family: var(--jp-ui-font-family, system-ui, sans-serif);
}
.zen-form-setup { --zen-label-width: 140px; }
.zen-form-flow { --zen-label-width: 110px; }
/* A message is as wide as the form's rows at most: label + inputs, or the inputs alone under them. */
.zen-form { --zen-measure: calc(var(--zen-label-width, 0px) + 560px); }
.zen-form .zen-under-inputs {
  --zen-measure: calc(560px - var(--zen-label-width, 0px) - var(--jp-widgets-inline-margin, 4px) - 2px);
}
.zen-form .zen-title { font-weight: 600; font-size: var(--jp-content-font-size2, 1.1em); margin: 2px 0 6px; }
.zen-form .zen-under-inputs {
  margin-left: calc(var(--zen-label-width, 0px) + var(--jp-widgets-inline-margin, 4px) + 2px);
}
/* Narrow (a side panel, a phone): what sits under the inputs takes the whole width instead of a strip
   to the right of the labels' column. A projector at 150 % leaves the form about 420 px: still aligned.
   The form is a size container for this. */
.zen-form { container-type: inline-size; }
@container (max-width: 360px) {
  .zen-form .zen-under-inputs { margin-left: 0; --zen-measure: 100%; }
}
.zen-form .zen-hint, .zen-form .zen-hint * {
  color: var(--zen-muted); font-size: var(--jp-ui-font-size1, 13px); line-height: 1.35;
}
.zen-form .zen-hint.zen-problem, .zen-form .zen-hint.zen-problem * { color: var(--zen-error); }
.zen-form .zen-invalid input, .zen-form .zen-invalid textarea, .zen-form .zen-invalid select {
  border-color: var(--zen-error) !important; box-shadow: inset 0 0 0 1px var(--zen-error);
}
/* A message's own inline styles (zen_nb.display) carry its look, for cells and untrusted notebooks too;
   these rules only repeat them for the form. */
.zen-form .zen-message {
  box-sizing: border-box; max-width: min(100%, var(--zen-measure));
  margin: 6px 0 2px; padding: 6px 10px; line-height: 1.4; border-radius: 3px;
  border: 1px solid var(--zen-border); border-left-width: 4px; color: var(--zen-text);
  background: var(--zen-surface);
}
.zen-form .zen-message p { margin: 0; line-height: 1.4; }
.zen-form .zen-message p + p { margin-top: 4px; }
.zen-form .zen-message.zen-error { border-left-color: var(--zen-error); }
.zen-form .zen-message.zen-success { border-left-color: var(--zen-success); }
.zen-form .zen-message.zen-busy, .zen-form .zen-message.zen-info { border-left-color: var(--zen-info); }
.zen-form .zen-message .zen-kind { font-weight: 600; }
.zen-form .zen-message .zen-details { font-size: 0.92em; }
.zen-form code, .zen-form pre {
  font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px);
  background: var(--zen-code-surface); color: var(--zen-text); border-radius: 2px;
}
.zen-form code { padding: 0 3px; }
.zen-form pre { padding: 6px 8px; margin: 4px 0; white-space: pre-wrap; word-break: break-word; line-height: 1.4; }
.zen-form .widget-html-content { line-height: 1.4; }
.zen-form .zen-busy-button i.fa { animation: zen-spin 1.2s linear infinite; }
@keyframes zen-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .zen-form .zen-busy-button i.fa { animation: none; } }
.zen-form textarea { font-family: var(--jp-ui-font-family, system-ui, sans-serif); }
.zen-form .widget-text, .zen-form .widget-textarea, .zen-form .widget-dropdown { box-sizing: border-box; }
</style>
"""


def stylesheet() -> widgets.HTML:
    """The stylesheet as a widget, to be a form's first child (it takes no room)."""
    sheet = widgets.HTML(STYLESHEET, layout={"margin": "0", "height": "0", "overflow": "hidden"})
    sheet.add_class("zen-stylesheet")
    return sheet


def style_form(form: widgets.Box, kind: str) -> None:
    """Give ``form`` the root class and its label width (``kind``: ``setup``, 140 px, or ``flow``, 110 px)."""
    form.add_class("zen-form")
    form.add_class(f"zen-form-{kind}")


def under_inputs(widget: widgets.DOMWidget, *classes: str) -> widgets.DOMWidget:
    """``widget`` lined up with the inputs (after the labels), with ``classes`` added."""
    for name in ("zen-under-inputs", *classes):
        widget.add_class(name)
    return widget


def mark_field(field: widgets.DOMWidget, problem: str | None) -> None:
    """Show ``field`` in its error state (red border) while ``problem`` is not None; the text goes in its hint."""
    if problem is None:
        field.remove_class("zen-invalid")
    else:
        field.add_class("zen-invalid")
