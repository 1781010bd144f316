"""Fault rules from Python (``Sandbox.faults`` as a context manager) and from the command line
(``zen-nb sandbox --fault 'key=value,...'``, parsed by ``command.fault_rules``)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.admin_token import new_admin_token
from zen_nb.sandbox.command import fault_rules, server_settings, startup_text
from zen_nb.sandbox.fault_switch import FaultRuleRefused
from zen_nb.sandbox.hosts import allowed_hosts
from zen_nb.sandbox.server import BackgroundServer

from fault_helpers import add_fault, get_tenant, without_faults
from helpers import Api, admin


@pytest.fixture
def faults(api: Api) -> Iterator[Api]:
    """No fault rule before or after the test (fault_helpers.without_faults)."""
    yield from without_faults(api)


def _listed(api: Api) -> list[str]:
    return [rule["id"] for rule in admin(api, "GET", "faults").json()["rules"]]


def test_faults_context_adds_its_rule_and_removes_exactly_it(faults: Api) -> None:
    box = faults.box
    other = add_fault(faults, status=429, methods=["DELETE"])  # not the block's: stays
    with box.faults(status=503, methods=["GET"], count=2) as rules:
        assert len(rules.ids) == 1 and set(_listed(faults)) == {other["id"], *rules.ids}
        assert [get_tenant(faults).status_code for _ in range(3)] == [503, 503, 200]
        assert rules.hits == 2
    assert _listed(faults) == [other["id"]]
    assert get_tenant(faults).status_code == 200


def test_faults_context_takes_several_rules_and_python_names(faults: Api) -> None:
    with faults.box.faults({"status": 503, "count": 1}, latency_ms=1, latency_spread_ms=1, after_commit=False) as rules:
        assert len(rules.ids) == 2
        shown = {rule["latencyMs"] for rule in rules.rules}
        assert shown == {0, 1}
    assert _listed(faults) == []


def test_a_refused_rule_raises_naming_the_field_and_leaves_none(faults: Api) -> None:
    with pytest.raises(FaultRuleRefused, match="probability") as caught:
        with faults.box.faults({"status": 503}, status=503, probability=2):
            pass
    assert faults.box.admin_token not in str(caught.value)
    assert _listed(faults) == []  # the first rule, added before the refusal, was taken back


def test_the_handle_never_shows_the_admin_token(faults: Api) -> None:
    with faults.box.faults(status=503, count=1) as rules:
        assert faults.box.admin_token not in repr(rules) and rules.ids[0] in repr(rules)


def test_faults_needs_a_rule(faults: Api) -> None:
    with pytest.raises(ValueError, match="give a fault rule"):
        faults.box.faults()


def test_cli_fault_text_is_parsed_into_rules() -> None:
    texts = [
        "status=503,probability=0.3,methods=POST,path=/tenants/*/clusters/*/delivery-flows",
        "drop=true,afterCommit=true,methods=POST|PUT,count=3,seed=9,tenant=tenant_demo",
    ]
    assert fault_rules(texts) == (
        {"status": 503, "probability": 0.3, "methods": ["POST"], "path": "/tenants/*/clusters/*/delivery-flows"},
        {"drop": True, "afterCommit": True, "methods": ["POST", "PUT"], "count": 3, "seed": 9, "tenant": "tenant_demo"},
    )


def test_the_banner_names_the_rules_in_force_as_fault_takes_them() -> None:
    texts = ["status=503,probability=0.3,methods=POST|PUT", "drop=true,afterCommit=true,count=3"]
    token = new_admin_token()
    info = sandbox_pkg.Sandbox(None, "127.0.0.1", 8765, token.value)
    banner, _ = startup_text(info, "database x", token, allowed_hosts("127.0.0.1"), fault_rules(texts))
    assert "Fault rules in force (GET or DELETE http://127.0.0.1:8765/_sandbox/faults" in banner
    shown = [line.strip() for line in banner.splitlines() if line.startswith("  ")]
    assert shown == texts
    assert fault_rules(shown) == fault_rules(texts)  # what is shown can be typed back
    plain, _ = startup_text(info, "database x", token, allowed_hosts("127.0.0.1"))
    assert "Fault rules" not in plain


@pytest.mark.parametrize(
    ("text", "named"),
    [("status=302", "status"), ("status", "status"), ("status=503,drop=true", "drop"), ("stauts=503", "stauts")],
)
def test_cli_fault_that_cannot_be_applied_names_the_option_and_field(text: str, named: str) -> None:
    with pytest.raises(ValueError) as caught:
        fault_rules([text])
    assert str(caught.value).startswith(f"--fault {text!r}: {named}"), caught.value


def test_cli_faults_are_in_force_from_the_start() -> None:
    args = argparse.Namespace(
        host="127.0.0.1", port=0, rate_limit=None, allow_host=[], fault=["status=503,methods=GET,path=/tenants/*"]
    )
    token = new_admin_token()
    server = BackgroundServer(server_settings(args, ":memory:", token))
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        auth = {"Authorization": f"Bearer {sandbox_pkg.DEMO_TOKEN}"}
        assert requests.get(f"{base}/tenants/{sandbox_pkg.DEMO_TENANT_ID}", headers=auth, timeout=30).status_code == 503
        listed = requests.get(f"{base}/_sandbox/faults", headers={"Authorization": f"Bearer {token.value}"}, timeout=30)
        assert [rule["hits"] for rule in listed.json()["rules"]] == [1]
    finally:
        server.stop()
