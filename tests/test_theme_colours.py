"""No colour written out in anything a form or a display renders: every colour is a theme variable.

A colour written out (``background:#fff5f5``) is right in one theme only: under the dark theme's
white text that box read at 1.02 : 1. So every colour in the forms' and the displays' HTML must be
a ``var(--jp-…, fallback)``, whose fallback (for front ends without JupyterLab's variables) is the
light theme's and passes WCAG AA on white. This test reads the HTML that each form holds in each
of its states (idle, error, success, code shown) and what the displays give a cell, with no
browser: it fails the moment a hard-coded colour comes back, naming where and what.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import ipywidgets
import pytest
from test_widgets import free_port

import zen_nb
from zen_nb import display
from zen_nb.errors import ZenError

from deliveries import http_target, ingest_ok, make_flow, wait_attempts
from helpers import ZEN_VARIABLES

# CSS colour functions; a hex colour; the named colours people actually write (``transparent``,
# ``currentColor`` and ``inherit`` follow the theme and are allowed).
_COLOUR_FUNCTION = re.compile(r"\b(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(", re.IGNORECASE)
_HEX = re.compile(r"(?<![\w-])#[0-9a-fA-F]{3,8}\b")
_NAMED = re.compile(
    r"(?<![\w-])(white|black|red|green|blue|gr[ae]y|silver|yellow|orange|purple|pink|navy|maroon|teal|olive|"
    r"lime|aqua|fuchsia|darkred|darkgreen|darkblue|light(?:gr[ae]y|blue|green|yellow)|whitesmoke|gainsboro|"
    r"crimson|firebrick|forestgreen|seagreen|tomato|gold|coral|salmon|beige|ivory|khaki|lavender)(?![\w-])",
    re.IGNORECASE,
)
# Where CSS lives in HTML: style attributes, <style> elements, and the old colour attributes.
_STYLE_ATTRIBUTE = re.compile(r"""\b(?:style|color|bgcolor|fill|stroke)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
_DECLARATION = re.compile(r"([-\w]+)\s*:\s*([^;{}]+)")


def without_variables(css: str) -> str:
    """``css`` with every ``var(…)`` (its fallback with it) replaced by ``VAR``: what is left is written out."""
    out, index = [], 0
    while (start := css.find("var(", index)) != -1:
        out.append(css[index:start])
        depth, end = 0, start + 3
        while end < len(css):
            depth += {"(": 1, ")": -1}.get(css[end], 0)
            end += 1
            if depth == 0:
                break
        out.append("VAR")
        index = end
    out.append(css[index:])
    return "".join(out)


def css_of(html: str) -> list[str]:
    """Every piece of CSS in ``html``: its style attributes' values and its ``<style>`` elements."""
    pieces = [match.group(1) for match in _STYLE_ELEMENT.finditer(html)]
    pieces += [match.group(1) or match.group(2) or "" for match in _STYLE_ATTRIBUTE.finditer(html)]
    return pieces


def hard_coded_colours(css: str) -> list[str]:
    """The declarations of ``css`` that write a colour out rather than through a ``var()``."""
    found = []
    for name, value in _DECLARATION.findall(css):
        bare = without_variables(value)
        if _COLOUR_FUNCTION.search(bare) or _HEX.search(bare) or _NAMED.search(bare):
            found.append(f"{name}: {value.strip()}")
    return found


def html_colours(html: str) -> list[str]:
    return [found for css in css_of(html) for found in hard_coded_colours(css)]


# -- the fallbacks: the light theme's, AA on white ------------------------------------------------


def _luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits[:3])
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(hex_colour: str) -> float:
    """WCAG's contrast ratio of ``hex_colour`` on white (1 to 21)."""
    return 1.05 / (_luminance(hex_colour) + 0.05)


_VAR = re.compile(r"^\s*var\(\s*(--[\w-]+)\s*(?:,\s*(.*))?\)\s*$", re.DOTALL)


def fallback_of(value: str, definitions: dict[str, str], depth: int = 0) -> str | None:
    """The hex colour ``value`` comes to without JupyterLab's variables (through ``--zen-*`` ones); None if none."""
    value = value.strip().removesuffix("!important").strip()
    if _HEX.fullmatch(value):
        return value
    match = _VAR.match(value)
    if not match or depth > 8:
        return None
    name, fallback = match.groups()
    if fallback:
        return fallback_of(fallback, definitions, depth + 1)
    if name in definitions:
        return fallback_of(definitions[name], definitions, depth + 1)
    return None


def text_fallbacks_below_aa(css: str) -> list[str]:
    """The ``color:`` declarations whose light-theme fallback reads below 4.5 : 1 on white."""
    declarations = _DECLARATION.findall(css)
    definitions = {name: value for name, value in declarations if name.startswith("--")}
    found = []
    for name, value in declarations:
        if name.lower() != "color":
            continue
        fallback = fallback_of(value, definitions)
        if fallback is not None and contrast_on_white(fallback) < 4.5:
            found.append(f"color: {value.strip()} falls back to {fallback}, {contrast_on_white(fallback):.2f} : 1")
    return found


# -- what the forms and displays render -----------------------------------------------------------


def widget_tree(root: ipywidgets.Widget) -> Iterator[ipywidgets.Widget]:
    """Every widget reachable from ``root`` through ``.children`` (tabs and boxes included)."""
    stack = [root]
    while stack:
        widget = stack.pop()
        yield widget
        stack.extend(getattr(widget, "children", ()))


def form_html(form: ipywidgets.Widget) -> dict[str, str]:
    """Each HTML-holding widget's value, and each style or layout colour trait, keyed by where it is."""
    found: dict[str, str] = {}
    for number, widget in enumerate(widget_tree(form)):
        where = f"{type(widget).__name__} #{number}"
        if isinstance(widget, ipywidgets.HTML | ipywidgets.HTMLMath) and widget.value:
            found[where] = widget.value
        for part in ("style", "layout"):
            holder = getattr(widget, part, None)
            if not isinstance(holder, ipywidgets.Widget):
                continue
            for key, value in holder.get_state().items():
                if isinstance(value, str) and value and ("color" in key or "background" in key or "border" in key):
                    # as a style attribute, so that the same check reads it
                    found[f"{where} {part}.{key}"] = f'<i style="{key.replace("_", "-")}: {value}"></i>'
    return found


def assert_theme_colours_only(rendered: dict[str, str]) -> None:
    problems = {}
    for where, html in rendered.items():
        found = html_colours(html) + [found for css in css_of(html) for found in text_fallbacks_below_aa(css)]
        if found:
            problems[where] = found
    assert not problems, (
        "colours written out, or fallbacks below AA on white (use var(--jp-…, fallback)):\n"
        + "\n".join(f"  {where}: {'; '.join(found)}" for where, found in problems.items())
    )


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ZEN_VARIABLES:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


# -- the checker itself: it finds what it must and passes what it must ----------------------------


@pytest.mark.parametrize(
    "css",
    [
        "background:#fff5f5",
        "border:1px solid #d66",
        "color: rgb(102, 102, 102)",
        "color: white",
        "background: color-mix(in srgb, var(--jp-error-color1) 7%, #ffffff)",
        "border-color: var(--jp-border-color1) #ccc",
    ],
)
def test_the_check_finds_a_colour_written_out(css):
    assert hard_coded_colours(css) != []
    assert html_colours(f'<div style="{css}">x</div>') != []
    assert html_colours(f"<style>.zen-form .x {{ {css} }}</style>") != []


@pytest.mark.parametrize(
    "css",
    [
        "background: var(--jp-layout-color1, #ffffff)",
        "color: var(--zen-muted)",
        "border: 1px solid var(--jp-border-color1, var(--zen-fallback, #8a8a8a))",
        "background: color-mix(in srgb, var(--jp-error-color1, #b71c1c) 7%, var(--jp-layout-color1, #fff))",
        "color: inherit; border-color: transparent; fill: currentColor",
        "font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-weight: 600",
    ],
)
def test_the_check_passes_theme_variables(css):
    assert hard_coded_colours(css) == []


def test_the_check_finds_a_fallback_that_fails_aa_on_white():
    css = ".zen-form { --zen-muted: var(--jp-content-font-color2, #999999); } .zen-form .x { color: var(--zen-muted); }"
    assert text_fallbacks_below_aa(css) == ["color: var(--zen-muted) falls back to #999999, 2.85 : 1"]
    assert text_fallbacks_below_aa(css.replace("#999999", "#4a4a4a")) == []


# -- the real outputs -----------------------------------------------------------------------------


def test_the_displays_write_no_colour_out():
    rendered = {
        "object_html": display.object_html("Flow", {"id": "flow_1", "target": {"id": "dest_1", "type": "http"}}),
        "list_html": display.list_html([{"id": "flow_1", "name": "a"}], ["id", "name"]),
        "list_html (empty)": display.list_html([], ["id"]),
        "error_html": display.error_html("FlowNameConflict", "taken", "Use `x-2`", ["request req_1"]),
        "success_html": display.success_html("Created flow"),
        "ZenError._repr_html_": ZenError("went wrong", fix="do `this`")._repr_html_(),
    }
    for name in ("busy_html", "info_html"):  # B's new boxes, once they exist
        if hasattr(display, name):
            rendered[name] = getattr(display, name)("Checking…")
    assert_theme_colours_only(rendered)


def test_the_client_objects_html_writes_no_colour_out(client):
    targets = client.list_targets()
    assert len(targets) > 0, "the seed's plane has targets"
    assert_theme_colours_only(
        {
            "list_targets()": targets._repr_html_(),
            "a target": targets[0]._repr_html_(),
            "get_tenant()": client.get_tenant()._repr_html_(),
            "list_flows() (may be empty)": client.list_flows()._repr_html_(),
        }
    )


def test_the_setup_form_in_each_state_writes_no_colour_out(sandbox):
    rendered = {}
    form = zen_nb.setup(environ={})
    rendered |= {f"idle, {where}": html for where, html in form_html(form).items()}
    form.base_field.value = sandbox.base_url
    form.tenant_field.value = sandbox.tenant_id
    form.plane_field.value = sandbox.plane_id
    form.adapter_field.value = sandbox.adapter_id
    form.token_field.value = "zen_test_wrongTokenNobodyHas123456"
    form.check_button.click()
    assert "UnauthorizedError" in form.status.value
    rendered |= {f"error, {where}": html for where, html in form_html(form).items()}
    form.token_field.value = sandbox.token
    form.check_button.click()
    assert "Connected to" in form.status.value
    rendered |= {f"connected, {where}": html for where, html in form_html(form).items()}
    form.apply_button.click()
    rendered |= {f"applied, {where}": html for where, html in form_html(form).items()}
    assert_theme_colours_only(rendered)


def test_the_flow_form_in_each_state_writes_no_colour_out(client, api):
    form = zen_nb.flow_form(client)
    rendered = {f"idle, {where}": html for where, html in form_html(form).items()}
    form.name_field.value = "9 not a name"
    rendered |= {f"invalid, {where}": html for where, html in form_html(form).items()}
    form.name_field.value = "colour-check-flow"
    for widget in widget_tree(form):  # open "Show as code", whatever its widget
        if isinstance(widget, ipywidgets.Button | ipywidgets.ToggleButton) and "code" in widget.description.lower():
            if isinstance(widget, ipywidgets.ToggleButton):
                widget.value = True
            else:
                widget.click()
    rendered |= {f"code shown, {where}": html for where, html in form_html(form).items()}
    form.create_button.click()
    assert "Created flow" in form.result.value
    rendered |= {f"created, {where}": html for where, html in form_html(form).items()}
    form = zen_nb.flow_form(client)  # a second form: the same name, now taken
    form.name_field.value = "colour-check-flow"
    form.create_button.click()
    assert "FlowNameConflict" in form.result.value
    rendered |= {f"conflict, {where}": html for where, html in form_html(form).items()}
    assert_theme_colours_only(rendered)


def test_the_retry_form_in_each_state_writes_no_colour_out(fast, client, sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("ZEN_NB_STATE_DIR", str(tmp_path))  # the plan's journal: this test's own
    flow = make_flow(fast, "colour-check-retry", target=http_target(fast, "down", f"http://127.0.0.1:{free_port()}/"))
    ingest_ok(fast)
    dead = lambda found: len(found) == 4 and all(a["status"] == "failed" for a in found)  # noqa: E731
    wait_attempts(fast, dead, flowId=flow["id"])
    form = zen_nb.retry_form(client)
    form.flow_picker.value = flow["id"]
    rendered = {f"idle, {where}": html for where, html in form_html(form).items()}
    form.since_field.value, form.until_field.value = "2026-12-02", "2026-12-01"
    rendered |= {f"invalid window, {where}": html for where, html in form_html(form).items()}
    form.since_field.value = form.until_field.value = ""
    form.preview_button.click()
    assert form.plan is not None and form.plan.id in form.view.value
    rendered |= {f"previewed, {where}": html for where, html in form_html(form).items()}
    form.undelivered_box.value = False
    rendered |= {f"stale, {where}": html for where, html in form_html(form).items()}
    form.undelivered_box.value = True
    form.run_button.click()
    assert form.wait(60) and form.run_result is not None, form.status.value
    rendered |= {f"ran, {where}": html for where, html in form_html(form).items()}
    with sandbox.faults(status=403, methods=["GET"], path="/tenants/*/clusters/*/delivery-attempts"):
        form.preview_button.click()
    assert 'role="alert"' in form.status.value
    rendered |= {f"error, {where}": html for where, html in form_html(form).items()}
    assert_theme_colours_only(rendered)


def test_every_stylesheet_of_the_widgets_writes_no_colour_out():
    """Each module's CSS constants on their own (also those a form shows only later, as highlighted code's)."""
    import importlib
    import pkgutil

    import zen_nb.widgets

    rendered = {}
    for module_info in pkgutil.iter_modules(zen_nb.widgets.__path__):
        module = importlib.import_module(f"zen_nb.widgets.{module_info.name}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and re.search(r"[{;]\s*[-\w]+\s*:", value):
                # a bare stylesheet is read as one <style>, so the same check reads it
                rendered[f"{module_info.name}.{name}"] = value if "<style" in value else f"<style>{value}</style>"
    assert "theme.STYLESHEET" in rendered
    assert_theme_colours_only(rendered)
