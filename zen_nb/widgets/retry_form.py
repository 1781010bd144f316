"""``RetryForm``: plan a bulk retry from a form, see what it would do, run it with a progress bar, cancel it.

"Preview" asks ``client.plan_retry(...)`` for a plan (which changes nothing) and shows it; "Run"
is on only while the plan shown is the form's as it is now, and runs it on a thread so that the
kernel stays free for "Cancel" and the progress bar; "Cancel" asks the plan to send no new
request, and the run's result says what was sent before. A plan that has run is not run again
from the form: "Preview" makes the next one (the same form makes the same plan, which retries
nothing twice; a new "Plan name" makes a new plan over the same events, as after fixing a target).
Problems are shown as the flow form shows them: on their field with the fix, and an API's error
as the error box with its fix; what was typed stays.
"""

from __future__ import annotations

import threading
from html import escape
from typing import Any

import ipywidgets as widgets

from ..display import error_html, info_html
from ..errors import ZenError
from .busy import busy
from .choices import id_line, option_label, set_options
from .retry_progress import RunProgress
from .retry_window import HINT, read_window
from .theme import INPUT_LAYOUT, mark_field, style_form, stylesheet, under_inputs

_STYLE = {"description_width": "110px"}
ANY = ""  # the pickers' "any flow" / "any target": a Dropdown's None means nothing picked
SOURCES = [("Failed attempts", "attempts"), ("DLQ (no retry left)", "dlq")]
RETRY_CSS = "<style>.zen-form-retry { --zen-label-width: 110px; }</style>"
STALE = "The form changed after this preview: click Preview to plan it again (Run is off until then)."
RETRIED = "retried by this plan"  # zen_nb.retry_plan's reason (not imported: it brings pandas in)
RETRIED_BEFORE = "an earlier run of this plan retried its events; type a new Plan name to retry them again"
NAME_HINT = (
    "The same form makes the same plan, which never retries an event twice; "
    "a new name makes a new plan over the same events."
)
#: what ``RetryForm(client, **options)`` passes on to ``plan.run`` (the form sets progress and on_progress)
RUN_OPTIONS = ("workers", "batch_size", "wait", "timeout")
RAN = "this plan has run; click Preview to plan the next one"


class RetryForm(widgets.VBox):
    """The window, the flow and target, what to retry, and Preview / Run / Cancel, for one plane.

    ``run_options`` (``workers``, ``batch_size``, ``wait``, ``timeout``) go to ``plan.run`` as given.
    """

    def __init__(self, client: Any = None, **run_options: Any) -> None:
        unknown = sorted(set(run_options) - set(RUN_OPTIONS))
        if unknown:
            raise ZenError(
                f"RetryForm takes no option {', '.join(unknown)}",
                fix=f"Pass only options of plan.run that the form does not set: {', '.join(RUN_OPTIONS)}.",
            )
        self._run_options = run_options
        if client is None:
            from ..client import ZenClient

            client = ZenClient()
        self.client = client
        self.plan: Any = None  # the plan shown, once Preview made one
        self.run_result: Any = None  # the last run's result
        self.run_error: BaseException | None = None  # what stopped the last run, if anything (its traceback)
        self._planned_for: dict[str, Any] | None = None  # the arguments of the plan shown
        self._ran = False  # the plan shown has run
        self._thread: threading.Thread | None = None
        planes = client.list_planes()
        default_plane = client.config.plane_id
        self.plane_picker = widgets.Dropdown(
            options=[(option_label(plane), plane["id"]) for plane in planes],
            value=default_plane if any(plane["id"] == default_plane for plane in planes) else None,
            description="Plane",
            layout=INPUT_LAYOUT,
            style=_STYLE,
        )
        self.plane_id = under_inputs(widgets.HTML(), "zen-hint")
        self.since_field = widgets.Text(
            description="Since", placeholder="no lower bound", layout=INPUT_LAYOUT, style=_STYLE
        )
        self.since_hint = under_inputs(widgets.HTML(escape(f"Inclusive; {HINT}.")), "zen-hint")
        self.until_field = widgets.Text(
            description="Until", placeholder="no upper bound", layout=INPUT_LAYOUT, style=_STYLE
        )
        self.until_hint = under_inputs(widgets.HTML(escape(f"Exclusive; {HINT}.")), "zen-hint")
        self.flow_picker = widgets.Dropdown(description="Flow", layout=INPUT_LAYOUT, style=_STYLE)
        self.flow_id = under_inputs(widgets.HTML(), "zen-hint")
        self.target_picker = widgets.Dropdown(description="Target", layout=INPUT_LAYOUT, style=_STYLE)
        self.target_id = under_inputs(widgets.HTML(), "zen-hint")
        self.undelivered_box = widgets.Checkbox(
            value=True, description="Only events not delivered yet", indent=False, layout={"width": "auto"}
        )
        self.name_field = widgets.Text(
            description="Plan name", placeholder="optional", layout=INPUT_LAYOUT, style=_STYLE
        )
        self.name_hint = under_inputs(widgets.HTML(escape(NAME_HINT)), "zen-hint")
        self.source_picker = widgets.ToggleButtons(options=SOURCES, value="attempts", description="Retry", style=_STYLE)
        self.preview_button = widgets.Button(description="Preview", button_style="primary", icon="search")
        self.run_button = widgets.Button(description="Run", icon="play", disabled=True)
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.why_off = under_inputs(widgets.HTML(), "zen-hint")  # why Preview or Run is off
        self.progress = RunProgress()
        self.status = under_inputs(widgets.HTML())  # errors and notes: what the last click did
        self.view = widgets.HTML()  # the plan, then the run's result: a wide table, not under the inputs
        for field in (self.since_field, self.until_field, self.flow_picker, self.target_picker):
            field.observe(self._edited, names="value")
        for field in (self.undelivered_box, self.source_picker, self.name_field):
            field.observe(self._edited, names="value")
        self.plane_picker.observe(self._plane_changed, names="value")
        self.preview_button.on_click(self.preview)
        self.run_button.on_click(self.run)
        self.cancel_button.on_click(self.cancel)
        super().__init__(
            [
                stylesheet(),
                widgets.HTML(RETRY_CSS, layout={"height": "0", "overflow": "hidden"}),
                under_inputs(widgets.HTML("Retry failed deliveries"), "zen-title"),
                self.plane_picker,
                self.plane_id,
                self.since_field,
                self.since_hint,
                self.until_field,
                self.until_hint,
                self.flow_picker,
                self.flow_id,
                self.target_picker,
                self.target_id,
                under_inputs(self.undelivered_box),
                self.source_picker,
                self.name_field,
                self.name_hint,
                under_inputs(widgets.HBox([self.preview_button, self.run_button, self.cancel_button])),
                self.status,
                self.why_off,
                self.progress.box,
                self.view,
            ]
        )
        style_form(self, "retry")
        self._load_plane()

    def __repr__(self) -> str:
        return "RetryForm(plane, since, until, flow, target, only undelivered, source, plan name)"

    # -- the plane's choices ----------------------------------------------------------------------

    def _load_plane(self) -> None:
        plane = self.plane_picker.value
        if plane is not None:
            try:
                flows = list(self.client.iter_flows(plane))
                targets = self.client.list_targets(plane)
            except ZenError as error:
                flows, targets = [], []
                self._show_error(error)
            set_options(self.flow_picker, [("Any flow", ANY)] + [(option_label(flow), flow["id"]) for flow in flows])
            set_options(
                self.target_picker,
                [("Any target", ANY)] + [(option_label(target, with_type=True), target["id"]) for target in targets],
            )
        self._changed()

    def _plane_changed(self, _change: Any = None) -> None:
        self._load_plane()

    # -- the form's state -------------------------------------------------------------------------

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``client.plan_retry`` the form stands for (bounds in the API's form)."""
        window = read_window(self.since_field.value, self.until_field.value)
        return {
            "plane": self.plane_picker.value,
            "flow": self.flow_picker.value or None,
            "target": self.target_picker.value or None,
            "since": window.since,
            "until": window.until,
            "only_undelivered": self.undelivered_box.value,
            "source": self.source_picker.value,
            "name": self.name_field.value.strip() or None,
        }

    def problem(self) -> str | None:
        """Why Preview cannot be sent (the problem and its fix, as on its field), or None."""
        if self.plane_picker.value is None:
            return "no plane is picked: pick one in Plane above"
        problems = read_window(self.since_field.value, self.until_field.value).problems
        return problems.get("since") or problems.get("until")

    @property
    def running(self) -> bool:
        """A run is going on (its thread has not returned)."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run (if any) has returned, at most ``timeout`` s; True when none is going on."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _edited(self, _change: Any = None) -> None:
        """A field the user changed: a plan shown was for the form before, so Run goes off until a new preview."""
        if self.plan is not None and not self.running and self.arguments() != self._planned_for:
            self.status.value = info_html(STALE)
        elif self.plan is not None and not self.running and not self._ran:
            self.status.value = ""  # changed back to what was planned: the plan is good again
        self._changed()

    def _changed(self, _change: Any = None) -> None:
        self.plane_id.value = id_line(self.plane_picker)
        self.flow_id.value = id_line(self.flow_picker) if self.flow_picker.value else "every flow of the plane"
        self.target_id.value = id_line(self.target_picker) if self.target_picker.value else "every target of the plane"
        problems = read_window(self.since_field.value, self.until_field.value).problems
        for name, field, hint, text in (
            ("since", self.since_field, self.since_hint, f"Inclusive; {HINT}."),
            ("until", self.until_field, self.until_hint, f"Exclusive; {HINT}."),
        ):
            mark_field(field, problems.get(name))
            if name in problems:
                hint.add_class("zen-problem")
                hint.value = f"Not valid: {escape(problems[name])}."
            else:
                hint.remove_class("zen-problem")
                hint.value = escape(text)
        if self.running:
            return  # the buttons are the run's until it returns
        problem = self.problem()
        run_off = self._why_run_is_off()
        self.preview_button.disabled = problem is not None
        self.preview_button.tooltip = f"Preview is off: {problem}" if problem else "Plan the retry: changes nothing"
        self.run_button.disabled = run_off is not None
        self.run_button.tooltip = f"Run is off: {run_off}" if run_off else "Retry the events of the plan shown"
        self.cancel_button.disabled = True
        if problem:
            self.why_off.value = f"Preview is off: {escape(problem)}."
        elif run_off and self.plan is not None:
            self.why_off.value = f"Run is off: {escape(run_off)}."
        else:
            self.why_off.value = ""

    def _why_run_is_off(self) -> str | None:
        if self.plan is None:
            return "no plan yet: click Preview first"
        if self._ran:
            return RAN
        if self.arguments() != self._planned_for:
            return "the form changed after the preview: click Preview to plan it again"
        if not self.plan.to_retry:
            if (self.plan.deliveries["reason"] == RETRIED).any():
                return f"the plan has nothing to retry: {RETRIED_BEFORE}"
            return "the plan has nothing to retry"
        return None

    def _show_error(self, error: ZenError) -> None:
        self.status.value = error_html(type(error).__name__, error.message, error.fix, error._details())

    # -- the buttons ----------------------------------------------------------------------------

    def preview(self, _button: Any = None) -> None:
        """Make the plan for the form as it is and show it (no-op while a run goes on or the form is not valid)."""
        if self.running or self.problem() is not None:
            return
        arguments = self.arguments()
        self.status.value = ""
        try:
            with busy(self.preview_button, "Planning…", hold=[self.run_button]):
                plan = self.client.plan_retry(arguments.pop("plane"), **arguments)
        except ZenError as error:
            self._show_error(error)  # the plan shown before (if any) stays, as the fields do
        else:
            self.plan, self._planned_for, self._ran = plan, self.arguments(), False
            self.view.value = plan._repr_html_()
        self._changed()

    def run(self, _button: Any = None) -> None:
        """Run the plan shown on a thread (no-op unless Run is on); ``wait()`` blocks until it returns."""
        if self.running or self._why_run_is_off() is not None:
            return
        plan = self.plan
        self._ran = True
        self.run_error = None
        self.status.value = ""
        self.why_off.value = ""
        self.progress.start(int(plan.to_retry))
        self.cancel_button.disabled = False
        self._thread = threading.Thread(target=self._run, args=(plan,), name="zen-retry-form-run", daemon=True)
        self._thread.start()

    def _run(self, plan: Any) -> None:
        """The run's thread: the plan's result, or its error, in the form; then the buttons come back."""
        try:
            with busy(self.run_button, "Running…", hold=[self.preview_button]):
                result = plan.run(progress=False, on_progress=self.progress, **self._run_options)
        except ZenError as error:
            self.run_error = error
            self._show_error(error)
        except Exception as error:  # noqa: BLE001 - on a thread nobody sees it otherwise
            self.run_error = error
            self.status.value = error_html(
                type(error).__name__,
                f"the run stopped: {error}",
                "Click Preview to see what is left to retry, then Run; `form.run_error` holds the traceback to report.",
                [],
            )
        else:
            self.run_result = result
            self.view.value = result._repr_html_()
            if result.cancelled:
                self.status.value = info_html(
                    f"Cancelled after {self.progress.done} of {int(plan.to_retry)} events: no new request was sent.",
                    "Click Preview to plan what is left.",
                )
        finally:
            self.progress.finish()
            self.cancel_button.description, self.cancel_button.icon = "Cancel", "stop"
            self._thread = None
            self._changed()

    def cancel(self, _button: Any = None) -> None:
        """Ask the running plan to send no new request; the run returns soon and shows what was sent."""
        if not self.running or self.plan is None:
            return
        self.cancel_button.disabled = True
        self.cancel_button.description, self.cancel_button.icon = "Cancelling…", "spinner"
        self.plan.cancel()


def retry_form(client: Any = None, **run_options: Any) -> RetryForm:
    """The bulk-retry form for the plane of ``ZEN_PLANE_ID`` (a client reading the environment by default).

    ``run_options`` (``workers``, ``batch_size``, ``wait``, ``timeout``) go to ``plan.run``.
    """
    return RetryForm(client, **run_options)
