"""``FlowForm``: create a delivery flow from a form, with the name checked as it is typed.

Sources and targets are picked from the plane's own lists (the target's type follows from the
target), "Create flow" is enabled only for a valid form and never while a request runs, and
"Show as code" writes the same request as curl, Python and JavaScript.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ..codegen import flow_request_snippets
from ..display import error_html, object_html
from ..errors import FlowNameConflict, ZenError
from ..names import NAME_RULE, free_name, name_problem

_LAYOUT = {"width": "min(100%, 560px)"}
_STYLE = {"description_width": "110px"}


class FlowForm(widgets.VBox):
    """Name, source, target, description and plane of a new flow, and the buttons to create it."""

    def __init__(self, client: Any = None) -> None:
        if client is None:
            from ..client import ZenClient

            client = ZenClient()
        self.client = client
        self.created: list[Any] = []  # the flows this form created
        self._in_flight = False
        self._sent: dict[str, Any] | None = None  # the payload of the last flow created
        self._target_types: dict[str, str] = {}
        planes = client.list_planes()
        default_plane = client.config.plane_id
        self.plane_picker = widgets.Dropdown(
            options=[(f"{plane.get('name')} ({plane['id']})", plane["id"]) for plane in planes],
            value=default_plane if any(plane["id"] == default_plane for plane in planes) else None,
            description="Plane",
            layout=_LAYOUT,
            style=_STYLE,
        )
        self.name_field = widgets.Text(
            description="Name",
            placeholder="e.g. production-invoice-claims-flow",
            continuous_update=True,
            layout=_LAYOUT,
            style=_STYLE,
        )
        self.name_hint = widgets.HTML(f"<small>{escape(NAME_RULE)}</small>")
        self.source_picker = widgets.Dropdown(description="Source", layout=_LAYOUT, style=_STYLE)
        self.target_picker = widgets.Dropdown(description="Target", layout=_LAYOUT, style=_STYLE)
        self.target_type = widgets.HTML()
        self.description_field = widgets.Textarea(
            description="Description", placeholder="optional", layout=_LAYOUT, style=_STYLE
        )
        self.create_button = widgets.Button(
            description="Create flow", button_style="primary", icon="plus", disabled=True
        )
        self.code_toggle = widgets.ToggleButton(description="Show as code", icon="code", value=False)
        self.code = widgets.HTML()
        self.result = widgets.HTML()
        for field in (self.name_field, self.source_picker, self.target_picker, self.description_field):
            field.observe(self._changed, names="value")
        self.plane_picker.observe(self._plane_changed, names="value")
        self.code_toggle.observe(self._changed, names="value")
        self.create_button.on_click(self.create)
        super().__init__(
            [
                widgets.HTML("<b>Create a delivery flow</b>"),
                self.plane_picker,
                self.name_field,
                self.name_hint,
                self.source_picker,
                self.target_picker,
                self.target_type,
                self.description_field,
                widgets.HBox([self.create_button, self.code_toggle]),
                self.result,
                self.code,
            ]
        )
        self._load_plane()

    def __repr__(self) -> str:
        return "FlowForm(plane, name, source, target, description)"

    # -- the plane's choices ----------------------------------------------------------------------

    def _load_plane(self) -> None:
        plane = self.plane_picker.value
        if plane is None:
            return
        try:
            ingesters = self.client.list_ingesters(plane)
            targets = self.client.list_targets(plane)
        except ZenError as error:
            # The old plane's choices must not stay: a flow would be sent to a plane they are not of.
            self._target_types = {}
            _set_options(self.source_picker, [])
            _set_options(self.target_picker, [])
            self._show_error(error)
            self._changed()
            return
        self.result.value = ""
        self._target_types = {target["id"]: target["type"] for target in targets}
        _set_options(self.source_picker, [(f"{item.get('name')} ({item['id']})", item["id"]) for item in ingesters])
        _set_options(
            self.target_picker,
            [(f"{target.get('name')} — {target['type']} ({target['id']})", target["id"]) for target in targets],
        )
        self._changed()

    def _plane_changed(self, _change: Any = None) -> None:
        self._load_plane()

    # -- validity and code ----------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """The request body the form would send (as the recipe writes it)."""
        target = self.target_picker.value
        body: dict[str, Any] = {
            "name": self.name_field.value.strip(),
            "source": self.source_picker.value,
            "target": {"id": target, "type": self._target_types.get(target)},
        }
        if self.description_field.value.strip():
            body["description"] = self.description_field.value.strip()
        return body

    def problem(self) -> str | None:
        """Why the form cannot be sent yet, or None."""
        reason = name_problem(self.name_field.value.strip())
        if reason:
            return f"Name: {reason}"
        if self.source_picker.value is None:
            return "Pick a source (the plane has no ingester)" if not self.source_picker.options else "Pick a source"
        if self.target_picker.value is None:
            return "Pick a target"
        return None

    def _changed(self, _change: Any = None) -> None:
        target = self.target_picker.value
        self.target_type.value = (
            f"<small>type: <code>{escape(self._target_types.get(target, ''))}</code></small>" if target else ""
        )
        problem = self.problem()
        typed = bool(self.name_field.value)
        self.name_hint.value = (
            f"<small style='color:#b00'>{escape(problem)}</small>"
            if problem and typed
            else f"<small>{escape(NAME_RULE)}</small>"
        )
        # After a create, the same request again could only be a double submit: wait for a change.
        repeat = problem is None and self.payload() == self._sent
        self.create_button.disabled = problem is not None or self._in_flight or repeat
        self.code.value = self._code_html() if self.code_toggle.value and problem is None else ""

    def _code_html(self) -> str:
        plane = self.plane_picker.value
        dialect = self.client.dialect.name
        if dialect == "v1":  # the v1 request names its plane in the body, written out
            snippets = flow_request_snippets(self.payload(), plane, dialect=dialect)
        else:
            snippets = flow_request_snippets(self.payload(), None if plane == self.client.config.plane_id else plane)
        blocks = "".join(
            f"<div><b>{label}</b><pre style='white-space:pre-wrap'>{escape(snippets[key])}</pre></div>"
            for key, label in (("curl", "curl"), ("python", "Python (requests)"), ("javascript", "JavaScript (fetch)"))
        )
        return f"<div><small>The token is read from $ZEN_API_TOKEN / the environment.</small>{blocks}</div>"

    # -- creating -------------------------------------------------------------------------------

    def _show_error(self, error: ZenError, extra: str = "") -> None:
        self.result.value = error_html(type(error).__name__, error.message, error.fix + extra, error._details())

    def create(self, _button: Any = None) -> None:
        """Send the form (no-op while a request runs or the form is not valid)."""
        if self._in_flight or self.problem() is not None or self.payload() == self._sent:
            return
        self._in_flight = True
        self.create_button.disabled = True
        payload = self.payload()
        try:
            flow = self.client.create_flow(
                name=payload["name"],
                source=payload["source"],
                target=payload["target"],
                description=payload.get("description"),
                plane=self.plane_picker.value,
            )
        except FlowNameConflict as error:
            taken = [flow["name"] for flow in self.client.iter_flows(self.plane_picker.value)]
            self._show_error(error, f" A free name: '{free_name(payload['name'], taken)}'.")
        except ZenError as error:
            self._show_error(error)
        else:
            self.created.append(flow)
            self._sent = payload
            self.result.value = object_html("Created flow", flow)
        finally:
            self._in_flight = False
            self._changed()


def _set_options(picker: widgets.Dropdown, options: list[tuple[str, str]]) -> None:
    """New choices for a picker, keeping its value when it is still a choice, else the first."""
    kept = picker.value if any(value == picker.value for _, value in options) else None
    picker.options = options
    picker.value = kept if kept is not None else (options[0][1] if options else None)
