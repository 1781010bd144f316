"""Forms for JupyterLab (ipywidgets 8): set up the ``ZEN_*`` environment, create a flow, and retry in bulk.

They leave the kernel in the state the recipe's plain code expects (``os.environ`` set), show
results and errors in place, and never put the API token into a widget's state, an output, or a
message from the kernel to a front end.
"""

from __future__ import annotations

from typing import Any

from .flow_form import FlowForm
from .retry_form import RetryForm, retry_form
from .setup_form import SetupForm

__all__ = ["FlowForm", "RetryForm", "SetupForm", "flow_form", "retry_form", "setup"]


def setup(**kwargs: Any) -> SetupForm:
    """The environment form: the five ``ZEN_*`` values, "Use local sandbox", "Check connection", "Apply"."""
    return SetupForm(**kwargs)


def flow_form(client: Any = None, **kwargs: Any) -> FlowForm:
    """The create-a-flow form for the plane of ``ZEN_PLANE_ID`` (a client reading the environment by default)."""
    return FlowForm(client, **kwargs)
