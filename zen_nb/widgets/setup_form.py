"""``SetupForm``: the five ``ZEN_*`` values as a form, and the buttons that make them work.

The token field is a password field that is never filled with the current token: a token
typed into it is taken into this Python object at once (on Enter or leaving the field) and
the field is emptied, so no widget's state ever holds it. The kernel never sends it back to a
front end either (:class:`TokenField`).

In a training class, the "Join code" field and the "Join class" button replace all of that: the
code the trainer gave is taken like the token (out of the field at once, never echoed), and a
join sets the five variables for the trainee's own tenant. The token it brings goes straight
into the environment, never into a field or this form.
"""

from __future__ import annotations

import os
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as widgets
from traitlets import Unicode

from .. import local_sandbox
from ..config import VARIABLES, ZenConfig
from ..display import busy_html, error_html, info_html, success_html
from ..errors import ZenConfigError, ZenConnectionError, ZenError
from ..hints import INSTALL_SANDBOX, SANDBOX_COMMAND, code
from ..joining import join
from . import setup_messages as say
from .busy import busy
from .theme import INPUT_LAYOUT, mark_field, style_form, stylesheet, under_inputs

_LAYOUT = INPUT_LAYOUT
_STYLE = {"description_width": "140px"}
_TOKEN_SET = "set (hidden): type a new token to replace it"
_TOKEN_UNSET = "not set: paste your API token, then press Enter"
_TOKEN_TAKEN = "entered (hidden): press Apply to use it"
_CODE_EMPTY = "from your trainer, such as K7QM-3XPD"
_CODE_TAKEN = "entered (hidden): press Join class"
# The code field gives way to the button beside it (which would else wrap to the left edge when narrow).
_CODE_LAYOUT = {"width": "auto", "flex": "1 1 0%", "min_width": "0", "max_width": "456px"}
_CODE_ROW = {"width": "min(100%, 564px)", "flex_flow": "row nowrap"}
_ROW = {"flex_flow": "row wrap", "max_width": "100%"}


class TokenField(widgets.Password):
    """A password field whose typed value the kernel never echoes to the front ends.

    ipywidgets 8 echoes every state update that one front end sends to all the front ends of the
    kernel (``echo_update``, so that they agree); for a token that means every browser tab and
    every collaborator on the kernel receives it. Tagged ``echo_update=False`` (ipywidgets' own
    per-trait switch, used for ``FileUpload.value``), the value goes from the browser where it is
    typed to the kernel only; the form then empties the field, and the front ends receive that
    empty value as an ordinary update.
    """

    value = Unicode(help="String value").tag(sync=True, echo_update=False)


class JoinCodeField(widgets.Text):
    """A text field for a join code, which the kernel takes and empties as :class:`TokenField` does.

    A code is shown while it is typed (it is read off a board, letter by letter), but like the token
    it is a key to a tenant: it is never echoed to other front ends, nor kept in the widget's state.
    """

    value = Unicode(help="String value").tag(sync=True, echo_update=False)


class SetupForm(widgets.VBox):
    """Fields for ZEN_API_BASE, ZEN_API_TOKEN, ZEN_TENANT_ID, ZEN_PLANE_ID, ZEN_ADAPTER_ID.

    Every button that waits on the network is busy while it waits (disabled, "Checking…", the
    other buttons held), and says what it is waiting for; "Check connection" gives up after
    :data:`~zen_nb.widgets.setup_messages.CHECK_TIMEOUT` seconds. A result (connected, applied, an
    error) stands only for the values it was about: typing in any field replaces it with a note
    that it no longer applies, and takes the field out of its error state.
    """

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._token: str | None = None  # a token entered here or found for the sandbox, not yet applied
        self._join_code: str | None = None  # a join code typed here, until "Join class" uses it
        self._result = False  # the status shows a result of a click (which typing makes stale)
        env = self._environ
        self.base_field = _variable_field(env, "ZEN_API_BASE", "https://api.zen-mesh.io")
        self.token_field = TokenField(
            value="",
            description="ZEN_API_TOKEN",
            continuous_update=False,
            placeholder=_TOKEN_SET if env.get("ZEN_API_TOKEN") else _TOKEN_UNSET,
            layout=_LAYOUT,
            style=_STYLE,
        )
        self.tenant_field = _variable_field(env, "ZEN_TENANT_ID", "your tenant id")
        self.plane_field = _variable_field(env, "ZEN_PLANE_ID", "plane_dev_us_east_1")
        self.adapter_field = _variable_field(env, "ZEN_ADAPTER_ID", "adapter_stripe_ingester")
        self.code_field = JoinCodeField(
            value="",
            description="Join code",
            continuous_update=False,
            placeholder=_CODE_EMPTY,
            layout=_CODE_LAYOUT,
            style=_STYLE,
        )
        self.join_button = widgets.Button(
            description="Join class",
            icon="users",
            tooltip="Join your trainer's class at ZEN_API_BASE with this code: sets all five ZEN_* at once",
            layout={"width": "auto", "flex": "0 0 auto"},
        )
        # Buttons as wide as their labels (ipywidgets' fixed default cuts "Use local sandbox").
        self.sandbox_button = widgets.Button(
            description="Use local sandbox",
            icon="server",
            tooltip="Connect to a running sandbox, or start one in this kernel",
            layout={"width": "auto"},
        )
        self.check_button = widgets.Button(
            description="Check connection",
            icon="plug",
            tooltip="Read the tenant and the plane with these values",
            layout={"width": "auto"},
        )
        self.apply_button = widgets.Button(
            description="Apply",
            icon="check",
            button_style="primary",
            tooltip="Set os.environ so the recipe's code works in the next cell",
            layout={"width": "auto"},
        )
        self.status = widgets.HTML(layout={"max_width": "100%"})
        under_inputs(self.status)
        self.status.add_class("zen-status")
        self.fields = {
            "ZEN_API_BASE": self.base_field,
            "ZEN_API_TOKEN": self.token_field,
            "ZEN_TENANT_ID": self.tenant_field,
            "ZEN_PLANE_ID": self.plane_field,
            "ZEN_ADAPTER_ID": self.adapter_field,
        }
        self._buttons = [self.join_button, self.sandbox_button, self.check_button, self.apply_button]
        self.token_field.observe(self._take_token, names="value")
        self.code_field.observe(self._take_code, names="value")
        for field in (self.base_field, self.tenant_field, self.plane_field, self.adapter_field):
            field.observe(self._field_changed, names="value")
        self.join_button.on_click(self.join_class)
        self.sandbox_button.on_click(self.use_sandbox)
        self.check_button.on_click(self.check_connection)
        self.apply_button.on_click(self.apply)
        buttons = widgets.HBox([self.sandbox_button, self.check_button, self.apply_button], layout=_ROW)
        under_inputs(buttons)
        joining = widgets.HBox([self.code_field, self.join_button], layout=_CODE_ROW)
        title = widgets.HTML("Zen Mesh environment")
        title.add_class("zen-title")
        fields = [self.base_field, joining, self.token_field, self.tenant_field, self.plane_field, self.adapter_field]
        super().__init__([stylesheet(), title, *fields, buttons, self.status])
        style_form(self, "setup")
        self._show_initial_state()

    def __repr__(self) -> str:
        return "SetupForm(ZEN_API_BASE, ZEN_API_TOKEN, ZEN_TENANT_ID, ZEN_PLANE_ID, ZEN_ADAPTER_ID)"

    # -- the token never stays in a widget --------------------------------------------------------

    def _take_token(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._token = change["new"].strip()
            self.token_field.value = ""
            self.token_field.placeholder = _TOKEN_TAKEN
            self._field_changed({"owner": self.token_field})

    def _take_code(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._join_code = change["new"]
            self.code_field.value = ""
            self.code_field.placeholder = _CODE_TAKEN

    def _current_token(self) -> str:
        return self._token or self._environ.get("ZEN_API_TOKEN", "")

    # -- state ----------------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """The five values as the form holds them (the token from this form or the environment)."""
        return {
            "ZEN_API_BASE": self.base_field.value.strip(),
            "ZEN_API_TOKEN": self._current_token(),
            "ZEN_TENANT_ID": self.tenant_field.value.strip(),
            "ZEN_PLANE_ID": self.plane_field.value.strip(),
            "ZEN_ADAPTER_ID": self.adapter_field.value.strip(),
        }

    def config(self) -> ZenConfig:
        """A :class:`ZenConfig` of the form's values (:class:`ZenConfigError` when incomplete)."""
        return ZenConfig(environ=self.values())

    def _field_changed(self, change: dict[str, Any]) -> None:
        """A value changed: its field leaves its error state, and a result about the old values goes stale."""
        mark_field(change["owner"], None)
        if not self._result:  # a busy line, or the first one: still true (the form fills fields while busy)
            return
        self._show(info_html(say.STALE), result=False)

    def _show(self, html: str, *, result: bool) -> None:
        self.status.value = html
        self._result = result

    def _show_initial_state(self) -> None:
        try:
            config = ZenConfig(environ=self._environ)
        except ZenError:
            missing = [name for name in VARIABLES.values() if not self._environ.get(name)]
            self._show(info_html(*say.missing_line(missing)), result=False)
            return
        self._show(
            success_html(
                f"Environment complete: {config.api_base}, tenant {config.tenant_id}, plane {config.plane_id}, "
                "token set.",
                "Nothing to do; Check connection tests it.",
            ),
            result=True,
        )

    def _show_error(self, error: ZenError, button: str = "Apply", fix: str | None = None) -> None:
        """``error`` with a fix for this form: its config problems marked on their fields, named "above"."""
        if isinstance(error, ZenConfigError) and error.problems:
            for name in error.problems:
                if name in self.fields:
                    mark_field(self.fields[name], error.problems[name])
            fix = say.config_fix(error.problems, button)
        elif isinstance(error, ZenConnectionError):
            mark_field(self.base_field, error.message)
            fix = fix or say.connection_fix()
        elif say.FIELD_OF_CODE.get(error.code or "") in self.fields:
            mark_field(self.fields[say.FIELD_OF_CODE[error.code or ""]], error.message)
            fix = say.FIX_OF_CODE[error.code or ""].format(button=button)
        shown = error.fix if fix is None else fix
        self._show(error_html(type(error).__name__, error.message, shown, error._details()), result=True)

    def _unmark_all(self) -> None:
        for field in self.fields.values():
            mark_field(field, None)

    # -- buttons --------------------------------------------------------------------------------

    def use_sandbox(self, _button: Any = None) -> None:
        """Fill the fields with a local sandbox's demo tenant (found running, or started here)."""
        # Look first where this form points (a base typed here, or its environment's).
        where = {"ZEN_API_BASE": self.base_field.value.strip() or self._environ.get("ZEN_API_BASE", "")}
        with busy(self.sandbox_button, "Starting…", hold=self._buttons):
            self._show(busy_html("Looking for a local sandbox, or starting one in this kernel…"), result=False)
            try:
                env, what = local_sandbox.find_or_start(where)
            except Exception as error:  # noqa: BLE001 - shown to the user, with the way out
                self._show(
                    error_html(
                        "Sandbox",
                        f"could not start a local sandbox: {error}",
                        f"Install it with {code(INSTALL_SANDBOX)}, or run {code(SANDBOX_COMMAND)} in a terminal.",
                        [],
                    ),
                    result=True,
                )
                return
        self.base_field.value = env["ZEN_API_BASE"]
        self.tenant_field.value = env["ZEN_TENANT_ID"]
        self.plane_field.value = env["ZEN_PLANE_ID"]
        self.adapter_field.value = env["ZEN_ADAPTER_ID"]
        self._unmark_all()
        self._token = env["ZEN_API_TOKEN"]
        self.token_field.placeholder = "the sandbox's demo token (hidden): press Apply to use it"
        self._show(success_html(f"Local sandbox: {what}.", "Check connection, then Apply."), result=True)

    def join_class(self, _button: Any = None) -> None:
        """Join the class at the form's ZEN_API_BASE with the code typed: fill the fields and set ``os.environ``."""
        code_typed, self._join_code = self._join_code, None
        self.code_field.value = ""
        self.code_field.placeholder = _CODE_EMPTY
        if not code_typed:
            self._show(
                error_html(
                    "Join code",
                    "no join code was typed",
                    "Type the code your trainer gave into the Join code field, then click Join class.",
                    [],
                ),
                result=True,
            )
            return
        with busy(self.join_button, "Joining…", hold=self._buttons):
            self._show(busy_html("Joining the class…"), result=False)
            try:
                joined = join(code_typed, self.base_field.value.strip() or None, environ=self._environ)
            except ZenError as error:
                self._show_error(error, "Join class")
                return
        # The environment holds the trainee's values now; the fields show them, the token stays out.
        self.base_field.value = joined.api_base
        self.tenant_field.value = joined.tenant_id
        self.plane_field.value = joined.plane_id
        self.adapter_field.value = joined.adapter_id
        self._unmark_all()
        self._token = None
        self.token_field.value = ""
        self.token_field.placeholder = _TOKEN_SET
        self._show(success_html(f"{joined}.", "The five ZEN_* variables are set in this kernel."), result=True)

    def check_connection(self, _button: Any = None) -> None:
        """Read the tenant and the plane with the form's values; say what was found, or the error and its fix.

        One try, :data:`~zen_nb.widgets.setup_messages.CHECK_TIMEOUT` seconds at most: someone is
        looking at the button, and a server that does not answer in that time is the answer.
        """
        try:
            config = self.config()
        except ZenConfigError as error:
            self._show_error(error, "Check connection")
            return
        with busy(self.check_button, "Checking…", hold=self._buttons):
            self._show(busy_html(f"Checking {config.api_base}: reading the tenant, then the plane…"), result=False)
            self._check(config)

    def _check(self, config: ZenConfig) -> None:
        from ..client import ZenClient

        tried = ""
        started = time.monotonic()
        try:
            with ZenClient(config, retry=0, timeout=say.CHECK_TIMEOUT) as client:
                tried = f"GET {urlsplit(client._http.url('')).path}"
                tenant = client.get_tenant()
                tried = f"GET the plane {config.plane_id}"
                plane = client.get_plane()
        except ZenConnectionError as error:
            if time.monotonic() - started >= say.CHECK_TIMEOUT * 0.9:  # it waited the whole time: a silent server
                error = ZenConnectionError(say.timeout_message(config.api_base, tried), fix=error.fix)
            self._show_error(error, "Check connection")
            return
        except ZenError as error:
            self._show_error(error, "Check connection")
            return
        self._unmark_all()
        self._show(
            success_html(
                f"Connected to {config.api_base}: tenant {tenant.get('name')} ({tenant.get('id')}, plan "
                f"{tenant.get('plan')}), plane {plane.get('id')} ({plane.get('region')})."
            ),
            result=True,
        )

    def apply(self, _button: Any = None) -> None:
        """Set ``os.environ`` to the form's values, so the recipe's ``os.environ[...]`` code works."""
        try:
            config = self.config()
        except ZenError as error:
            self._show_error(error, "Apply")
            return
        self._environ.update(config.as_env())
        self._unmark_all()
        self._token = None
        self.token_field.value = ""
        self.token_field.placeholder = _TOKEN_SET
        self._show(
            success_html(
                f"Applied: the five ZEN_* variables are set in this kernel ({config.api_base}, tenant "
                f"{config.tenant_id}, plane {config.plane_id}; token set, not shown)."
            ),
            result=True,
        )


def _variable_field(environ: MutableMapping[str, str], name: str, placeholder: str) -> widgets.Text:
    """A text field for one ``ZEN_*`` variable, filled from the environment."""
    return widgets.Text(
        value=environ.get(name, ""), description=name, placeholder=placeholder, layout=_LAYOUT, style=_STYLE
    )
