"""No sandbox token in what pytest prints or writes of a test (tests/redaction.py, registered in conftest.py).

An inner pytest run (``pytester``, in this process) has a test that fails with tokens in a frame's
arguments and in its captured stdout, and one that passes printing a token; the outer test reads
everything the run printed and its junit XML.
"""

from __future__ import annotations

import textwrap

import pytest

from zen_nb.sandbox import DEMO_TOKEN
from zen_nb.sandbox.admin_token import new_admin_token
from zen_nb.sandbox.ids import new_token

import redaction

pytest_plugins = ["pytester"]

INNER = """
ADMIN, TENANT, OWN = {admin!r}, {tenant!r}, {own!r}


def send(url, headers, token):
    assert url == "http://127.0.0.1:1/_sandbox/reset", "refused"


def test_fails_with_tokens():
    print("zen-nb sandbox on http://127.0.0.1:8000, admin token:", ADMIN, "demo token:", {demo!r})
    send("http://127.0.0.1:1/", {{"Authorization": "Bearer " + ADMIN, "X-API-Key": OWN}}, TENANT)


def test_passes_printing_a_token():
    print("tenant token:", TENANT)
"""


@pytest.mark.parametrize("hook", ["pytest_runtest_makereport", "pytest_make_collect_report"])
def test_the_conftest_registers_the_hook(request: pytest.FixtureRequest, hook: str) -> None:
    """The hooks are on in this suite, not only in the inner runs below."""
    plugins = request.config.pluginmanager.get_plugins()
    assert any(getattr(plugin, hook, None) is getattr(redaction, hook) for plugin in plugins)


def test_no_token_in_the_output_of_a_run(pytester: pytest.Pytester) -> None:
    admin, tenant, own = new_admin_token().value, new_token(), "my-own-secret-9f3a"
    pytester.makeconftest("from redaction import pytest_make_collect_report, pytest_runtest_makereport\n")
    pytester.makepyfile(test_broken=f"raise RuntimeError('no sandbox for the token {tenant}')\n")
    pytester.makepyfile(test_inner=textwrap.dedent(INNER.format(admin=admin, tenant=tenant, own=own, demo=DEMO_TOKEN)))
    junit = pytester.path / "junit.xml"

    result = pytester.runpytest("-rA", "--showlocals", "--continue-on-collection-errors", f"--junitxml={junit}")

    result.assert_outcomes(passed=1, failed=1, errors=1)
    output = result.stdout.str() + result.stderr.str() + junit.read_text(encoding="utf-8")
    for token in (admin, tenant, own):
        assert token not in output
    assert "'Authorization': 'Bearer <token hidden>'" in output  # the frame's argument
    assert "admin token: <token hidden>" in output  # captured stdout of the failing test
    assert "tenant token: <token hidden>" in output  # captured stdout of the passing one, by -rA
    assert "no sandbox for the token <token hidden>" in output  # a module failing at its import
    assert DEMO_TOKEN in output  # public: it stays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{'Authorization': 'Bearer abc.def'}", "{'Authorization': 'Bearer <token hidden>'}"),
        ("authorization: bearer abc", "authorization: bearer <token hidden>"),
        ("Authorization: Basic dXNlcjpwdw==", "Authorization: Basic <token hidden>"),
        ('"X-API-Key": "k-1"', '"X-API-Key": "<token hidden>"'),
        ("x-api-key=k-1, next", "x-api-key=<token hidden>, next"),
        ("token zen_admin_AbC-d_9 here", "token <token hidden> here"),
        (f"Authorization: Bearer {DEMO_TOKEN}", f"Authorization: Bearer {DEMO_TOKEN}"),
        ("Authorization: Bearer <token hidden>", "Authorization: Bearer <token hidden>"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redaction.redact(text) == expected
