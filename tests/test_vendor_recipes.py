"""The vendor's sibling recipes (Create a Target, List Planes, Handle Errors) run against a sandbox, as fixed.

The snippets are not copied here: each is read from the recipe notebook that shows it, the code
cell tagged ``vendor:<recipe>:<snippet>``, so what a reader runs and what is tested cannot drift
apart. A curl snippet (``%%bash``) runs in ``bash``, a JavaScript one (``%%script node``) in Node,
a Python one by ``exec`` with the ``ZEN_*`` variables of the sandbox's demo tenant; each answer is
checked for the shape the vendor's page shows (its keys, status words and error fields), and a
target's secrets for never reaching what a snippet prints. The published snippets' own bugs are
put back once, to show that the fixes are needed (the published JavaScript does not even parse).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests

from zen_nb import sandbox as sandbox_pkg

from helpers import Api

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CREATE_TARGET = "01-create-a-target.ipynb"
ERRORS = "05-common-errors.ipynb"
LIST_PLANES = "08-list-planes-and-inspect-a-plane.ipynb"
MASK = "<hidden>"  # what the snippets print for a secret (zen_nb.secrets.MASK, and the sed and JS filters)
# The recipe's fields of a new target, and of a plane (the pages' "Expected Response Shape").
TARGET_FIELDS = {"id", "name", "type", "status", "createdAt", "config"}
PLANE_FIELDS = {"id", "name", "status", "createdAt"}
SNIPPET_TIMEOUT = 60


# -- reading and running the snippets --------------------------------------------------------------


def snippet(notebook: str, name: str) -> str:
    """The source of the one code cell of ``notebook`` tagged ``vendor:<name>``."""
    cells = [
        cell
        for cell in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
        if f"vendor:{name}" in cell.metadata.get("tags", [])
    ]
    assert len(cells) == 1, f"{notebook}: {len(cells)} cells tagged vendor:{name}"
    return cells[0].source


def run_shell(source: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A ``%%bash`` or ``%%script node`` cell, run as the cell magic runs it; the finished process."""
    magic, _, body = source.partition("\n")
    if magic == "%%bash":
        command = ["bash", "-c", body]
    elif magic.startswith("%%script node"):
        command = ["node", *magic.split()[2:]]
    else:
        raise AssertionError(f"not a shell cell: {magic!r}")
    stdin = body if command[0] == "node" else None
    return subprocess.run(
        command, input=stdin, env=env, capture_output=True, text=True, timeout=SNIPPET_TIMEOUT, check=False
    )


def run_python(source: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], str]:
    """A Python cell, run by ``exec`` with ``env`` in ``os.environ``; its namespace and what it printed."""
    assert not source.startswith("%"), source.splitlines()[0]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, Any] = {"__name__": "__recipe__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, "<recipe snippet>", "exec"), namespace)  # noqa: S102 - the recipe's own code
    return namespace, printed.getvalue()


def json_lines(text: str) -> list[Any]:
    """Every line of ``text`` that is a JSON object, parsed."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def stripe_secrets() -> dict[str, str]:
    """A Stripe config of unique made-up secrets, as the notebook makes them on a local sandbox."""
    return {"apiKey": f"sk_test_{uuid.uuid4().hex}", "webhookSecret": f"whsec_{uuid.uuid4().hex}"}


@pytest.fixture
def env(api: Api, stripe_secrets: dict[str, str]) -> dict[str, str]:
    """The environment of a recipe user: the five ``ZEN_*`` of the demo tenant (just reset) and the Stripe secrets."""
    return {
        **os.environ,
        **api.box.env(),
        "STRIPE_API_KEY": stripe_secrets["apiKey"],
        "STRIPE_WEBHOOK_SECRET": stripe_secrets["webhookSecret"],
    }


def assert_no_secret(text: str, secrets: dict[str, str]) -> None:
    for value in secrets.values():
        assert value not in text, "a secret reached the output"


# -- Create a Target -------------------------------------------------------------------------------


def assert_new_target(body: dict[str, Any], name: str) -> None:
    """``body`` is the recipe's answer to a create, its secrets masked."""
    assert TARGET_FIELDS <= set(body), body
    assert body["id"].startswith("dest_")
    assert (body["name"], body["type"], body["status"]) == (name, "stripe", "provisioning")
    assert body["config"] == {"apiKey": MASK, "webhookSecret": MASK}


def test_create_a_target_with_curl_creates_it_then_meets_the_recipes_409(env, stripe_secrets):
    source = snippet(CREATE_TARGET, "create-target:curl")
    assert source == snippet(CREATE_TARGET, "create-target:curl-again")  # the notebook runs the same command twice

    first = run_shell(source, env)
    assert first.returncode == 0, first.stderr
    assert_no_secret(first.stdout + first.stderr, stripe_secrets)
    [body] = json_lines(first.stdout)
    assert_new_target(body, "stripe-productions-destination")
    assert first.stdout.rstrip().splitlines()[-2:] == ["HTTP 201", "curl exit status: 0"]

    again = run_shell(source, env)
    [error] = json_lines(again.stdout)
    assert {"error", "message", "request_id"} <= set(error)  # the recipe family's error body
    assert (error["error"], error["code"], error["status"]) == ("ConflictError", "target_name_conflict", 409)
    assert error["request_id"].startswith("req_")
    assert again.stdout.rstrip().splitlines()[-2:] == ["HTTP 409", "curl exit status: 22"]


def test_create_a_target_in_python_gets_the_secrets_echoed_and_prints_them_masked(env, stripe_secrets, monkeypatch):
    namespace, printed = run_python(snippet(CREATE_TARGET, "create-target:python"), env, monkeypatch)
    response = namespace["response"]
    assert response.status_code == 201
    assert response.json()["config"] == stripe_secrets  # the API echoes them, as the vendor's does
    assert_no_secret(printed, stripe_secrets)
    assert_new_target(ast.literal_eval(printed), "stripe-productions-destination-python")


def test_create_a_target_in_javascript_runs_with_node_and_prints_the_answer_masked(env, stripe_secrets):
    done = run_shell(snippet(CREATE_TARGET, "create-target:js"), env)
    assert done.returncode == 0, done.stderr
    assert_no_secret(done.stdout + done.stderr, stripe_secrets)
    assert_new_target(json.loads(done.stdout), "stripe-productions-destination-js")


def test_the_verify_step_lists_destinations_which_become_active(env, api):
    for name in ("curl", "js"):
        assert run_shell(snippet(CREATE_TARGET, f"create-target:{name}"), env).returncode == 0
    verify = snippet(CREATE_TARGET, "create-target:verify")

    def listed() -> list[str]:
        done = run_shell(verify, env)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    lines = listed()
    assert lines[0] == "keys: ['destinations', 'hasMore', 'nextCursor', 'total']"  # the resource-named key, no "data"
    assert sorted(line.split()[-1] for line in lines[1:]) == [
        "stripe-productions-destination",
        "stripe-productions-destination-js",
    ]
    deadline = time.monotonic() + 20
    while any(line.startswith("provisioning ") for line in lines[1:]) and time.monotonic() < deadline:
        time.sleep(0.2)
        lines = listed()
    assert [line.split()[:2] for line in lines[1:]] == [["active", "stripe"]] * 2


@pytest.mark.parametrize(
    ("notebook", "name"),
    [(CREATE_TARGET, "create-target:js"), (LIST_PLANES, "list-planes:js")],
)
def test_the_published_javascript_does_not_parse_and_the_fixed_one_does(env, notebook, name):
    fixed = snippet(notebook, name)
    published = fixed.replace(r'replace(/\/+$/, "")', r'replace(/\//$/, "")')
    if notebook == CREATE_TARGET:
        published = published.replace("process.env.ZEN_TENANT_ID;", 'process.env.ZEN_TENANT_ID";')
    assert published != fixed
    broken = run_shell(published, env)
    assert broken.returncode != 0 and "SyntaxError" in broken.stderr
    assert run_shell(fixed, env).returncode == 0


# -- List Planes and Inspect Adapters --------------------------------------------------------------


def assert_planes(body: dict[str, Any], api: Api) -> None:
    assert "data" not in body
    planes = body["clusters"]
    assert api.plane_id in [plane["id"] for plane in planes]
    for plane in planes:
        assert PLANE_FIELDS <= set(plane), plane
        assert plane["status"] == "ready"


def test_list_planes_in_curl_python_and_javascript_answers_clusters(env, api, monkeypatch):
    curl = run_shell(snippet(LIST_PLANES, "list-planes:curl"), env)
    assert curl.returncode == 0, curl.stderr
    assert_planes(json.loads(curl.stdout), api)

    namespace, printed = run_python(snippet(LIST_PLANES, "list-planes:python"), env, monkeypatch)
    assert_planes(namespace["response"].json(), api)
    assert ast.literal_eval(printed) == namespace["response"].json()

    node = run_shell(snippet(LIST_PLANES, "list-planes:js"), env)
    assert node.returncode == 0, node.stderr
    assert_planes(json.loads(node.stdout), api)


@pytest.mark.parametrize(
    ("name", "key", "first"),
    [
        ("ingesters", "ingesters", "ingester_stripe"),
        ("destinations", "destinations", "dest_stripe_prod_us_east_1"),
        ("flows", "deliveryFlows", None),
    ],
)
def test_inspecting_a_plane_lists_its_ingesters_destinations_and_flows(env, api, name, key, first):
    if first is None:  # the demo tenant starts with no flow: make one to be listed
        assert api.create_flow("inspected-flow").status_code == 201
        first = next(flow["id"] for flow in api.get("{plane}/delivery-flows").json()["deliveryFlows"])
    done = run_shell(snippet(LIST_PLANES, f"list-planes:{name}"), env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{key} hasMore: False"
    assert first in [line.split()[0] for line in lines[1:]]


def test_a_wrong_token_and_a_wrong_plane_are_the_list_recipes_401_and_404(env, api):
    wrong = run_shell(snippet(LIST_PLANES, "list-planes:curl"), {**env, "ZEN_API_TOKEN": "not-a-valid-token"})
    body = json.loads(wrong.stdout)
    assert (body["error"], body["status"]) == ("Unauthorized", 401)
    nowhere = run_shell(snippet(LIST_PLANES, "list-planes:ingesters"), {**env, "ZEN_PLANE_ID": "plane_nowhere"})
    assert nowhere.returncode != 0  # the summary finds no list in a 404's body
    response = api.get("clusters/plane_nowhere/ingesters")
    assert (response.status_code, response.json()["error"]) == (404, "NotFoundError")


# -- Handle Errors and Rate Limits -----------------------------------------------------------------


def test_the_error_body_is_read_as_the_page_reads_it(env, monkeypatch):
    namespace, printed = run_python(snippet(ERRORS, "errors:format"), env, monkeypatch)
    body = namespace["body"]
    assert namespace["response"].status_code == 404
    assert {"error", "message", "request_id"} <= set(body)
    assert body["error"] == "NotFoundError"
    assert printed.splitlines() == [
        "404 NotFoundError",
        f"message:    {body['message']}",
        f"request_id: {body['request_id']}",
    ]


@pytest.mark.parametrize(
    ("status", "error_type", "send"),
    [
        (401, "Unauthorized", lambda api: requests.get(api.url("clusters"), headers={"Authorization": "Bearer x"})),
        (403, "ForbiddenError", lambda api: api.session.get(f"{api.base_url}/tenants/tenant_neighbour/clusters")),
        (404, "NotFoundError", lambda api: api.get("clusters/plane_dev_us_east_2")),
        (409, "ConflictError", lambda api: api.post("{plane}/destinations", json={"name": "audit-log", "type": "s3"})),
    ],
)
def test_each_status_the_page_names_has_its_error_type(api, status, error_type, send):
    response = send(api)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error_type
    assert body["message"] and body["request_id"] == response.headers["X-Request-Id"]


def test_the_health_check_answers_without_a_token_and_the_token_check_tells_a_bad_one(env):
    source = snippet(ERRORS, "errors:health")
    good = run_shell(source, env)
    assert good.returncode == 0, good.stderr
    health, *_ = json_lines(good.stdout)
    assert health["status"] == "ok"
    assert good.stdout.splitlines()[-2:] == ["HTTP 200", "with the token: HTTP 200"]
    bad = run_shell(source, {**env, "ZEN_API_TOKEN": "not-a-valid-token"})
    assert bad.stdout.splitlines()[-2:] == ["HTTP 200", "with the token: HTTP 401"]


def test_the_404_fix_and_the_batching_tip_list_the_planes(env, api, monkeypatch):
    listed = run_shell(snippet(ERRORS, "errors:list-planes"), env)
    assert listed.returncode == 0, listed.stderr
    planes = ast.literal_eval(listed.stdout)
    assert api.plane_id in planes
    _, printed = run_python(snippet(ERRORS, "errors:batching"), env, monkeypatch)
    assert printed.split() == planes


@pytest.fixture
def limited():
    """A sandbox of its own that allows 3 requests per 2 seconds (fixed windows), stopped afterwards."""
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(3, 2)) as box:
        yield box


def use_up_the_limit(box: sandbox_pkg.Sandbox, seconds_left: float = 1.0) -> requests.Response:
    """Requests until one is a 429 with at least ``seconds_left`` of its window to go (as the notebook's helper)."""
    url = f"{box.base_url}/tenants/{box.tenant_id}/clusters"
    while True:
        response = requests.get(url, headers={"Authorization": f"Bearer {box.token}"}, timeout=30)
        if response.status_code == 429:
            left = int(response.headers["X-RateLimit-Reset"]) - time.time()
            if left >= seconds_left:
                return response
            time.sleep(max(left, 0))


def test_429_is_a_rate_limit_error_with_retry_after_and_the_fixed_curl_finds_the_header(limited, env):
    too_many = use_up_the_limit(limited, seconds_left=1.5)
    body = too_many.json()
    assert (body["error"], body["status"]) == ("RateLimitError", 429)
    assert 1 <= int(too_many.headers["Retry-After"]) <= 2
    source = snippet(ERRORS, "errors:retry-after")
    use_up_the_limit(limited, seconds_left=1.5)
    limited_env = {
        **env,
        "LIMITED_API_BASE": limited.base_url,
        "LIMITED_API_TOKEN": limited.token,
        "LIMITED_TENANT_ID": limited.tenant_id,
    }
    done = run_shell(source, limited_env)
    assert done.stdout.strip().lower() == "retry-after", done.stdout + done.stderr


@pytest.mark.parametrize("name", ["fetch_with_retry", "exponential_backoff_retry"])
def test_the_pages_retry_functions_wait_for_the_limit_and_raise_what_retrying_cannot_cure(
    limited, env, monkeypatch, name
):
    tag = {"fetch_with_retry": "errors:fetch-with-retry", "exponential_backoff_retry": "errors:exponential-backoff"}
    namespace, _ = run_python(snippet(ERRORS, tag[name]), env, monkeypatch)
    retrying = namespace[name]
    url = f"{limited.base_url}/tenants/{limited.tenant_id}/clusters"
    headers = {"Authorization": f"Bearer {limited.token}"}
    statuses: list[int] = []  # every answer the function got, in order
    send = requests.get

    def recorded(*args: Any, **kwargs: Any) -> requests.Response:
        response = send(*args, **kwargs)
        statuses.append(response.status_code)
        return response

    monkeypatch.setattr(requests, "get", recorded)

    use_up_the_limit(limited, seconds_left=1.5)
    statuses.clear()
    assert retrying(url, headers).status_code == 200
    assert statuses == [429, 200]  # it waited for the next window, as Retry-After said, then got in

    use_up_the_limit(limited, seconds_left=1.5)
    statuses.clear()
    with pytest.raises(requests.HTTPError) as raised:  # the published code returned None here
        retrying(url, headers, max_retries=0)
    assert raised.value.response.status_code == 429

    time.sleep(2.1)  # a fresh window: the 404 below is not a 429
    statuses.clear()
    with pytest.raises(requests.HTTPError) as raised:
        retrying(f"{url}/plane_nowhere", headers)
    assert raised.value.response.status_code == 404
    assert statuses == [404]  # sent once (the published fetch_with_retry sent it again at once: that cannot cure a 404)


# -- what the notebooks keep -----------------------------------------------------------------------

MADE_UP_SECRET = re.compile(r"\b(sk_test_|whsec_)[0-9a-f]{32}\b")


def test_the_saved_create_a_target_recipe_shows_every_echoed_secret_masked():
    notebook = nbformat.read(NOTEBOOKS / CREATE_TARGET, as_version=4)
    text = (NOTEBOOKS / CREATE_TARGET).read_text()
    assert not MADE_UP_SECRET.search(text), "a secret the notebook made is in its saved file"
    for name in ("curl", "python", "js"):
        [cell] = [c for c in notebook.cells if f"vendor:create-target:{name}" in c.metadata.get("tags", [])]
        printed = "".join(output.get("text", "") for output in cell.outputs)
        assert printed.count(MASK) == 2, f"{name}: the saved answer does not show apiKey and webhookSecret masked"
