"""``zen_nb.class_progress()``: the trainer's view of a class as a DataFrame, trainee × exercise.

It reads ``GET /_sandbox/class/progress`` (the function the live board renders too, so the two
agree) with the class sandbox's admin token. Each cell is when that trainee first passed that
exercise (``datetime64[ns, UTC]``), ``NaT`` while not passed, so ``frame.notna().sum()`` counts
the passes per exercise as the board's column totals do. What is not a pass time is in
``frame.attrs``: ``joined`` (trainee → bool), ``checks`` (trainee → exercise → number of checks,
which shows who tries and is stuck), ``tenant_id`` (trainee → tenant). Never a token.

The admin token is a secret: it comes from ``admin_token=`` or ``ZEN_SANDBOX_ADMIN_TOKEN``, goes
only into the request's header, and is cut out of any error text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import class_api
from .class_api import CLASS_PATH
from .errors import UnauthorizedError, ZenAPIError, ZenConfigError
from .hints import code
from .vocabulary import ENV_SANDBOX_ADMIN_TOKEN

if TYPE_CHECKING:
    import pandas as pd

_READ_UNSEEN_SHELL = f"read -rs {ENV_SANDBOX_ADMIN_TOKEN} && export {ENV_SANDBOX_ADMIN_TOKEN}"
_READ_UNSEEN_PYTHON = (
    'import getpass, zen_nb; progress = zen_nb.class_progress(admin_token=getpass.getpass("Admin token: "))'
)
_WITH_ADDRESS = 'zen_nb.class_progress(api_base="http://HOST:PORT")'
_UNSEEN = (
    f"in the shell that starts Jupyter, {code(_READ_UNSEEN_SHELL)} (paste the admin token that "
    f"{class_api.class_command()} printed, then Enter: it is neither shown nor kept), or in the notebook "
    f"{code(_READ_UNSEEN_PYTHON)}. Never write it into a cell: a cell's code stays in IPython's history "
    "and in the saved notebook."
)
_ADDRESS_FIX = (
    f"Pass the class sandbox's address (the base URL that {class_api.class_command()} printed): "
    f"{code(_WITH_ADDRESS)}, or set ZEN_API_BASE to it."
)


def class_progress(*, admin_token: str | None = None, api_base: str | None = None) -> pd.DataFrame:
    """Who passed which exercise, and when: index ``trainee`` (roster order), a column per exercise.

    ``admin_token`` defaults to ``ZEN_SANDBOX_ADMIN_TOKEN``; ``api_base`` to ``ZEN_API_BASE``, else a
    sandbox on this machine.
    """
    token = (admin_token if admin_token is not None else os.environ.get(ENV_SANDBOX_ADMIN_TOKEN, "")).strip()
    if not token:
        raise ZenConfigError(
            f"{ENV_SANDBOX_ADMIN_TOKEN} is not set: the class's progress needs the admin token of its sandbox",
            fix=f"Set it unseen: {_UNSEEN}",
        )
    base = class_api.class_base(api_base, None, fix=_ADDRESS_FIX)
    return progress_frame(_read_progress(base, token))


def _read_progress(base: str, token: str) -> Mapping[str, Any]:
    http = class_api.transport(base, token)
    try:
        body = http.request("GET", f"{CLASS_PATH}/progress", under_tenant=False)
    except ZenAPIError as error:
        if class_api.is_missing_surface(error):
            raise class_api.no_class_error(base, "it runs no class", _ADDRESS_FIX) from None
        if isinstance(error, UnauthorizedError):
            error.fix = (
                f"Use the admin token of the sandbox at {base} (the one its {class_api.class_command()} printed), "
                f"set unseen: {_UNSEEN}"
            )
        raise
    finally:
        http.close()
    if not isinstance(body, Mapping) or not isinstance(body.get("trainees"), list):
        raise class_api.no_class_error(base, "its answer is not a class's progress", _ADDRESS_FIX)
    return body


def progress_frame(body: Mapping[str, Any]) -> pd.DataFrame:
    """The DataFrame of a ``GET /_sandbox/class/progress`` answer (see the module's docstring)."""
    import pandas as pd

    from .frames import STRING_DTYPE, _timestamps

    exercises = [str(name) for name in body.get("exercises") or []]
    rows = list(body["trainees"])
    cells = [row.get("exercises") or {} for row in rows]
    columns = {
        name: _timestamps(
            [(cell.get(name) or {}).get("passedAt") if (cell.get(name) or {}).get("passed") else None for cell in cells]
        ).array
        for name in exercises
    }
    index = pd.Index([str(row["trainee"]) for row in rows], name="trainee", dtype=STRING_DTYPE)
    frame = pd.DataFrame(columns, index=index, columns=pd.Index(exercises, name="exercise"))
    frame.attrs = {
        "joined": {str(row["trainee"]): bool(row.get("joined")) for row in rows},
        "checks": {
            str(row["trainee"]): {name: int((cell.get(name) or {}).get("checks") or 0) for name in exercises}
            for row, cell in zip(rows, cells, strict=True)
        },
        "tenant_id": {str(row["trainee"]): str(row.get("tenantId") or "") for row in rows},
    }
    return frame
