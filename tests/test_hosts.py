"""The ``Host`` allow-list (issue 13, finding 2): a page that rebinds its name to 127.0.0.1 gets a 403.

A DNS-rebinding page's requests reach the sandbox's port with the page's own name in ``Host``.
Every test here talks to a real sandbox on 127.0.0.1 and sends the ``Host`` an attacker's page
(or a confused client) would send, with :mod:`http.client` so the header goes out exactly as
written (an empty one, two of them, or none at all).
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from zen_nb import ZenClient, ZenConfig, local_sandbox
from zen_nb import sandbox as sandbox_pkg

from helpers import Api, admin_post, assert_error
from processes import CliSandbox, clean_env

REBOUND = "rebound.example"  # a name whose owner points it at 127.0.0.1


class Answer:
    """What :func:`send` got back, read as a ``requests.Response`` is: status, headers, text, JSON."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status_code = response.status
        self.headers = CaseInsensitiveDict(response.getheaders())
        self.text = response.read().decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.text)


def send(
    box: sandbox_pkg.Sandbox,
    path: str,
    hosts: list[str],
    method: str = "GET",
    token: str | None = None,
    body: dict[str, Any] | None = None,
) -> Answer:
    """``method path`` to ``box`` with exactly these ``Host`` headers (none when empty)."""
    connection = http.client.HTTPConnection("127.0.0.1", box.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for value in hosts:
            connection.putheader("Host", value)
        if token:
            connection.putheader("Authorization", f"Bearer {token}")
        data = json.dumps(body).encode() if body is not None else b""
        if body is not None:
            connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        return Answer(connection.getresponse())
    finally:
        connection.close()


def _error(answer: Answer, status: int, code: str) -> dict[str, Any]:
    """:func:`helpers.assert_error` for an :class:`Answer`."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    return assert_error(answer, status, code)  # type: ignore[arg-type] - the same attributes as a Response


FLOWS = "/tenants/tenant_demo/clusters/plane_dev_us_east_1/delivery-flows"
FLOW_BODY = {
    "name": "rebound-flow",
    "source": "ingester_stripe",
    "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
}


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("GET", "/health", None),
        ("GET", "/docs", None),
        ("GET", "/redoc", None),
        ("GET", "/openapi.json", None),
        ("GET", "/docs-assets/swagger-ui-bundle.js", None),
        ("GET", "/no/such/path", None),
        ("GET", "/tenants/tenant_demo", "demo"),
        ("GET", FLOWS, "demo"),
        ("POST", "/_sandbox/reset", "admin"),
        ("GET", "/_sandbox/delivery", "admin"),
    ],
)
def test_a_request_naming_another_host_is_a_403_on_every_path(api, method, path, who):
    token = {"demo": api.token, "admin": api.box.admin_token, None: None}[who]
    answer = send(api.box, path, [f"{REBOUND}:{api.box.port}"], method=method, token=token)
    error = _error(answer, 403, "host_not_allowed")
    assert f"'{REBOUND}:{api.box.port}'" in error["message"], error
    assert "--allow-host" in error["message"] and f"http://127.0.0.1:{api.box.port}" in error["message"], error
    assert api.token not in answer.text and api.box.admin_token not in answer.text


def test_a_refused_request_changes_nothing(api):
    kept = api.create_flow("kept-flow")
    assert kept.status_code == 201, kept.text
    created = send(api.box, FLOWS, [REBOUND], method="POST", token=api.token, body=FLOW_BODY)
    _error(created, 403, "host_not_allowed")
    reset = send(api.box, "/_sandbox/reset", [REBOUND], method="POST", token=api.box.admin_token)
    _error(reset, 403, "host_not_allowed")
    names = [flow["name"] for flow in api.all_pages("{plane}/delivery-flows")]
    assert names == ["kept-flow"]  # neither the create nor the reset ran


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "127.0.0.1",
        "localhost:{port}",
        "localhost",
        "LocalHost:{port}",
        "[::1]:{port}",
        "[::1]",
        "127.0.0.2:{port}",  # every 127/8 address is loopback
        "localhost:9999",  # a port forward (ssh -L, a container's -p) changes the port
        "localhost:",
    ],
)
def test_the_loopback_names_are_served_on_any_port(api, host):
    host = host.format(port=api.box.port)
    assert send(api.box, "/health", [host]).status_code == 200
    answer = send(api.box, "/tenants/tenant_demo", [host], token=api.token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == "tenant_demo"


@pytest.mark.parametrize(
    "host",
    [
        "localhost.",  # a trailing dot is a name the resolver is asked about
        "localhost.rebound.example",
        "127.0.0.1.nip.io",
        "0.0.0.0",
        "192.168.1.10:{port}",
        "[::2]:{port}",
        "::1",  # an IPv6 address without brackets is not a Host
        "",
        "localhost:abc",
        "localhost:{port}:1",
        "local host",
        "[::1",
        "[::1]x",
        "user@localhost",
        "%6Cocalhost",
        "x" * 5000,
        "ло\u043aalhost",
    ],
)
def test_look_alike_and_malformed_hosts_are_a_403_never_a_500(api, host):
    host = host.format(port=api.box.port)
    try:
        host.encode("latin-1")
    except UnicodeEncodeError:
        host = host.encode("utf-8").decode("latin-1")  # as the bytes of a UTF-8 name arrive
    answer = send(api.box, "/tenants/tenant_demo", [host], token=api.token)
    error = _error(answer, 403, "host_not_allowed")
    assert len(error["message"]) < 1000  # a long Host is cut short in the message


def test_a_second_host_header_cannot_smuggle_a_name_in(api):
    answer = send(api.box, "/tenants/tenant_demo", [f"127.0.0.1:{api.box.port}", REBOUND], token=api.token)
    assert answer.status_code in (400, 403), answer.text  # 403 from the allow-list, or 400 from the parser


def test_a_request_without_host_is_served(api):
    """HTTP/1.0 has no Host; no browser sends such a request, so nothing can be rebound."""
    with socket.create_connection(("127.0.0.1", api.box.port), timeout=30) as connection:
        connection.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received.split(b"\r\n", 1)[0].split(b" ")[1] == b"200", received[:200]


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_no_cors_header_is_ever_sent(api, method):
    headers = {
        "Origin": "http://rebound.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    response = api.request(method, "", headers=headers)
    assert not [name for name in response.headers if name.lower().startswith("access-control-")], response.headers
    refused = send(api.box, "/tenants/tenant_demo", [REBOUND], token=api.token)
    assert not [name for name in refused.headers if name.lower().startswith("access-control-")], refused.headers


def test_allow_hosts_adds_names_the_sandbox_answers_to():
    with sandbox_pkg.start(port=0, db=":memory:", allow_hosts=["trainer.example", "10.20.30.40"]) as box:
        for host in (f"trainer.example:{box.port}", "TRAINER.example", "10.20.30.40", f"127.0.0.1:{box.port}"):
            answer = send(box, "/tenants/tenant_demo", [host], token=box.token)
            assert answer.status_code == 200, (host, answer.text)
        error = _error(send(box, "/health", ["other.example"]), 403, "host_not_allowed")
        assert "trainer.example" in error["message"] and "10.20.30.40" in error["message"], error


@pytest.mark.parametrize("bad", ["trainer.example:80", "http://trainer.example", "0.0.0.0", "two words", ""])
def test_a_bad_allow_host_is_refused_before_anything_starts(bad):
    with pytest.raises(ValueError, match="not a host name|names no host"):
        sandbox_pkg.start(port=0, db=":memory:", allow_hosts=[bad])


def test_the_command_takes_allow_host_and_serves_it(tmp_path):
    args = ("--port", "0", "--db", ":memory:", "--allow-host", "trainer.example", "--allow-host", "[fd00::5]")
    with CliSandbox(*args, env=clean_env(tmp_path)) as box:
        token = {"Authorization": "Bearer zen_test_sandbox_demo_token"}
        url = f"{box.base_url}/tenants/tenant_demo"
        for host in (f"trainer.example:{box.port}", f"[fd00::5]:{box.port}", f"localhost:{box.port}"):
            assert requests.get(url, headers={**token, "Host": host}, timeout=30).status_code == 200, host
        refused = requests.get(url, headers={**token, "Host": REBOUND}, timeout=30)
        assert_error(refused, 403, "host_not_allowed")


def test_the_command_refuses_a_bad_allow_host_in_one_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zen_nb.cli",
            "sandbox",
            "--port",
            "0",
            "--db",
            ":memory:",
            "--allow-host",
            "x.example:80",
        ],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zen-nb sandbox: 'x.example:80' is not a host name"), done.stderr


def test_what_a_sandbox_bound_to_every_interface_serves():
    """Bound to 0.0.0.0 (not done here: tests bind loopback only), any address literal is served
    (a literal cannot be rebound; the room uses the machine's address), names only when allowed."""
    from zen_nb.sandbox.hosts import allowed_hosts, split_host

    every = allowed_hosts("0.0.0.0", ["trainer.local"])
    for host in ("192.168.1.5:8765", "10.0.0.1", "[fd00::1]:8765", "localhost", "trainer.local:8765"):
        assert every.allows(split_host(host)), host  # type: ignore[arg-type]
    assert not every.allows("rebound.example")
    one = allowed_hosts("10.0.0.5")
    assert one.allows("10.0.0.5") and one.allows("127.0.0.1") and not one.allows("10.0.0.6")
    assert allowed_hosts("").any_address and allowed_hosts("::").any_address


def test_the_kits_own_ways_in_still_reach_the_sandbox(api):
    """The kernel's link finds a sandbox by ``localhost`` too, and the client works through either name."""
    for base in (f"http://localhost:{api.box.port}", api.box.base_url):
        assert local_sandbox.is_sandbox(base)
        environ = {**api.box.env(), "ZEN_API_BASE": base}
        with ZenClient(ZenConfig(environ=environ)) as client:
            assert client.get_tenant().id == "tenant_demo"
    assert admin_post(api.box, "reset").status_code == 200
    assert Api(api.box).get().status_code == 200
