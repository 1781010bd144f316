"""While faults fire, no token shows anywhere the kit writes or shows: a unique token searched for, zero hits.

Issue 17, reliability item 5. A failing API is when a kit shows the most of itself: errors with
their fixes and details, retries logged at debug level, a form's error state, a traceback saved in
a notebook. Each is a place a token can slip into (a header copied into a message, a config in a
repr, a field's value kept in a widget's state, an argument in a log line), and a notebook saved
with it is shared on screen or pushed to a repository.

So a tenant is made through ``/_sandbox/tenants`` on a sandbox of this module's own, with an admin
token of its own, both unique to the run; every kind of fault fires on that tenant's requests
(503, 429, 500, 4xx, a dropped connection, a lost answer after the commit, a read time-out); and
everything the kit shows meanwhile is gathered and searched for either token (and for their random
tails, so a partial mask that leaves most of one showing is caught too):

- errors: ``str``, ``repr``, ``_repr_html_``, the fix, the details, IPython's short block and
  pretty form, the whole chained traceback as plain Python prints it;
- every log record of every logger at DEBUG (urllib3's retries included), and what was printed;
- reprs and HTML of the client, its configuration, the sandbox, fault rules, objects and frames;
- the setup form and the flow form after their clicks met faults: ``get_state()`` of every live
  widget, and ``ipywidgets.embed.embed_data``; the flow form's code ("Show as code");
- ``%zen_flows`` under a fault, in an IPython shell;
- a notebook run by nbclient in a real kernel against the faulted sandbox, saved with
  ``nbformat.write`` (outputs and widget state), read back as text;
- a ``zen-nb sandbox`` process's own stdout and stderr while faults fire on its traffic.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import nbformat
import pytest
import requests
from IPython.lib.pretty import pretty
from ipywidgets.embed import embed_data
from ipywidgets.widgets.widget import _instances as live_widgets

import zen_nb
from zen_nb import ZenClient, ZenConfig
from zen_nb import sandbox as sandbox_pkg
from zen_nb.errors import ZenError
from zen_nb.frames import load_flows
from zen_nb.transport import PAGE_RESUMES

from processes import CliSandbox, clean_env, lab_env
from reliability import new_tenant_env

FLOWS = "/tenants/*/clusters/*/delivery-flows"
TARGET = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
ADMIN_TOKEN = "zen_sandbox_admin_" + secrets.token_hex(20)


# -- the search ------------------------------------------------------------------------------------


def needles(*tokens: str) -> list[str]:
    """Each token, and its last 16 characters (its random part), so that a partial mask is a hit too."""
    return [piece for token in tokens for piece in (token, token[-16:])]


def hits(shown: Iterable[str], tokens: list[str]) -> list[str]:
    """Each place a token shows: the text around it, for the failure message."""
    found = []
    for text in shown:
        for token in tokens:
            at = text.find(token)
            if at >= 0:  # the failure message shows where, with every token masked (CI logs are shown too)
                found.append(masked(text[max(0, at - 80) : at + len(token) + 40], tokens))
    return found


def masked(text: str, tokens: list[str]) -> str:
    for token in sorted(tokens, key=len, reverse=True):
        text = text.replace(token, "<a token>")
    return text


def shown_error(error: BaseException) -> list[str]:
    """Everything an error shows, in a notebook and in plain Python."""
    texts = [str(error), repr(error), pretty(error), "".join(traceback.format_exception(error))]
    if isinstance(error, ZenError):
        texts += [error.message, error.fix, error._repr_html_(), "\n".join(error._render_traceback_())]
        texts += [str(detail) for detail in error._details()]
        texts.append(json.dumps(getattr(error, "body", None), default=repr))
    return texts


def shown_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record as a handler would write it, and its raw parts (a formatter may show them all)."""
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.msg), record.exc_text or ""]
    return texts


def widget_states(*views: ipywidgets.Widget) -> list[str]:
    """What a front end or a saved notebook receives of the widgets: every live widget's state, and the embed data."""
    states = [json.dumps(widget.get_state(), default=repr) for widget in list(live_widgets.values())]
    states.append(json.dumps(embed_data(views=list(views)), default=repr))
    return states


# -- a sandbox and a tenant of this module's own ----------------------------------------------------


@pytest.fixture(scope="module")
def box() -> Iterator[sandbox_pkg.Sandbox]:
    """A sandbox of this module's own (fault rules are global to a sandbox), with an admin token of this run."""
    with sandbox_pkg.start(port=0, db=":memory:", admin_token=ADMIN_TOKEN, rate_limit=(1_000_000, 1)) as started:
        yield started


@pytest.fixture(scope="module")
def tenant(box: sandbox_pkg.Sandbox) -> dict[str, str]:
    """A tenant made through ``/_sandbox/tenants``, whose token only this test knows: its five ``ZEN_*``."""
    made = new_tenant_env(box.base_url, ADMIN_TOKEN)
    assert made["ZEN_API_TOKEN"] not in ("", box.token)
    return made


@pytest.fixture
def tokens(tenant: dict[str, str]) -> list[str]:
    return needles(tenant["ZEN_API_TOKEN"], ADMIN_TOKEN)


def fault(tenant: dict[str, str], **rule: Any) -> dict[str, Any]:
    """A rule on this tenant's requests only, repeatable (seeded), paced by urllib3's backoff (Retry-After 0)."""
    if rule.get("status") in (429, 503):
        rule.setdefault("retry_after_seconds", 0)
    return {"tenant": tenant["ZEN_TENANT_ID"], "seed": 17, **rule}


def raised(box: sandbox_pkg.Sandbox, rules: list[dict[str, Any]], call: Any) -> ZenError:
    """The error ``call()`` raises while ``rules`` are in force; the rules must have fired."""
    with box.faults(*rules) as rules_in_force:
        with pytest.raises(ZenError) as caught:
            call()
        assert rules_in_force.hits > 0
    return caught.value


# -- in this process: errors, logs, reprs, frames, forms ----------------------------------------------


def test_no_token_in_errors_logs_reprs_or_frames_while_every_kind_of_fault_fires(box, tenant, tokens, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # the root logger: urllib3's retry lines and everyone's debug lines
    config = ZenConfig(environ=tenant)
    shown: list[str] = []
    with (
        ZenClient(config) as client,
        ZenClient(config, retry=0) as once,
        ZenClient(config, retry=0, timeout=0.5) as hasty,
    ):
        tenant_path = f"/tenants/{tenant['ZEN_TENANT_ID']}"
        errors = [
            # Retried until the retries ran out: the default client, as a user builds it.
            raised(box, [fault(tenant, status=503, methods=["GET"], path=tenant_path, count=5)], client.get_tenant),
            raised(box, [fault(tenant, drop=True, methods=["GET"], path=tenant_path, count=5)], client.get_tenant),
            # A list page is called again PAGE_RESUMES times after its tries: every call meets the 429.
            raised(
                box, [fault(tenant, status=429, methods=["GET"], path=FLOWS, count=1 + PAGE_RESUMES)], once.list_flows
            ),
            raised(
                box,
                [fault(tenant, status=500, methods=["POST"], path=FLOWS, count=1)],
                lambda: once.create_flow("f-500", "ingester_stripe", TARGET),
            ),
            raised(box, [fault(tenant, latency_ms=3000, methods=["GET"], path=tenant_path, count=1)], hasty.get_tenant),
        ]
        for status in (400, 401, 403, 404, 409, 502, 504):
            rule = fault(tenant, status=status, methods=["GET"], path=tenant_path, count=1)
            errors.append(raised(box, [rule], once.get_tenant))
        assert {type(error).__name__ for error in errors} >= {"ServerError", "ZenConnectionError", "RateLimitedError"}
        for error in errors:
            shown += shown_error(error)

        # Faults the client survives: what it returns then is shown too.
        survived = [
            fault(tenant, status=503, methods=["POST"], path=FLOWS, count=2),
            fault(tenant, after_commit=True, drop=True, methods=["POST"], path=FLOWS, count=3, probability=0.5),
            fault(tenant, status=503, methods=["GET"], probability=0.3),
            fault(tenant, latency_ms=5, latency_spread_ms=20, probability=1.0),
        ]
        with box.faults(*survived) as rules_in_force:
            flows = [client.create_flow(f"shown-{n}", "ingester_stripe", TARGET) for n in range(4)]
            frame = load_flows(client)
            objects = [client.get_tenant(), client.get_plane(), *flows, client.list_flows()]
            assert rules_in_force.hits > 0
            shown += [repr(rules_in_force), repr(box)]
        shown += [repr(client), str(client), repr(config), str(config), pretty(config), pretty(client)]
        shown += [frame.to_string(), frame.to_html(), repr(frame)]
        for item in objects:
            shown += [repr(item), str(item), pretty(item), getattr(item, "_repr_html_", lambda: "")() or ""]

    shown += shown_logs(caplog)
    printed = capsys.readouterr()
    shown += [printed.out, printed.err]
    assert any("Retry" in record.getMessage() for record in caplog.records), "urllib3's retries were not logged"
    assert hits(shown, tokens) == []


def test_no_token_in_the_forms_states_or_their_code_after_clicks_that_met_faults(box, tenant, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    environ = {name: value for name, value in tenant.items() if name != "ZEN_API_TOKEN"}
    setup = zen_nb.SetupForm(environ=environ)
    setup.token_field.value = tenant["ZEN_API_TOKEN"]  # what the front end sends once the user types it
    tenant_path = f"/tenants/{tenant['ZEN_TENANT_ID']}"
    for status in (500, 401, 503):
        with box.faults(fault(tenant, status=status, methods=["GET"], path=tenant_path, count=1)) as rule:
            setup.check_connection()
            assert rule.hits == 1
            assert "Check connection" in setup.status.value or str(status) in setup.status.value
    setup.check_connection()
    assert "Connected to" in setup.status.value
    shown = widget_states(setup)  # typed and checked, not applied: the token is the form's, not the kernel's yet
    setup.apply()
    assert environ["ZEN_API_TOKEN"] == tenant["ZEN_API_TOKEN"]

    with ZenClient(ZenConfig(environ=tenant)) as client:
        form = zen_nb.FlowForm(client)
        form.code_toggle.value = True  # Show as code
        rules = [fault(tenant, status=503, methods=["POST"], path=FLOWS, count=5)]
        form.name_field.value = "form-under-faults"
        with box.faults(*rules) as rule:
            form.create()
            assert rule.hits == 5
        assert "ServerError" in form.result.value or "Unavailable" in form.result.value, form.result.value
        with box.faults(fault(tenant, after_commit=True, drop=True, methods=["POST"], path=FLOWS, count=1)) as rule:
            form.create()
            assert rule.hits == 1
        assert "Created flow" in form.result.value, form.result.value
        shown += widget_states(setup, form)
        shown += [repr(setup), repr(form), *form._snippets().values(), repr(form.code.get_state())]
    shown += shown_logs(caplog)
    assert hits(shown, tokens) == []


def test_no_token_in_what_zen_flows_shows_under_a_fault(box, tenant, tokens, shell, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    for name, value in tenant.items():
        monkeypatch.setenv(name, value)
    shell.run_line_magic("load_ext", "zen_nb")
    with box.faults(fault(tenant, status=500, methods=["GET"], path=FLOWS, count=1)) as rule:
        failed = shell.run_cell("%zen_flows")
        assert rule.hits == 1
    assert isinstance(failed.error_in_exec, ZenError)
    with box.faults(fault(tenant, status=503, methods=["GET"], path=FLOWS, count=2)):
        listed = shell.run_cell("%zen_flows")
    assert listed.error_in_exec is None
    printed = capsys.readouterr()
    shown = [printed.out, printed.err, *shown_error(failed.error_in_exec), listed.result.to_string()]
    shown += shown_logs(caplog)
    assert "ServerError" in printed.out
    assert hits(shown, tokens) == []


# -- a notebook, run and saved ----------------------------------------------------------------------

NOTEBOOK_CELLS = [
    # Every logger at DEBUG into the cell's output, as a user chasing a failure would set it.
    "import logging\nlogging.basicConfig(level=logging.DEBUG, force=True)\n"
    "import zen_nb\nclient = zen_nb.ZenClient()\nclient",
    "client.config",
    "client.get_tenant()  # the first GET of the tenant is a 500",
    "client.list_flows()  # two 503s, retried",
    "client.create_flow('notebook-flow', 'ingester_stripe', {'id': 'dest_stripe_prod_us_east_1', 'type': 'stripe'})",
    "%load_ext zen_nb\n%zen_flows",
    "zen_nb.FlowForm(client)",
    "zen_nb.SetupForm()",
]


def run_and_save(cells: list[str], path: Path, env: dict[str, str]) -> str:
    """Run the cells in a real kernel on this interpreter (as nbval does), save the notebook with its
    widget state, and return the file's text."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    notebook.cells[2].metadata["tags"] = ["raises-exception"]
    kernel = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    runner = NotebookClient(notebook, km=kernel, timeout=120, store_widget_state=True, allow_errors=False)
    try:
        runner.execute(env=env, cwd=str(path.parent))
    finally:
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
    nbformat.write(notebook, path)
    return path.read_text()


def test_no_token_in_a_notebook_run_against_the_faulted_sandbox_and_saved(box, tenant, tokens, tmp_path):
    env = {**os.environ, **lab_env(tmp_path), **tenant}
    tenant_path = f"/tenants/{tenant['ZEN_TENANT_ID']}"
    rules = [
        fault(tenant, status=500, methods=["GET"], path=tenant_path, count=1),
        fault(tenant, status=503, methods=["GET"], path=FLOWS, count=2),
        fault(tenant, after_commit=True, drop=True, methods=["POST"], path=FLOWS, count=1),
    ]
    with box.faults(*rules) as rules_in_force:
        saved = run_and_save(NOTEBOOK_CELLS, tmp_path / "faulted.ipynb", env)
        assert rules_in_force.hits == 4
    notebook = nbformat.reads(saved, as_version=4)
    errors = [output for output in notebook.cells[2].outputs if output["output_type"] == "error"]
    assert [error["ename"] for error in errors] == ["ServerError"], notebook.cells[2].outputs
    assert "urllib3" in saved  # the debug log lines are in the saved outputs
    assert "application/vnd.jupyter.widget-state+json" in json.dumps(notebook.metadata)
    assert hits([saved], tokens) == []


# -- the sandbox process's own output -----------------------------------------------------------------


def test_no_token_in_a_sandbox_processs_output_while_faults_fire_on_its_traffic(tmp_path):
    env = clean_env(tmp_path, ZEN_SANDBOX_ADMIN_TOKEN=ADMIN_TOKEN)
    rules = [
        f"status=503,probability=0.3,seed=1,retryAfterSeconds=0,path={FLOWS}",
        f"status=500,count=1,methods=POST,path={FLOWS}",
        f"drop=true,probability=0.2,seed=2,methods=GET,path={FLOWS}",
        f"afterCommit=true,drop=true,probability=0.3,seed=3,methods=POST,path={FLOWS}",
        "latencyMs=1,latencySpreadMs=10",
    ]
    with CliSandbox("--port", "0", "--db", ":memory:", *[a for r in rules for a in ("--fault", r)], env=env) as box:
        zen = new_tenant_env(box.base_url, ADMIN_TOKEN)
        token = zen["ZEN_API_TOKEN"]
        with ZenClient(ZenConfig(environ=zen)) as client:
            for number in range(4):
                try:
                    client.create_flow(f"process-{number}", "ingester_stripe", TARGET)
                    client.list_flows()
                    client.get_tenant()
                except ZenError:
                    pass  # a fault the retries did not outlast: what it shows is the other tests' business
        # A wrong token and a malformed header, each beside the real one: refused without echoing it.
        for header in (f"Bearer {token}x", f"Token {token}", f"Bearer {token} {token}", token):
            refused = requests.get(
                f"{box.base_url}/tenants/{zen['ZEN_TENANT_ID']}", headers={"Authorization": header}, timeout=30
            )
            assert refused.status_code == 401, refused.text
            assert hits([refused.text, json.dumps(dict(refused.headers))], needles(token)) == []
        listed = requests.get(
            f"{box.base_url}/_sandbox/faults", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )
        assert sum(rule["hits"] for rule in listed.json()["rules"]) > 0, listed.text
        assert box.interrupt() == 0
    assert "not shown" in box.stdout
    assert hits([box.stdout, box.stderr], needles(token, ADMIN_TOKEN)) == []
