"""The setup form's fixes for the API's answers, written for the form: a field "above", a button to click.

Against the real session sandbox: a wrong token, tenant or plane typed into the form, then
"Check connection". The error's message is the API's; the fix names the field to correct
(which is marked) and the button, and never says to open a terminal or write code in a cell.
"""

from __future__ import annotations

import pytest
from test_setup_form_busy import invalid
from test_widgets import assert_token_hidden, text, typed_form

pytestmark = pytest.mark.usefixtures("no_zen_environ")

WRONG_TOKEN = "zen_test_wrongTokenNobodyHas123456"


@pytest.mark.parametrize(
    ("variable", "value", "kind", "fix"),
    [
        (
            "ZEN_API_TOKEN",
            WRONG_TOKEN,
            "UnauthorizedError",
            "Paste a valid API token of your tenant into ZEN_API_TOKEN above and press Enter, then click "
            "Check connection.",
        ),
        ("ZEN_PLANE_ID", "plane_nope", "PlaneNotFound", "Correct ZEN_PLANE_ID above ("),
    ],
)
def test_a_wrong_value_is_marked_and_the_fix_says_which_field_to_correct(sandbox, variable, value, kind, fix):
    form = typed_form(sandbox, **{variable: value})

    form.check_button.click()

    status = text(form.status.value)
    assert kind in status and f"<b>Fix:</b> {fix}" in status, status
    assert "then click Check connection." in status
    assert "zen_nb.setup()" not in status and "in a cell" not in status and "export" not in status
    assert [name for name, field in form.fields.items() if invalid(field)] == [variable]
    assert_token_hidden(form, WRONG_TOKEN, sandbox.token)
