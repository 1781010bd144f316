"""``CodeView`` and its highlighting: the code a user copies is exactly the code generated, coloured by the theme.

The highlighted HTML must have as its text content exactly the snippet (the Copy button copies
that text, and ``test_widgets`` runs the Python tab's text against the sandbox); every colour is
a JupyterLab theme variable whose fallback passes WCAG AA on white; the token classes pygments
emits for these snippets all have a colour. The Copy button is driven in a real headless
Chromium on a page served from 127.0.0.1 (a secure context, as JupyterLab's page is): with the
clipboard granted it copies the code and says "Copied"; with the clipboard refused (the one
stand-in: ``writeText`` made to reject, as a browser does without permission) it selects the
code and says to copy it by hand.
"""

from __future__ import annotations

import re
from html import unescape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from zen_nb.codegen import flow_request_snippets
from zen_nb.widgets.code_view import CODE_CSS, COPIED, REFUSED, CodeView, code_block_html
from zen_nb.widgets.highlight import PREFIX, highlight

from helpers import serving, url_of

# Quotes, backslashes, markup and a shell's favourite characters, all in values a user typed.
PAYLOAD = {
    "name": "tricky-flow",
    "source": "ingester_stripe",
    "target": {"id": "dest_<b>&amp;'\"$(id)`x`\\n", "type": "http"},
    "description": 'it\'s "quoted" & <escaped>\n$HOME ${x} \\ done',
}
SNIPPETS = flow_request_snippets(PAYLOAD, "plane_other/../x")


def text_of(html: str) -> str:
    """The text content a browser gives for ``html`` (tags dropped, entities decoded)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_the_highlighted_code_reads_back_as_exactly_the_snippet(language):
    html = highlight(SNIPPETS[language], language)

    assert text_of(html) == SNIPPETS[language]
    assert "<script" not in html.lower() and "<b>" not in html  # the payload's markup stays text
    assert f'class="{PREFIX}' in html  # it is highlighted at all


def test_every_colour_is_a_theme_variable_whose_fallback_passes_aa_on_white():
    colours = re.findall(r"(?:color|background)\s*:\s*([^;]+);", CODE_CSS)
    assert len(colours) > 10, CODE_CSS
    for colour in colours:
        found = re.fullmatch(r"var\(--jp-[\w-]+, (#[0-9a-f]{6})\)", colour.strip())
        assert found, f"not a theme variable with a #rrggbb fallback: {colour}"
    # Text colours (not the backgrounds and borders) must be legible where the variables are missing.
    for colour in re.findall(r"(?<![-\w])color\s*:\s*var\(--jp-[\w-]+, (#[0-9a-f]{6})\)", CODE_CSS):
        assert contrast(colour) >= 4.5, f"{colour} on white: {contrast(colour):.2f} : 1"
    hex_outside_var = re.sub(r"var\([^()]*\)", "", CODE_CSS)
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgba?\(", hex_outside_var), hex_outside_var


def test_every_token_class_in_the_snippets_has_a_colour_or_is_plain_text():
    coloured = set(re.findall(rf"\.{PREFIX}([\w-]+) \{{", CODE_CSS))
    used = {
        found
        for language, code in SNIPPETS.items()
        for found in re.findall(rf'class="{PREFIX}([\w-]+)"', highlight(code, language))
    }
    plain = {"n", "w", "nn", "esc"}  # plain names, whitespace, an imported module's name: the text colour
    assert used - coloured <= plain, sorted(used - coloured - plain)
    assert {"s2", "k"} <= used & coloured


def test_the_view_shows_tabs_a_reason_or_nothing():
    view = CodeView()
    assert view.value == "" and view.layout.display == "none"

    view.explain("the name is empty")
    assert "Code appears once the form is valid: the name is empty." in view.value
    assert view.tabs.layout.display == "none" and "<pre" not in view.value

    view.show(SNIPPETS)
    assert list(view.tabs.titles) == ["curl", "Python", "JavaScript"]
    shown = [text_of(re.search(r"<pre[^>]*>(.*)</pre>", block.value, re.S).group(1)) for block in view.blocks]
    assert shown == [SNIPPETS[key] for key in ("curl", "python", "javascript")]
    assert "$ZEN_API_TOKEN" in view.value and view.tabs.layout.display is None
    view.tabs.selected_index = 2
    view.show(flow_request_snippets({**PAYLOAD, "name": "other-flow"}))
    assert view.tabs.selected_index == 2  # a change in the form keeps the language the user picked

    view.hide()
    assert view.value == ""


# -- the Copy button, in a real browser -----------------------------------------------------------------


def page_with(html: str) -> type[BaseHTTPRequestHandler]:
    body = f"<!doctype html><html lang='en'><body><div class='zen-code'>{CODE_CSS}{html}</div></body></html>"

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Page


def click_copy(context: Any, url: str) -> tuple[Any, str]:
    """Open the page in ``context``, click Copy, wait for its answer: (the page, the answer)."""
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Copy the Python code").click()
    page.wait_for_function("document.querySelector('.zen-copy-answer').textContent !== ''", timeout=10_000)
    return page, page.text_content(".zen-copy-answer")


@pytest.mark.browser
def test_copy_copies_the_code_or_selects_it_when_the_clipboard_is_refused(tmp_path: Path):
    pytest.importorskip("playwright")
    from browser import chromium_or_skip, launched_chromium

    code = SNIPPETS["python"]
    with (
        serving(page_with(code_block_html(code, "python", "Python"))) as server,
        launched_chromium(chromium_or_skip(), tmp_path) as chromium,
    ):
        granted = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
        page, answer = click_copy(granted, url_of(server))
        assert answer == COPIED
        assert page.evaluate("navigator.clipboard.readText()") == code
        granted.close()

        refused = chromium.new_context()
        refused.add_init_script(
            "navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
        )
        page, answer = click_copy(refused, url_of(server))
        assert answer == REFUSED
        # A selection's text leaves out the final newline: what a Ctrl+C then copies.
        assert page.evaluate("window.getSelection().toString()") == code.rstrip("\n")
        refused.close()
