"""``CodeView``: a request written out as code, one tab per language, each with a Copy button.

Three languages at once made about 1,100 px of code; a tab each shows one at a time. The
kernel cannot reach the user's clipboard, so Copy is a plain HTML ``<button>`` whose click runs
in the browser (``navigator.clipboard.writeText``); where the browser refuses (no permission,
not a secure page), the code is selected instead and the answer says to copy it by hand.
The code never holds the token: the snippets read ``$ZEN_API_TOKEN`` (:mod:`zen_nb.codegen`).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import ipywidgets as widgets

from .highlight import HIGHLIGHT_CSS, highlight

#: the tabs: snippet key and title, in order
LANGUAGES = (("curl", "curl"), ("python", "Python"), ("javascript", "JavaScript"))
TOKEN_NOTE = "The token is read from <code>$ZEN_API_TOKEN</code> in the environment: it is not in the code."
COPIED = "Copied"
REFUSED = "Select and copy: the browser refused the clipboard"

# Runs in the browser on click. Written with single quotes only: it sits in a double-quoted attribute.
_COPY_SCRIPT = (
    "(function(button){"
    "var block=button.closest('.zen-code-block');var pre=block.querySelector('pre');"
    "var answer=block.querySelector('.zen-copy-answer');"
    "function refused(){var range=document.createRange();range.selectNodeContents(pre);"
    "var selection=window.getSelection();selection.removeAllRanges();selection.addRange(range);"
    f"answer.textContent='{REFUSED}';}}"
    "answer.textContent='';"
    "if(navigator.clipboard&&window.isSecureContext){"
    f"navigator.clipboard.writeText(pre.textContent).then(function(){{answer.textContent='{COPIED}';}},refused);"
    "}else{refused();}"
    "})(this)"
)

CODE_CSS = (
    """
<style>
.zen-code { max-width: min(100%, calc(var(--zen-label-width, 110px) + 560px)); }
.zen-code .zen-code-block pre {
  background: var(--jp-layout-color1, #ffffff); color: var(--jp-content-font-color1, #1a1a1a);
  border: 1px solid var(--jp-border-color2, #8a8a8a); border-radius: 2px; margin: 4px 0 0;
  padding: 6px 8px; max-height: 22em; overflow: auto; white-space: pre; word-break: normal;
  font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px); line-height: 1.4;
}
.zen-code .zen-code-tools { display: flex; gap: 8px; align-items: center; margin-top: 4px; }
.zen-code .zen-copy {
  font: inherit; font-size: var(--jp-ui-font-size1, 13px); padding: 2px 12px; cursor: pointer; border-radius: 2px;
  background: var(--jp-layout-color2, #eeeeee); color: var(--jp-ui-font-color1, #1a1a1a);
  border: 1px solid var(--jp-border-color1, #8a8a8a);
}
.zen-code .zen-copy:focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
.zen-code .zen-copy-answer { color: var(--jp-content-font-color1, #1a1a1a); font-size: var(--jp-ui-font-size1, 13px); }
.zen-code .zen-code-note { color: var(--jp-content-font-color2, #4a4a4a); font-size: var(--jp-ui-font-size1, 13px); }
.zen-code .zen-code-note code { color: var(--jp-content-font-color1, #1a1a1a); }
/* ipywidgets greys the other tabs' titles below AA (4.45 : 1 light, 4.22 : 1 dark): the theme's own text colour */
.zen-code .jupyter-widgets.jupyter-widget-tab > .lm-TabBar .lm-TabBar-tab { color: var(--jp-ui-font-color1, #1a1a1a); }
"""
    + HIGHLIGHT_CSS
    + "\n</style>"
)


def code_block_html(code: str, language: str, title: str) -> str:
    """One tab's content: the highlighted code, its Copy button and the place for Copy's answer."""
    return (
        '<div class="zen-code-block">'
        '<div class="zen-code-tools">'
        f'<button type="button" class="zen-copy" aria-label="Copy the {escape(title)} code" '
        f'onclick="{escape(_COPY_SCRIPT)}">Copy</button>'
        '<span class="zen-copy-answer" role="status" aria-live="polite"></span>'
        "</div>"
        # Focusable, so that a keyboard can scroll a long line (axe: scrollable-region-focusable).
        f'<pre class="zen-code-text" tabindex="0" role="region" aria-label="{escape(title)} code" '
        f'data-language="{escape(language)}">'
        f"{highlight(code, language)}</pre>"
        "</div>"
    )


class CodeView(widgets.VBox):
    """Code for a request, one tab per language; or why there is none yet; or nothing (hidden)."""

    def __init__(self) -> None:
        self.snippets: dict[str, str] = {}  # what the tabs show now (empty when they are hidden)
        self.note = widgets.HTML()
        self.note.add_class("zen-code-note")
        self.blocks = [widgets.HTML() for _ in LANGUAGES]
        self.tabs = widgets.Tab(children=self.blocks, titles=[title for _, title in LANGUAGES])
        super().__init__([widgets.HTML(CODE_CSS, layout={"height": "0", "overflow": "hidden"}), self.note, self.tabs])
        self.add_class("zen-code")
        self.hide()

    @property
    def value(self) -> str:
        """The HTML shown now (the note and every tab), empty when hidden: what a user could read or a test check."""
        if self.layout.display == "none":
            return ""
        tabs = "".join(block.value for block in self.blocks) if self.snippets else ""
        return self.note.value + tabs

    def show(self, snippets: Mapping[str, str]) -> None:
        """Show ``snippets`` (keys of :data:`LANGUAGES`), keeping the tab the user had picked."""
        self.layout.display = None
        self.note.value = f"<span class='zen-code-note'>{TOKEN_NOTE}</span>"
        if dict(snippets) != self.snippets:
            self.snippets = dict(snippets)
            for block, (key, title) in zip(self.blocks, LANGUAGES, strict=True):
                block.value = code_block_html(snippets[key], key, title)
        self.tabs.layout.display = None

    def explain(self, problem: str) -> None:
        """No code yet: say why (``problem``: what makes the form not valid)."""
        self.layout.display = None
        self.snippets = {}
        for block in self.blocks:
            block.value = ""
        self.tabs.layout.display = "none"
        self.note.value = (
            f"<span class='zen-code-note' role='status'>Code appears once the form is valid: {escape(problem)}.</span>"
        )

    def hide(self) -> None:
        """Nothing shown ("Show as code" is off)."""
        self.layout.display = "none"
        self.snippets = {}
        for block in self.blocks:
            block.value = ""
        self.note.value = ""
