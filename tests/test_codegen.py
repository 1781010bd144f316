"""The flow form's "Show as code": the curl, Python and JavaScript it writes really create the flow.

Each snippet of :func:`zen_nb.codegen.flow_request_snippets` is run as the user would run it,
in a real process with the sandbox's ``ZEN_*`` in its environment: curl under ``bash -c``,
Python under ``sys.executable -c``, JavaScript as an ``.mjs`` file under ``node``. The flow
it creates must be the one the form itself would create (same source, target, status and
description), it must exist through the API afterwards, and running the same snippet again
must fail with the API's 409 body (the published recipe's Python would hide it).

To read the HTTP status of a success, one observing line is appended to the snippet
(``-w`` for curl, a ``print``/``console.log`` of the status for Python and JavaScript); the
409 runs use the snippets exactly as written. Besides the sandbox, one test uses a small
recording HTTP server on loopback: it sees exactly what each snippet puts on the wire (the
path with a trailing-slash ``ZEN_API_BASE``, the ``Authorization`` header, the body).

The token is never written into a snippet: it is read from ``$ZEN_API_TOKEN``,
``os.environ`` and ``process.env``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import zen_nb
from zen_nb.codegen import flow_request_snippets
from zen_nb.config import ZenConfig

from helpers import Api, serving
from shown_code import shown_code

LANGUAGES = ("curl", "python", "javascript")
DEV = "plane_dev_us_east_1"
PROD = "plane_prod_eu_west_1"
SOURCE = "ingester_stripe"
DEV_TARGET = "dest_http_orders_webhook"  # type http
PROD_TARGET = "dest_slack_eu_alerts"  # type slack, only on the other plane
# The brief's description: a single quote, double quotes, a backslash and non-ASCII.
DESCRIPTION = 'it\'s a "test" \\ café'
# Worse: shell and template syntax that must not be expanded, a newline, a tab, astral characters.
NASTY_DESCRIPTION = "$HOME `id` ${x} {y} %s '\"' \\n</script>\nline two\t— 日本 😀"
FLOW_FIELDS = ("name", "source", "target", "status", "description")

# One observing line per language, appended to read the HTTP status of a success.
STATUS_SUFFIX = {
    "curl": " -w '\\nHTTP %{http_code}'",
    "python": (
        "\nimport json as _json\nprint('JSON', _json.dumps(response.json()))\nprint('HTTP', response.status_code)\n"
    ),
    "javascript": '\nconsole.log("JSON " + JSON.stringify(data));\nconsole.log("HTTP " + response.status);\n',
}


# -- helpers ------------------------------------------------------------------------------------


def sandbox_client(env: dict[str, str]) -> Any:
    return zen_nb.ZenClient(ZenConfig(environ=env))


def build_form(
    client: Any, name: str, *, target: str = DEV_TARGET, description: str = "", plane: str | None = None
) -> Any:
    """A FlowForm filled in as a user would: plane (if not the default), name, source, target, description."""
    form = zen_nb.flow_form(client)
    if plane is not None:
        form.plane_picker.value = plane
    form.name_field.value = name
    form.source_picker.value = SOURCE
    form.target_picker.value = target
    form.description_field.value = description
    assert form.problem() is None, form.problem()
    return form


def form_snippets(form: Any, plane_id: str | None = None) -> dict[str, str]:
    """The snippets for the form's payload; the form's own "Show as code" must show exactly these."""
    snippets = flow_request_snippets(form.payload(), plane_id)
    shown = shown_code(form)
    for language in LANGUAGES:
        assert shown[language] == snippets[language], f"the form shows other {language} code"
    return snippets


def run_snippet(language: str, code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run one snippet as a user would, with ``env`` (the ZEN_* variables) added to the environment."""
    environ = {**os.environ, **env}
    if language == "curl":
        command = ["bash", "-c", code]
    elif language == "python":
        command = [sys.executable, "-c", code]
    else:
        script = tmp_path / "create_flow.mjs"
        script.write_text(code, encoding="utf-8")
        command = ["node", str(script)]
    return subprocess.run(
        command, env=environ, capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=tmp_path
    )


def run_observed(language: str, code: str, env: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """Run a snippet with its status-observing line: ``(HTTP status, JSON body)``; the run must succeed."""
    result = run_snippet(language, code + STATUS_SUFFIX[language], env, tmp_path)
    assert result.returncode == 0, f"{language} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    if language == "curl":
        body, _, status = result.stdout.rpartition("\nHTTP ")
        return int(status), json.loads(body)
    lines = result.stdout.splitlines()
    status = int(next(line for line in lines if line.startswith("HTTP ")).removeprefix("HTTP "))
    body = json.loads(next(line for line in lines if line.startswith("JSON ")).removeprefix("JSON "))
    if language == "python":  # the snippet's own print(response.json()) shows the same object
        assert ast.literal_eval(lines[0]) == body
    return status, body


def flow_fields(flow: dict[str, Any], **override: Any) -> dict[str, Any]:
    return {**{key: flow.get(key) for key in FLOW_FIELDS}, **override}


def form_created(form: Any) -> dict[str, Any]:
    """Create the form's flow through the form itself (the reference a snippet must match)."""
    form.create()
    assert form.created, form.result.value
    return form.created[-1]


# -- creating the form's flow in each language ---------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_snippet_creates_the_flow_the_form_would(language: str, sandbox: Any, api: Api, tmp_path: Path) -> None:
    env = sandbox.env()
    form = build_form(sandbox_client(env), "made-by-the-form", description="made from code")
    reference = form_created(form)
    name = f"made-by-{language}"
    form.name_field.value = name
    snippets = form_snippets(form)

    status, body = run_observed(language, snippets[language], env, tmp_path)

    assert status == 201
    assert body["id"].startswith("flow_") and body["id"] != reference["id"]
    assert set(body) == set(reference)
    assert flow_fields(body) == flow_fields(reference, name=name)
    assert flow_fields(body) == {
        "name": name,
        "source": SOURCE,
        "target": {"id": DEV_TARGET, "type": "http"},
        "status": "active",
        "description": "made from code",
    }
    stored = api.get(f"{{plane}}/delivery-flows/{body['id']}")
    assert stored.status_code == 200, stored.text
    assert stored.json() == body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_v1_clients_form_writes_the_v1_request_and_it_creates_the_flow(
    language: str, sandbox: Any, api: Api, tmp_path: Path
) -> None:
    env = {**sandbox.env(), "ZEN_API_BASE": sandbox.base_url + "/v1"}
    form = build_form(sandbox_client(env), f"v1-by-{language}", description="from v1 code")
    assert form.client.dialect.name == "v1"
    snippets = flow_request_snippets(form.payload(), form.plane_picker.value, dialect="v1")
    assert shown_code(form)[language] == snippets[language]  # the form shows the v1 request
    assert "/clusters/" not in snippets[language] and '"source_id"' in snippets[language]

    status, body = run_observed(language, snippets[language], env, tmp_path)

    assert status == 201
    assert (body["name"], body["source_id"], body["destination_id"]) == (f"v1-by-{language}", SOURCE, DEV_TARGET)
    assert (body["cluster_id"], body["description"]) == (form.plane_picker.value, "from v1 code")
    stored = api.get(f"{{plane}}/delivery-flows/{body['id']}")  # the same flow in the recipe form
    assert stored.status_code == 200 and stored.json()["name"] == f"v1-by-{language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_running_the_same_snippet_again_fails_with_the_409_body(
    language: str, sandbox: Any, api: Api, tmp_path: Path
) -> None:
    env = sandbox.env()
    form = build_form(sandbox_client(env), f"twice-by-{language}")
    code = form_snippets(form)[language]
    first = run_snippet(language, code, env, tmp_path)
    assert first.returncode == 0, first.stderr

    again = run_snippet(language, code, env, tmp_path)

    if language == "curl":
        assert again.returncode == 22, (again.returncode, again.stdout, again.stderr)
        error = json.loads(again.stdout)
        assert error["error"] == "ConflictError"
        assert error["status"] == 409 and error["code"] == "flow_name_conflict"
    elif language == "python":
        assert again.returncode != 0
        assert "409" in again.stdout + again.stderr
        assert "flow_name_conflict" in again.stderr
    else:
        assert again.returncode != 0
        assert "409" in again.stderr
        assert "flow_name_conflict" in again.stderr
    named = [flow for flow in api.all_pages("{plane}/delivery-flows") if flow["name"] == f"twice-by-{language}"]
    assert len(named) == 1


# -- the environment and the plane -------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_trailing_slash_on_the_api_base_still_works(language: str, sandbox: Any, api: Api, tmp_path: Path) -> None:
    env = {**sandbox.env(), "ZEN_API_BASE": sandbox.base_url + "/"}
    form = build_form(sandbox_client(sandbox.env()), f"slash-by-{language}")
    status, body = run_observed(language, form_snippets(form)[language], env, tmp_path)
    assert status == 201
    assert body["name"] == f"slash-by-{language}"
    assert api.get(f"{{plane}}/delivery-flows/{body['id']}").status_code == 200


class _Recorder(BaseHTTPRequestHandler):
    """Answers every POST with 201 and ``{}``, and keeps (path, headers, body) of each."""

    seen: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        answer = b'{"recorded": true}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    """A loopback HTTP server that records what each snippet sends."""
    with serving(_Recorder) as server:
        server.seen = []  # type: ignore[attr-defined]
        yield server


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_goes_on_the_wire_is_the_forms_request(
    language: str, sandbox: Any, api: Api, recorder: ThreadingHTTPServer, tmp_path: Path
) -> None:
    """With a trailing "/" on the base: one clean path, the environment's token, the form's exact body."""
    form = build_form(sandbox_client(sandbox.env()), f"wire-by-{language}", description=NASTY_DESCRIPTION)
    token = "zen_env_only_token_5f3a"
    env = {
        **sandbox.env(),
        "ZEN_API_BASE": f"http://127.0.0.1:{recorder.server_address[1]}/",
        "ZEN_API_TOKEN": token,
    }
    status, _ = run_observed(language, form_snippets(form)[language], env, tmp_path)
    assert status == 201
    [(path, headers, body)] = recorder.seen  # type: ignore[attr-defined]
    assert path == f"/tenants/{sandbox.tenant_id}/clusters/{DEV}/delivery-flows"
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body.decode("utf-8")) == form.payload()


@pytest.mark.parametrize("language", LANGUAGES)
def test_another_plane_is_written_into_the_code_and_works(
    language: str, sandbox: Any, api: Api, tmp_path: Path
) -> None:
    env = sandbox.env()  # ZEN_PLANE_ID stays the dev plane
    form = build_form(sandbox_client(env), "made-by-the-form", target=PROD_TARGET, plane=PROD)
    reference = form_created(form)
    name = f"eu-by-{language}"
    form.name_field.value = name
    snippets = form_snippets(form, plane_id=PROD)
    assert PROD in snippets[language]
    assert "ZEN_PLANE_ID" not in snippets[language]

    status, body = run_observed(language, snippets[language], env, tmp_path)

    assert status == 201
    assert flow_fields(body) == flow_fields(reference, name=name)
    assert body["target"] == {"id": PROD_TARGET, "type": "slack"}
    assert api.get(f"clusters/{PROD}/delivery-flows/{body['id']}").status_code == 200
    assert api.get(f"{{plane}}/delivery-flows/{body['id']}").status_code == 404


# -- descriptions that need quoting --------------------------------------------------------------


@pytest.mark.parametrize("description", [DESCRIPTION, NASTY_DESCRIPTION], ids=["quotes", "nasty"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_description_with_quotes_backslash_and_non_ascii_survives_exactly(
    language: str, description: str, sandbox: Any, api: Api, tmp_path: Path
) -> None:
    env = sandbox.env()
    form = build_form(sandbox_client(env), f"quoted-by-{language}", description=description)
    assert form.payload()["description"] == description

    status, body = run_observed(language, form_snippets(form)[language], env, tmp_path)

    assert status == 201
    assert body["description"] == description
    assert api.get(f"{{plane}}/delivery-flows/{body['id']}").json()["description"] == description


@pytest.mark.parametrize("description", [DESCRIPTION, "party \U0001f389 — 日本"], ids=["quotes", "astral"])
def test_the_python_snippets_payload_is_the_forms_payload(description: str, sandbox: Any) -> None:
    """The dict the user reads (and may print or edit) in the Python snippet is the form's payload, exactly.

    A character outside the BMP must be itself in the Python literal, not the two lone surrogates
    of JSON's ``\\ud83c\\udf89`` (which only happen to be re-joined by requests on the way out).
    """
    form = build_form(sandbox_client(sandbox.env()), "payload-literal", description=description)
    tree = ast.parse(flow_request_snippets(form.payload())["python"])
    [assignment] = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["payload"]
    ]
    assert ast.literal_eval(assignment.value) == form.payload()


# -- the token and the code itself ---------------------------------------------------------------


def test_the_demo_token_is_never_in_a_snippet(sandbox: Any, api: Api) -> None:
    form = build_form(sandbox_client(sandbox.env()), "token-check", description="token check")
    snippets = form_snippets(form)
    for language in LANGUAGES:
        assert sandbox.token not in snippets[language]
    assert sandbox.token not in form.code.value
    assert '"Authorization: Bearer $ZEN_API_TOKEN"' in snippets["curl"]
    assert 'os.environ["ZEN_API_TOKEN"]' in snippets["python"]
    assert "process.env.ZEN_API_TOKEN" in snippets["javascript"]


def test_a_tenants_own_token_is_never_in_a_snippet(sandbox: Any, new_tenant: Any) -> None:
    tenant = new_tenant()
    token = tenant.session.headers["Authorization"].removeprefix("Bearer ")
    env = {**sandbox.env(), "ZEN_API_TOKEN": token, "ZEN_TENANT_ID": tenant.tenant_id}
    form = build_form(sandbox_client(env), "tenant-token-check")
    for plane_id in (None, PROD):
        snippets = flow_request_snippets(form.payload(), plane_id)
        for language in LANGUAGES:
            assert token not in snippets[language]
            assert token[-12:] not in snippets[language]
    form_snippets(form)
    assert token not in form.code.value


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_snippet_uses_the_token_of_its_environment(language: str, sandbox: Any, api: Api, tmp_path: Path) -> None:
    """A wrong $ZEN_API_TOKEN makes the snippet fail with 401: the token comes from the environment."""
    form = build_form(sandbox_client(sandbox.env()), f"wrong-token-{language}")
    env = {**sandbox.env(), "ZEN_API_TOKEN": "zen_not_a_valid_token"}
    result = run_snippet(language, form_snippets(form)[language], env, tmp_path)
    assert result.returncode != 0
    assert "401" in result.stdout + result.stderr
    assert not [flow for flow in api.all_pages("{plane}/delivery-flows") if flow["name"] == f"wrong-token-{language}"]


@pytest.mark.parametrize("description", ["", DESCRIPTION, NASTY_DESCRIPTION], ids=["none", "quotes", "nasty"])
@pytest.mark.parametrize("plane_id", [None, PROD], ids=["env-plane", "literal-plane"])
def test_the_python_compiles_and_the_javascript_passes_node_check(
    description: str, plane_id: str | None, tmp_path: Path
) -> None:
    payload: dict[str, Any] = {"name": "syntax-check", "source": SOURCE, "target": {"id": DEV_TARGET, "type": "http"}}
    if description:
        payload["description"] = description
    snippets = flow_request_snippets(payload, plane_id)
    compile(snippets["python"], "<python snippet>", "exec")
    script = tmp_path / "check.mjs"
    script.write_text(snippets["javascript"], encoding="utf-8")
    checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    syntax = subprocess.run(["bash", "-n", "-c", snippets["curl"]], capture_output=True, text=True, timeout=60)
    assert syntax.returncode == 0, syntax.stderr
