"""``%zen_join CODE`` in a real IPython shell (``%load_ext zen_nb``), against a real class sandbox.

It joins as ``zen_nb.join`` does and returns the :class:`Joined` (the cell's output says who
joined, never the token or the code); ``--api-base`` names the class's address. A usage error
names what is wrong without repeating any value given (a code or a token pasted in the wrong
place), and a refused join shows as its short error block, without the code.
"""

from __future__ import annotations

import os

import pytest
from IPython.core.error import UsageError

from zen_nb.joining import Joined

from class_helpers import another_code, code_forms, enroll


def test_zen_join_sets_the_kernels_environment_and_shows_who_joined(shell, api, sandbox, no_zen_environ, capsys):
    (ada,) = enroll(sandbox, "ada")
    shell.run_line_magic("load_ext", "zen_nb")
    result = shell.run_cell(f"%zen_join {ada['joinCode']} --api-base {sandbox.base_url}")
    assert result.success, result.error_in_exec
    assert isinstance(result.result, Joined)
    assert os.environ["ZEN_API_TOKEN"] == ada["token"] and os.environ["ZEN_TENANT_ID"] == ada["tenantId"]
    data, _ = shell.display_formatter.format(result.result)
    assert data["text/plain"].startswith("Joined the class as ada: tenant ")
    shown = capsys.readouterr().out + data["text/plain"] + data["text/html"]
    for secret in [ada["token"], *code_forms(ada["joinCode"]).values()]:
        assert secret not in shown


def test_zen_join_reads_zen_api_base(shell, api, sandbox, no_zen_environ, monkeypatch):
    (ada,) = enroll(sandbox, "ada")
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)
    shell.run_line_magic("load_ext", "zen_nb")
    assert shell.run_line_magic("zen_join", ada["joinCode"]).tenant_id == ada["tenantId"]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "the following arguments are required: code"),
        ("K7QM-3XPD zen_test_secret_pasted_here", "unrecognized arguments"),
        ("K7QM-3XPD --api-base", "expected one argument"),
        ("K7QM-3XPD --bogus=zen_test_secret_pasted_here", "unrecognized arguments"),
    ],
)
def test_usage_errors_repeat_no_value(shell, no_zen_environ, line, says):
    shell.run_line_magic("load_ext", "zen_nb")
    with pytest.raises(UsageError) as raised:
        shell.run_line_magic("zen_join", line)
    message = str(raised.value)
    assert message.startswith("%zen_join: ") and says in message
    for value in ("zen_test_secret_pasted_here", "K7QM-3XPD", "K7QM3XPD"):
        assert value not in message


def test_a_wrong_code_in_a_cell_is_its_short_error_block_without_the_code(shell, no_zen_environ, capsys):
    from zen_nb import sandbox as sandbox_pkg

    with sandbox_pkg.start(port=0, db=":memory:") as box:  # a failed join counts: not on the session's sandbox
        (ada,) = enroll(box, "ada")
        wrong = another_code(ada["joinCode"])
        shell.run_line_magic("load_ext", "zen_nb")
        result = shell.run_cell(f"%zen_join {wrong} --api-base {box.base_url}")
    assert type(result.error_in_exec).__name__ == "JoinCodeNotFound"
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "JoinCodeNotFound: " in shown and "Fix: Check the join code with your trainer" in shown
    assert "Traceback" not in shown
    for secret in [*code_forms(wrong).values(), *code_forms(ada["joinCode"]).values()]:
        assert secret not in shown
    assert "ZEN_API_TOKEN" not in os.environ
