"""The HTML of ``zen_nb.display`` in any theme: colours only from JupyterLab's variables, and still
legible where a saved notebook is opened untrusted.

The same boxes are shown inside a form, as a cell's output (``_repr_html_``: no stylesheet, so
inline styles) and in an untrusted notebook. For the last, JupyterLab's sanitizer keeps inline
styles but checks each declaration's value against its CSS grammar, whose colours are hex,
``rgb()``, ``rgba()`` and names only (read from JupyterLab 4's ``allowedStyles`` in
``jlab_core``): a declaration with ``var()``, ``color-mix()`` or ``min()`` is dropped. ``untrusted``
below does the same, so that what is left can be checked: no colour (text, border and background
fall back to the theme's own), and still the sizes that make a message read well.

The objects and errors are real: made by the client against the session sandbox.
"""

from __future__ import annotations

import re

import pytest

import zen_nb
from zen_nb import ZenConfig, ZenConfigError, ZenError
from zen_nb.display import busy_html, code_html, error_html, info_html, list_html, object_html, success_html

RECIPE_NAME = "production-invoice-claims-flow"
STRIPE = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
SLACK = {"id": "dest_slack_payments_alerts", "type": "slack"}

COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(|\b(?:white|black|red|green)\b")
STYLE = re.compile(r'style="([^"]*)"')
COLOUR_PROPERTIES = re.compile(r"^(color|background(-color)?|border(-\w+)?-color|border(-\w+)?|outline(-color)?)$")


def without_variables(html: str) -> str:
    """``html`` with every ``var(--name, fallback)`` taken out (innermost first)."""
    previous = None
    while previous != html:
        previous, html = html, re.sub(r"var\(--[\w-]+(?:,[^()]*)?\)", "VAR", html)
    return html


def declarations(html: str) -> list[tuple[str, str]]:
    return [
        (prop.strip(), value.strip())
        for style in STYLE.findall(html)
        for prop, _, value in (part.partition(":") for part in style.split(";") if part.strip())
    ]


def untrusted(html: str) -> list[tuple[str, str]]:
    """The declarations JupyterLab's sanitizer keeps: none whose value is a function it does not know."""
    return [
        (prop, value) for prop, value in declarations(html) if not re.search(r"\b(var|color-mix|min|calc)\(", value)
    ]


@pytest.fixture
def shown(client) -> dict[str, str]:
    """Every kind of box, with real objects and errors where there are some."""
    flow = client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    with pytest.raises(ZenError) as conflict:
        client.create_flow(RECIPE_NAME, "ingester_github", SLACK)
    with pytest.raises(ZenConfigError) as incomplete:
        ZenConfig(environ={})
    return {
        "a flow": flow._repr_html_(),
        "a list of targets": client.list_targets()._repr_html_(),
        "an empty list": list_html([], ["id"]),
        "an object": object_html("Plane", {"id": "plane_x", "region": "us-east-1"}),
        "a 409": conflict.value._repr_html_(),
        "a configuration error": incomplete.value._repr_html_(),
        "an error": error_html("Sandbox", "could not start", "Run `zen-nb sandbox`.", ["HTTP 500"]),
        "a success": success_html("Applied.", "Next: `client = zen_nb.ZenClient()`."),
        "busy": busy_html("Checking http://127.0.0.1:8000…"),
        "info": info_html("Not set yet: ZEN_TENANT_ID.", "Fill it above, then click Apply."),
    }


def test_no_colour_is_written_out_anywhere_but_as_a_variables_fallback(shown):
    for what, html in shown.items():
        assert not COLOUR.search(without_variables(html)), (what, COLOUR.search(without_variables(html)))


def test_every_colour_declaration_is_a_theme_variable(shown):
    for what, html in shown.items():
        for prop, value in declarations(html):
            if COLOUR_PROPERTIES.match(prop) and prop not in ("border-style", "border-width", "border-radius"):
                assert "var(--jp-" in value, (what, prop, value)


def test_untrusted_the_boxes_keep_their_shape_and_no_colour(shown):
    for what, html in shown.items():
        kept = untrusted(html)
        assert not any(COLOUR.search(value) for _, value in kept), (what, kept)
        assert not any(COLOUR_PROPERTIES.match(prop) and "border-" not in prop for prop, _ in kept), (what, kept)
    for what in ("a 409", "a success", "busy", "info"):
        kept = dict(untrusted(shown[what]))
        assert kept["line-height"] == "1.4" and kept["max-width"] == "700px", (what, kept)
        assert kept["border-style"] == "solid" and kept["border-width"] == "1px 1px 1px 4px", (what, kept)


def test_errors_alert_and_the_others_are_statuses(shown):
    assert 'role="alert"' in shown["a 409"] and 'class="zen-message zen-error"' in shown["a 409"]
    for what, kind in (("a success", "success"), ("busy", "busy"), ("info", "info")):
        assert 'role="status"' in shown[what] and f'class="zen-message zen-{kind}"' in shown[what], what


def test_a_message_is_paragraphs_and_its_code_is_code(shown):
    html = shown["a configuration error"]  # the terminal's fix: several lines, commands among them
    assert "<br" not in html and "`" not in html
    assert html.count("<p ") >= 4, html
    assert re.search(r"<code>export ZEN_API_BASE=&quot;...&quot;</code>", html), html
    assert "client = zen_nb.ZenClient()</code>" in shown["a success"]
    for html in shown.values():
        assert "line-height:28px" not in html


def test_code_html_of_one_line_is_inline_so_it_reads_inside_a_sentence():
    assert code_html("Run `zen-nb sandbox` now.").startswith("Run <code")
    assert "<p " not in code_html("Run `zen-nb sandbox` now.")
    assert code_html("one\ntwo").count("<p ") == 2


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_.()'-]+", text.lower())


def shared_runs(message: str, fix: str, length: int = 4) -> set[tuple[str, ...]]:
    """Runs of ``length`` words found in both: a fix that restates its message shares some."""

    def runs(text: str) -> set[tuple[str, ...]]:
        found = words(text)
        return {tuple(found[i : i + length]) for i in range(len(found) - length + 1)}

    return runs(message) & runs(fix)


def test_a_name_conflicts_fix_adds_to_its_message_and_never_restates_it(client):
    client.create_flow(RECIPE_NAME, "ingester_stripe", STRIPE)
    with pytest.raises(zen_nb.FlowNameConflict) as flow:
        client.create_flow(RECIPE_NAME, "ingester_github", SLACK)
    with pytest.raises(zen_nb.TargetNameConflict) as target:
        client.create_target("payments-alerts", "slack")  # a seed target's name

    for error, lister in ((flow.value, "client.list_flows()"), (target.value, "client.list_targets()")):
        assert "already exists" in error.message and "already exists" not in error.fix, error
        assert not shared_runs(error.message, error.fix), (error.message, error.fix)
        assert f"`{lister}`" in error.fix
    assert "client.update_flow" in flow.value.fix
