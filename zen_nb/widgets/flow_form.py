"""``FlowForm``: create a delivery flow from a form, with the name checked as it is typed.

Sources and targets are picked from the plane's own lists (the target's type follows from the
target), "Create flow" is enabled only for a valid form and never while a request runs, and
says why when it is off; "Show as code" writes the same request as curl, Python and JavaScript.
A problem is shown on its field (red border, its hint turned into the problem), and the result
of a create goes as soon as the form changes: it was about the form as it was.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from ..codegen import flow_request_snippets
from ..display import error_html, object_html
from ..errors import FlowNameConflict, ZenError
from ..names import NAME_RULE, free_name, name_problem
from .busy import busy
from .choices import id_line, option_label, set_options
from .code_view import CodeView
from .theme import INPUT_LAYOUT, mark_field, style_form, stylesheet, under_inputs

_LAYOUT = INPUT_LAYOUT
_STYLE = {"description_width": "110px"}
REPEAT = "this flow was just created; change a field to create another"
# The ids under the pickers are code; the hint's muted colour on the code background is 4.47 : 1 (AA wants 4.5).
FLOW_CSS = (
    "<style>.zen-form-flow .zen-hint:not(.zen-problem) code { color: var(--jp-content-font-color1, #1a1a1a); }</style>"
)


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
            options=[(option_label(plane), plane["id"]) for plane in planes],
            value=default_plane if any(plane["id"] == default_plane for plane in planes) else None,
            description="Plane",
            layout=_LAYOUT,
            style=_STYLE,
        )
        self.plane_id = under_inputs(widgets.HTML(), "zen-hint")
        self.name_field = widgets.Text(
            description="Name",
            placeholder="e.g. production-invoice-claims-flow",
            continuous_update=True,
            layout=_LAYOUT,
            style=_STYLE,
        )
        self.name_hint = under_inputs(widgets.HTML(escape(NAME_RULE)), "zen-hint")
        self.source_picker = widgets.Dropdown(description="Source", layout=_LAYOUT, style=_STYLE)
        self.source_id = under_inputs(widgets.HTML(), "zen-hint")
        self.target_picker = widgets.Dropdown(description="Target", layout=_LAYOUT, style=_STYLE)
        self.target_type = under_inputs(widgets.HTML(), "zen-hint")
        self.description_field = widgets.Textarea(
            description="Description", placeholder="optional", layout=_LAYOUT, style=_STYLE
        )
        self.create_button = widgets.Button(
            description="Create flow", button_style="primary", icon="plus", disabled=True
        )
        self.code_toggle = widgets.ToggleButton(description="Show as code", icon="code", value=False)
        self.why_off = under_inputs(widgets.HTML(), "zen-hint")  # why "Create flow" is off
        self.code = CodeView()
        self.result = under_inputs(widgets.HTML())  # under the inputs, as the setup form's status
        for field in (self.name_field, self.source_picker, self.target_picker, self.description_field):
            field.observe(self._edited, names="value")
        self.plane_picker.observe(self._plane_changed, names="value")
        self.code_toggle.observe(self._changed, names="value")
        self.create_button.on_click(self.create)
        super().__init__(
            [
                stylesheet(),
                widgets.HTML(FLOW_CSS, layout={"height": "0", "overflow": "hidden"}),
                under_inputs(widgets.HTML("Create a delivery flow"), "zen-title"),
                self.plane_picker,
                self.plane_id,
                self.name_field,
                self.name_hint,
                self.source_picker,
                self.source_id,
                self.target_picker,
                self.target_type,
                self.description_field,
                under_inputs(widgets.HBox([self.create_button, self.code_toggle])),
                self.result,  # right after the buttons: what the last click did
                self.why_off,  # right under the buttons when there is no result
                self.code,
            ]
        )
        style_form(self, "flow")
        self._load_plane()

    def __repr__(self) -> str:
        return "FlowForm(plane, name, source, target, description)"

    # -- the plane's choices ----------------------------------------------------------------------

    def _load_plane(self) -> None:
        plane = self.plane_picker.value
        if plane is None:
            self._changed()
            return
        try:
            ingesters = self.client.list_ingesters(plane)
            targets = self.client.list_targets(plane)
        except ZenError as error:
            # The old plane's choices must not stay: a flow would be sent to a plane they are not of.
            self._target_types = {}
            set_options(self.source_picker, [])
            set_options(self.target_picker, [])
            self._show_error(error)
            self._changed()
            return
        self.result.value = ""
        self._target_types = {target["id"]: target["type"] for target in targets}
        set_options(self.source_picker, [(option_label(item), item["id"]) for item in ingesters])
        set_options(self.target_picker, [(option_label(target, with_type=True), target["id"]) for target in targets])
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
        """Why the form cannot be sent yet (a phrase: "the name is empty"), or None."""
        if self.plane_picker.value is None:
            return "no plane is picked"
        name = self.name_field.value.strip()
        if not name:
            return "the name is empty"
        reason = name_problem(name)
        if reason:
            return f"the name is not valid — {reason}"
        if self.source_picker.value is None:
            return (
                "the plane has no source (ingester) to pick"
                if not self.source_picker.options
                else "no source is picked"
            )
        if self.target_picker.value is None:
            return "the plane has no target to pick" if not self.target_picker.options else "no target is picked"
        return None

    def _edited(self, _change: Any = None) -> None:
        """A field the user changed: the last create's result was about the form before, so it goes."""
        if not self._in_flight:
            self.result.value = ""
        self._changed()

    def _changed(self, _change: Any = None) -> None:
        self.plane_id.value = id_line(self.plane_picker)
        self.source_id.value = id_line(self.source_picker)
        self.target_type.value = id_line(self.target_picker, self._target_types.get(self.target_picker.value or ""))
        self._show_name_state()
        problem = self.problem()
        # After a create, the same request again could only be a double submit: wait for a change.
        repeat = problem is None and self.payload() == self._sent
        why = problem or (REPEAT if repeat else None)
        if not self._in_flight:
            self.create_button.disabled = why is not None
            self.create_button.tooltip = f"Create flow is off: {why}" if why else "Create this flow"
            self.why_off.value = f"Create flow is off: {escape(why)}." if why else ""
        if not self.code_toggle.value:
            self.code.hide()
        elif problem is not None:
            self.code.explain(problem)
        else:
            self.code.show(self._snippets())

    def _show_name_state(self) -> None:
        """The name's hint: the rule, or (once something is typed) what is wrong with it, on the field too."""
        name = self.name_field.value.strip()
        reason = name_problem(name) if name else None
        mark_field(self.name_field, reason)
        if reason:
            self.name_hint.add_class("zen-problem")
            self.name_hint.value = f"Not valid: {escape(reason)}."
        else:
            self.name_hint.remove_class("zen-problem")
            self.name_hint.value = escape(NAME_RULE)

    def _snippets(self) -> dict[str, str]:
        plane = self.plane_picker.value
        dialect = self.client.dialect.name
        if dialect == "v1":  # the v1 request names its plane in the body, written out
            return flow_request_snippets(self.payload(), plane, dialect=dialect)
        return flow_request_snippets(self.payload(), None if plane == self.client.config.plane_id else plane)

    # -- creating -------------------------------------------------------------------------------

    def _show_error(self, error: ZenError, extra: str = "") -> None:
        self.result.value = error_html(type(error).__name__, error.message, error.fix + extra, error._details())

    def _free_name_fix(self, wanted: str) -> str:
        """What the 409's fix lacks: a name that is free on the plane (nothing when the list cannot be read)."""
        try:
            taken = [flow["name"] for flow in self.client.iter_flows(self.plane_picker.value)]
        except ZenError:
            return ""
        return f"\n`{free_name(wanted, taken)}` is free: type it in Name above, then click Create flow."

    def create(self, _button: Any = None) -> None:
        """Send the form (no-op while a request runs or the form is not valid)."""
        if self._in_flight or self.problem() is not None or self.payload() == self._sent:
            return
        self._in_flight = True
        self.result.value = ""
        self.why_off.value = ""
        payload = self.payload()
        self.create_button.disabled = True  # so that busy() puts it back disabled: _changed() decides after
        try:
            with busy(self.create_button, "Creating…"):
                flow = self.client.create_flow(
                    name=payload["name"],
                    source=payload["source"],
                    target=payload["target"],
                    description=payload.get("description"),
                    plane=self.plane_picker.value,
                )
        except FlowNameConflict as error:
            self._show_error(error, self._free_name_fix(payload["name"]))
        except ZenError as error:
            self._show_error(error)
        else:
            self.created.append(flow)
            self._sent = payload
            self.result.value = object_html("Created flow", flow)
        finally:
            self._in_flight = False
            self._changed()
