"""``zen_nb.join(CODE)`` against a real class sandbox: a trainee's code becomes the five ``ZEN_*``.

A join sets the variables of the trainee's own tenant (the client then works on it), reads the
class's address from the argument, ``ZEN_API_BASE`` or a sandbox on this machine, and forgives
what a person does to a code read off a board (case, dashes, spaces, O for 0, I or L for 1).
Each refusal is its own error with a fix that says what to do: a wrong code (ask the trainer),
a revoked code (ask for a new one), too many wrong codes (wait N s, and the wait is not spent
in the cell), text that is no code (refused before it is sent, so it never counts against the
room's limit), no address, an address without a class. Neither the token nor the code is ever
printed, returned, or in a repr or an error.

Failed joins count against the sandbox's limit for the client's address, so the tests that make
them use sandboxes of their own, never the session's (which other tests join on).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

import zen_nb
from zen_nb import local_sandbox
from zen_nb import sandbox as sandbox_pkg
from zen_nb.errors import (
    GoneError,
    JoinCodeInvalid,
    JoinCodeNotFound,
    JoinCodeRevoked,
    NoClassSandbox,
    NotFoundError,
    RateLimitedError,
    ZenConfigError,
    ZenConnectionError,
)
from zen_nb.joining import Joined, normalise_code

from class_helpers import (
    another_code,
    assert_not_shown,
    code_forms,
    enroll,
    free_port,
    service_without_a_class,
    shown_forms,
)
from helpers import ZEN_VARIABLES, admin_post

DEV = "plane_dev_us_east_1"


@pytest.fixture(scope="module")
def own_box() -> Iterator[sandbox_pkg.Sandbox]:
    """A sandbox for the tests whose joins fail: their count must not reach the session's sandbox."""
    with sandbox_pkg.start(port=0, db=":memory:") as box:
        yield box


@pytest.fixture
def no_local_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing answers where the kit looks for a sandbox on this machine (a free port instead of 8765)."""
    monkeypatch.setattr(local_sandbox, "DEFAULT_PORT", free_port())
    monkeypatch.setattr(local_sandbox, "_started", None)


def secrets_of(trainee: dict[str, Any]) -> dict[str, str]:
    return {"token": trainee["token"], **code_forms(trainee["joinCode"])}


# -- a join that works ------------------------------------------------------------------------------


def test_join_sets_the_five_variables_of_the_trainees_own_tenant(api, sandbox, capsys):
    ada, grace = enroll(sandbox, "ada", "grace")
    env: dict[str, str] = {"UNRELATED": "kept"}
    joined = zen_nb.join(ada["joinCode"], sandbox.base_url, environ=env)

    assert env == {
        "UNRELATED": "kept",
        "ZEN_API_BASE": sandbox.base_url,
        "ZEN_API_TOKEN": ada["token"],
        "ZEN_TENANT_ID": ada["tenantId"],
        "ZEN_PLANE_ID": DEV,
        "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
    }
    assert isinstance(joined, Joined)
    assert (joined.trainee, joined.tenant_id, joined.plane_id, joined.api_base) == (
        "ada",
        ada["tenantId"],
        DEV,
        sandbox.base_url,
    )
    assert repr(joined) == (
        f"Joined the class as ada: tenant {ada['tenantId']}, plane {DEV} on {sandbox.base_url} (token set, not shown)"
    )
    assert str(joined) == repr(joined)
    html = joined._repr_html_()
    assert "Joined the class as ada" in html and "✓" in html
    # The client works on that tenant, as every recipe's cell will.
    with zen_nb.ZenClient(zen_nb.ZenConfig(environ=env)) as client:
        assert client.get_tenant()["id"] == ada["tenantId"]
        assert client.get_tenant()["id"] != grace["tenantId"]
    printed = capsys.readouterr()
    assert printed.out == printed.err == ""
    assert_not_shown(secrets_of(ada), {"repr": repr(joined), "html": html, "fields": str(vars(joined))})


def test_join_uses_zen_api_base_and_sets_os_environ_by_default(api, sandbox, no_zen_environ, monkeypatch):
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url + "/")  # as pasted, with a slash
    (ada,) = enroll(sandbox, "ada")
    joined = zen_nb.join(ada["joinCode"])
    assert joined.api_base == sandbox.base_url
    import os

    assert {name: os.environ[name] for name in ZEN_VARIABLES} == {
        "ZEN_API_BASE": sandbox.base_url,
        "ZEN_API_TOKEN": ada["token"],
        "ZEN_TENANT_ID": ada["tenantId"],
        "ZEN_PLANE_ID": DEV,
        "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
    }


def test_join_finds_the_class_on_this_machine_when_nothing_says_where(api, sandbox, monkeypatch):
    """No address and no ZEN_API_BASE: a sandbox answering where the kit looks for one is the class."""
    monkeypatch.setattr(local_sandbox, "DEFAULT_PORT", sandbox.port)
    (ada,) = enroll(sandbox, "ada")
    env: dict[str, str] = {}
    assert zen_nb.join(ada["joinCode"], environ=env).api_base == sandbox.base_url
    assert env["ZEN_TENANT_ID"] == ada["tenantId"]


def test_a_code_is_read_as_a_person_types_it(api, sandbox):
    (ada,) = enroll(sandbox, "ada")
    code = ada["joinCode"]
    # Lowercase, no dash, spaces, a newline from a paste, and the look-alikes the alphabet leaves out.
    typed = "  " + code.replace("-", " ").lower().replace("0", "o").replace("1", "l") + "\n"
    env: dict[str, str] = {}
    assert zen_nb.join(typed, sandbox.base_url, environ=env).tenant_id == ada["tenantId"]
    assert normalise_code("k7qm-3xpd") == "K7QM3XPD"
    assert normalise_code("OIL0 1234") == "01101234"


def test_joining_twice_gives_the_same_tenant_and_token(api, sandbox):
    (ada,) = enroll(sandbox, "ada")
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    zen_nb.join(ada["joinCode"], sandbox.base_url, environ=first)
    zen_nb.join(ada["joinCode"], sandbox.base_url, environ=second)
    assert first == second


# -- refusals, each with what to do -------------------------------------------------------------------


def test_a_wrong_code_is_join_code_not_found_saying_to_ask_the_trainer_and_sets_nothing(own_box):
    (ada,) = enroll(own_box, f"ada-{time.monotonic_ns()}")
    wrong = another_code(ada["joinCode"])
    env: dict[str, str] = {}
    with pytest.raises(JoinCodeNotFound) as raised:
        zen_nb.join(wrong, own_box.base_url, environ=env)
    error = raised.value
    assert isinstance(error, NotFoundError) and error.status == 404 and error.code == "join_code_not_found"
    assert "trainer" in error.message and "trainer" in error.fix
    assert "XXXX-XXXX" in error.fix
    # The right code sent to another sandbox (the trainee's own) is not found either: the fix says which was asked.
    assert f"The class asked is the one at {own_box.base_url}" in error.fix and "HOST:PORT" in error.fix
    assert env == {}
    assert_not_shown({**code_forms(wrong), **secrets_of(ada)}, shown_forms(error))


def test_a_revoked_code_is_join_code_revoked_saying_to_ask_for_a_new_one(own_box):
    (ada,) = enroll(own_box, f"ada-{time.monotonic_ns()}")
    revoked = admin_post(own_box, f"class/trainees/{ada['trainee']}/revoke-code")
    assert revoked.status_code == 200, revoked.text
    env: dict[str, str] = {}
    with pytest.raises(JoinCodeRevoked) as raised:
        zen_nb.join(ada["joinCode"], own_box.base_url, environ=env)
    error = raised.value
    assert isinstance(error, GoneError) and error.status == 410 and error.code == "join_code_revoked"
    assert "ask them for a new one" in error.fix
    assert env == {}
    assert_not_shown(secrets_of(ada), shown_forms(error))
    # The trainer's new code works, for the same tenant.
    fresh = admin_post(own_box, f"class/trainees/{ada['trainee']}/new-code")
    assert fresh.status_code == 200, fresh.text
    assert zen_nb.join(fresh.json()["joinCode"], own_box.base_url, environ=env).tenant_id == ada["tenantId"]
    assert env["ZEN_API_TOKEN"] != ada["token"]  # the revoked code's token was replaced with it


def _outside_the_end_of_a_minute() -> None:
    """Wait until the sandbox's one-minute window (aligned on Unix time) has 20 s or more left."""
    left = 60 - time.time() % 60
    if left < 20:
        time.sleep(left + 0.5)


@pytest.mark.slow
def test_a_burst_of_guesses_is_rate_limited_with_a_fix_saying_how_long_to_wait():
    with sandbox_pkg.start(port=0, db=":memory:") as box:
        (ada,) = enroll(box, "ada")
        # Text that is no code is refused before it is sent: a room of typos never locks the room out.
        for typo in ["", "K7QM", "K7QM-3XPD-9", "K7QM-3XPU"] * 5:
            with pytest.raises(JoinCodeInvalid):
                zen_nb.join(typo, box.base_url, environ={})
        _outside_the_end_of_a_minute()
        assert zen_nb.join(ada["joinCode"], box.base_url, environ={}).trainee == "ada"
        wrong = another_code(ada["joinCode"])
        for _ in range(10):
            with pytest.raises(JoinCodeNotFound):
                zen_nb.join(wrong, box.base_url, environ={})
        env: dict[str, str] = {}
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as raised:
            zen_nb.join(ada["joinCode"], box.base_url, environ=env)  # even the right code, until the minute ends
        took = time.monotonic() - started
    error = raised.value
    assert error.status == 429 and error.code == "rate_limited"
    assert error.retry_after is not None and 1 <= error.retry_after <= 60
    assert f"wait {error.retry_after:.0f} s" in error.fix
    assert took < 10, f"the refused join waited {took:.1f} s in the cell instead of saying how long to wait"
    assert env == {}
    assert_not_shown({**secrets_of(ada), **code_forms(wrong)}, shown_forms(error))


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "it is empty"),
        ("Q2W3-E4R", "has 7 characters besides dashes and spaces, not 8"),
        ("Q2W3-E4R5-T", "has 9 characters besides dashes and spaces, not 8"),
        ("Q2W3-E4RU", "a character that no join code has"),
        ("zen_test_0123456789", "has 19 characters besides dashes and spaces, not 8"),
    ],
)
def test_text_that_is_no_code_is_refused_before_anything_is_sent(typed, says):
    dead = f"http://127.0.0.1:{free_port()}"  # a request would be a ZenConnectionError
    with pytest.raises(JoinCodeInvalid) as raised:
        zen_nb.join(typed, dead, environ={})
    error = raised.value
    assert isinstance(error, ValueError)
    assert says in error.message and "XXXX-XXXX" in error.message
    assert "trainer gave" in error.fix
    if typed:
        assert_not_shown({"the text": typed}, shown_forms(error))


def test_a_code_that_is_not_text_is_refused_by_type():
    with pytest.raises(JoinCodeInvalid, match="got int"):
        zen_nb.join(12345678, "http://127.0.0.1:9", environ={})  # type: ignore[arg-type]


def test_no_address_and_no_sandbox_here_says_to_pass_the_classs_address(no_local_sandbox):
    env: dict[str, str] = {}
    with pytest.raises(ZenConfigError) as raised:
        zen_nb.join("K7QM-3XPD", environ=env)
    error = raised.value
    assert "ZEN_API_BASE is not set" in error.message
    assert '`zen_nb.join("CODE", "http://HOST:PORT")`' in error.fix
    assert env == {}
    assert_not_shown(code_forms("K7QM-3XPD"), shown_forms(error))


def test_a_bad_address_is_a_config_error_naming_its_shape():
    with pytest.raises(ZenConfigError, match="http:// or https:// URL"):
        zen_nb.join("K7QM-3XPD", "192.168.1.20:8765", environ={})


def test_an_address_with_no_class_says_so(no_local_sandbox):
    with service_without_a_class() as base:
        with pytest.raises(NoClassSandbox) as raised:
            zen_nb.join("K7QM-3XPD", base, environ={})
    error = raised.value
    assert isinstance(error, ZenConfigError)
    assert f"{base} is not a zen_nb class sandbox" in error.message
    assert "HOST:PORT" in error.fix


def test_nothing_answering_at_the_address_says_to_check_it_with_the_trainer():
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ZenConnectionError) as raised:
        zen_nb.join("K7QM-3XPD", dead, environ={})
    assert "check the class's address with your trainer" in raised.value.fix
    assert "zen-nb class start" in raised.value.fix


def test_a_sandbox_refusing_the_codes_shape_is_join_code_invalid():
    """Should a sandbox read codes more strictly than the kit, its 400 on ``code`` is the same error."""
    refusal = {
        "error": {"status": 400, "code": "invalid_field", "message": "a join code is 8 symbols", "field": "code"},
        "requestId": "req_x",
    }
    with service_without_a_class(400, refusal) as base:
        with pytest.raises(JoinCodeInvalid) as raised:
            zen_nb.join("K7QM-3XPD", base, environ={})
    assert (raised.value.status, raised.value.field, raised.value.request_id) == (400, "code", "req_x")
    assert "trainer gave" in raised.value.fix
