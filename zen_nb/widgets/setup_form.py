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
from collections.abc import MutableMapping
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from .. import local_sandbox
from ..config import VARIABLES, ZenConfig
from ..display import error_html, success_html
from ..errors import ZenError
from ..hints import INSTALL_SANDBOX, SANDBOX_COMMAND, code
from ..joining import join

_LAYOUT = {"width": "min(100%, 560px)"}
_STYLE = {"description_width": "140px"}
_TOKEN_SET = "set (hidden): type a new token to replace it"
_TOKEN_UNSET = "not set: paste your API token, then press Enter"
_TOKEN_TAKEN = "entered (hidden): press Apply to use it"
_CODE_EMPTY = "from your trainer, such as K7QM-3XPD"
_CODE_TAKEN = "entered (hidden): press Join class"
_CODE_LAYOUT = {"width": "min(100%, 456px)"}


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
    """Fields for ZEN_API_BASE, ZEN_API_TOKEN, ZEN_TENANT_ID, ZEN_PLANE_ID, ZEN_ADAPTER_ID."""

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._token: str | None = None  # a token entered here or found for the sandbox, not yet applied
        self._join_code: str | None = None  # a join code typed here, until "Join class" uses it
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
            layout={"width": "auto"},
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
        self.status = widgets.HTML()
        self.token_field.observe(self._take_token, names="value")
        self.code_field.observe(self._take_code, names="value")
        self.join_button.on_click(self.join_class)
        self.sandbox_button.on_click(self.use_sandbox)
        self.check_button.on_click(self.check_connection)
        self.apply_button.on_click(self.apply)
        buttons = widgets.HBox([self.sandbox_button, self.check_button, self.apply_button])
        joining = widgets.HBox([self.code_field, self.join_button])
        fields = [self.base_field, joining, self.token_field, self.tenant_field, self.plane_field, self.adapter_field]
        super().__init__([widgets.HTML("<b>Zen Mesh environment</b>"), *fields, buttons, self.status])
        self._show_initial_state()

    def __repr__(self) -> str:
        return "SetupForm(ZEN_API_BASE, ZEN_API_TOKEN, ZEN_TENANT_ID, ZEN_PLANE_ID, ZEN_ADAPTER_ID)"

    # -- the token never stays in a widget --------------------------------------------------------

    def _take_token(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._token = change["new"].strip()
            self.token_field.value = ""
            self.token_field.placeholder = _TOKEN_TAKEN

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

    def _show_initial_state(self) -> None:
        try:
            config = ZenConfig(environ=self._environ)
        except ZenError:
            missing = [name for name in VARIABLES.values() if not self._environ.get(name)]
            self.status.value = (
                f"<i>Not set yet: {', '.join(missing)}. In a class, type your join code and click "
                "<b>Join class</b>; else fill the fields or click <b>Use local sandbox</b>, then <b>Apply</b>.</i>"
            )
            return
        self.status.value = success_html(
            f"Environment complete: {config.api_base}, tenant {config.tenant_id}, plane {config.plane_id}, "
            "token set. Nothing to do; Check connection tests it."
        )

    def _show_error(self, error: ZenError) -> None:
        self.status.value = error_html(type(error).__name__, error.message, error.fix, error._details())

    # -- buttons --------------------------------------------------------------------------------

    def use_sandbox(self, _button: Any = None) -> None:
        """Fill the fields with a local sandbox's demo tenant (found running, or started here)."""
        try:
            # Look first where this form points (a base typed here, or its environment's).
            where = {"ZEN_API_BASE": self.base_field.value.strip() or self._environ.get("ZEN_API_BASE", "")}
            env, what = local_sandbox.find_or_start(where)
        except Exception as error:  # noqa: BLE001 - shown to the user, with the way out
            self.status.value = error_html(
                "Sandbox",
                f"could not start a local sandbox: {error}",
                f"Install it with {code(INSTALL_SANDBOX)}, or run {code(SANDBOX_COMMAND)} in a terminal.",
                [],
            )
            return
        self.base_field.value = env["ZEN_API_BASE"]
        self.tenant_field.value = env["ZEN_TENANT_ID"]
        self.plane_field.value = env["ZEN_PLANE_ID"]
        self.adapter_field.value = env["ZEN_ADAPTER_ID"]
        self._token = env["ZEN_API_TOKEN"]
        self.token_field.placeholder = "the sandbox's demo token (hidden): press Apply to use it"
        self.status.value = success_html(f"Local sandbox: {what}. Check connection, then Apply.")

    def join_class(self, _button: Any = None) -> None:
        """Join the class at the form's ZEN_API_BASE with the code typed: fill the fields and set ``os.environ``."""
        code_typed, self._join_code = self._join_code, None
        self.code_field.value = ""
        self.code_field.placeholder = _CODE_EMPTY
        if not code_typed:
            self.status.value = error_html(
                "Join code",
                "no join code was typed",
                "Type the code your trainer gave into the Join code field, then click Join class.",
                [],
            )
            return
        try:
            joined = join(code_typed, self.base_field.value.strip() or None, environ=self._environ)
        except ZenError as error:
            self._show_error(error)
            return
        # The environment holds the trainee's values now; the fields show them, the token stays out.
        self.base_field.value = joined.api_base
        self.tenant_field.value = joined.tenant_id
        self.plane_field.value = joined.plane_id
        self.adapter_field.value = joined.adapter_id
        self._token = None
        self.token_field.value = ""
        self.token_field.placeholder = _TOKEN_SET
        self.status.value = success_html(f"{joined}. The five ZEN_* variables are set in this kernel.")

    def check_connection(self, _button: Any = None) -> None:
        """Read the tenant and the plane with the form's values; say what was found, or the error and its fix."""
        from ..client import ZenClient

        try:
            config = self.config()
            with ZenClient(config, retry=1, timeout=(3, 10)) as client:
                tenant = client.get_tenant()
                plane = client.get_plane()
        except ZenError as error:
            self._show_error(error)
            return
        self.status.value = success_html(
            f"Connected to {config.api_base}: tenant {tenant.get('name')} ({tenant.get('id')}, plan "
            f"{tenant.get('plan')}), plane {plane.get('id')} ({plane.get('region')})."
        )

    def apply(self, _button: Any = None) -> None:
        """Set ``os.environ`` to the form's values, so the recipe's ``os.environ[...]`` code works."""
        try:
            config = self.config()
        except ZenError as error:
            self._show_error(error)
            return
        self._environ.update(config.as_env())
        self._token = None
        self.token_field.value = ""
        self.token_field.placeholder = _TOKEN_SET
        self.status.value = success_html(
            f"Applied: the five ZEN_* variables are set in this kernel ({config.api_base}, tenant "
            f"{config.tenant_id}, plane {config.plane_id}; token set, not shown)."
        )


def _variable_field(environ: MutableMapping[str, str], name: str, placeholder: str) -> widgets.Text:
    """A text field for one ``ZEN_*`` variable, filled from the environment."""
    return widgets.Text(
        value=environ.get(name, ""), description=name, placeholder=placeholder, layout=_LAYOUT, style=_STYLE
    )
