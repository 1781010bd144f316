"""Code highlighted with pygments, coloured by JupyterLab's own editor colours (``--jp-mirror-editor-*``).

Pygments' stock styles write colours out, right for one theme only. Here each token gets a
class (``zc-k``, ``zc-s2``...) and the stylesheet maps the classes to the editor's theme
variables, so the code reads as a code cell does in the light, dark and high-contrast themes.
Only variables whose values pass WCAG AA (4.5 : 1) on the code block's background in both the
light and the dark theme are used (measured on JupyterLab 4's theme files): the editor's
``comment``, ``def``, ``atom`` and ``tag`` colours do not, so those tokens borrow another.
The fallbacks are the light theme's values, for front ends without the variables.
"""

from __future__ import annotations

from pygments import highlight as _pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import BashLexer, JavascriptLexer, PythonLexer
from pygments.token import STANDARD_TYPES, Comment, Error, Keyword, Name, Number, Operator, Punctuation, String

#: the language of each snippet key of :func:`zen_nb.codegen.flow_request_snippets`
LEXERS = {"curl": BashLexer, "python": PythonLexer, "javascript": JavascriptLexer}
PREFIX = "zc-"

# The most specific token type first: a token takes the first entry it is a subtype of.
_COLOURS = [
    (String.Escape, "var(--jp-mirror-editor-string-2-color, #770088)"),
    (String.Regex, "var(--jp-mirror-editor-string-2-color, #770088)"),
    (String.Interpol, "var(--jp-mirror-editor-string-2-color, #770088)"),
    (String, "var(--jp-mirror-editor-string-color, #ba2121)"),
    (Number, "var(--jp-mirror-editor-number-color, #008800)"),
    (Keyword, "var(--jp-mirror-editor-keyword-color, #008000)"),
    (Name.Builtin, "var(--jp-mirror-editor-builtin-color, #008000)"),
    (Name.Tag, "var(--jp-mirror-editor-keyword-color, #008000)"),
    (Name.Function, "var(--jp-mirror-editor-variable-2-color, #00366d)"),
    (Name.Class, "var(--jp-mirror-editor-variable-2-color, #00366d)"),
    (Name.Exception, "var(--jp-mirror-editor-variable-2-color, #00366d)"),
    (Name.Variable, "var(--jp-mirror-editor-variable-2-color, #00366d)"),
    (Name.Attribute, "var(--jp-mirror-editor-property-color, #0055aa)"),
    (Name.Property, "var(--jp-mirror-editor-property-color, #0055aa)"),
    (Name.Other, "var(--jp-mirror-editor-property-color, #0055aa)"),
    (Operator, "var(--jp-mirror-editor-operator-color, #7800c2)"),
    (Punctuation, "var(--jp-mirror-editor-punctuation-color, #0055aa)"),
    (Comment, "var(--jp-content-font-color2, #4a4a4a)"),
    (Error, "var(--jp-mirror-editor-string-color, #ba2121)"),
]


def _rules() -> str:
    """One CSS rule per pygments token class that has a colour here."""
    rules = []
    for token, short in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        if not short:
            continue
        colour = next((colour for kind, colour in _COLOURS if token in kind), None)
        if colour:
            style = "font-style: italic; " if token in Comment else ""
            rules.append(f".zen-code .{PREFIX}{short} {{ {style}color: {colour}; }}")
    return "\n".join(rules)


#: the highlighting rules, scoped under ``.zen-code`` (the code view's root)
HIGHLIGHT_CSS = _rules()


def highlight(code: str, language: str) -> str:
    """``code`` as HTML spans (no wrapper): its text content is exactly ``code``."""
    lexer = LEXERS[language](stripnl=False, ensurenl=False)
    html = _pygments_highlight(code, lexer, HtmlFormatter(nowrap=True, classprefix=PREFIX))
    # Some lexers end their last token with a newline the code does not have: a Copy would add it.
    return html[:-1] if html.endswith("\n") and not code.endswith("\n") else html
