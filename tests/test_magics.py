"""``%load_ext zen_nb`` in a real IPython shell: the five magics, errors as short blocks, rich HTML.

Each test gets its own ``InteractiveShell`` (history off, ``IPYTHONDIR`` in ``tmp_path``),
cleared afterwards together with what creating one changes in the process (``__main__`` in
``sys.modules``, the names it adds to ``builtins``), so later tests do not find an IPython
session. The ``ZEN_*`` variables are set with ``monkeypatch`` from the session sandbox, so what
``%zen_sandbox start`` writes into ``os.environ`` is undone after the test too.

- ``%zen_flows`` answers a DataFrame for the default plane, ``--status``, ``--plane`` and
  ``--all-planes``; contradictory or unknown options are a ``UsageError``.
- ``%zen_setup`` and ``%zen_flow_form`` return their forms and take no argument.
- ``%zen_sandbox status|start|stop`` find the running sandbox, set the five ``ZEN_*`` without
  starting a server or printing the token, and stop only what this kernel started.
- A ``ZenError`` in a cell shows as its ``_render_traceback_`` lines (class, fix, ids), with no
  frame of zen_nb's internals.
- Loading the extension imports neither pandas nor ipywidgets.
- The display formatter gives escaped HTML for a flow, a list of flows and an error, never the token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import zen_nb
from zen_nb import local_sandbox
from zen_nb.config import ZenConfig
from zen_nb.errors import FlowNotFound
from zen_nb.frames import FLOW_COLUMNS

from helpers import ZEN_VARIABLES as NAMES
from helpers import Api

MAGICS = {"zen_setup", "zen_flow_form", "zen_flows", "zen_sandbox", "zen_join"}
DEV = "plane_dev_us_east_1"
PROD = "plane_prod_eu_west_1"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def zen_env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The kernel's ZEN_* point at the session sandbox's demo tenant (restored after the test)."""
    env = sandbox.env()
    for name in NAMES:
        monkeypatch.setenv(name, env[name])
    return env


@pytest.fixture
def zen_shell(shell: InteractiveShell, zen_env: dict[str, str]) -> InteractiveShell:
    """A shell with ``%load_ext zen_nb`` done and the sandbox's ZEN_* set."""
    shell.run_line_magic("load_ext", "zen_nb")
    return shell


@pytest.fixture
def flows(api: Api) -> dict[str, dict[str, Any]]:
    """Three flows on the demo plane (one paused) and one on the other plane, by name."""
    made = {}
    for name, status in (("alpha-active", "active"), ("beta-paused", "paused"), ("gamma-active", "active")):
        response = api.create_flow(name, status=status)
        assert response.status_code == 201, response.text
        made[name] = response.json()
    target = {"id": "dest_stripe_prod_eu_west_1", "type": "stripe"}
    body = {"name": "eu-flow", "source": "ingester_stripe", "target": target}
    response = api.post(f"clusters/{PROD}/delivery-flows", json=body)
    assert response.status_code == 201, response.text
    made["eu-flow"] = response.json()
    return made


# -- %load_ext and %zen_flows --------------------------------------------------------------------


def test_load_ext_registers_the_five_magics(shell: InteractiveShell) -> None:
    assert not MAGICS & set(shell.magics_manager.magics["line"])
    shell.run_line_magic("load_ext", "zen_nb")
    assert MAGICS <= set(shell.magics_manager.magics["line"])


def test_zen_flows_is_a_dataframe_of_the_default_planes_flows(
    zen_shell: InteractiveShell, flows: dict[str, dict[str, Any]]
) -> None:
    frame = zen_shell.run_line_magic("zen_flows", "")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(FLOW_COLUMNS)
    assert sorted(frame["name"]) == ["alpha-active", "beta-paused", "gamma-active"]
    assert set(frame["plane_id"]) == {DEV}
    assert set(frame["id"]) == {flows[name]["id"] for name in ("alpha-active", "beta-paused", "gamma-active")}


def test_zen_flows_status_paused_keeps_only_paused_flows(
    zen_shell: InteractiveShell, flows: dict[str, dict[str, Any]]
) -> None:
    frame = zen_shell.run_line_magic("zen_flows", "--status paused")
    assert list(frame["name"]) == ["beta-paused"]
    assert list(frame["status"]) == ["paused"]


def test_zen_flows_filters_by_source_and_target_type(
    zen_shell: InteractiveShell, flows: dict[str, dict[str, Any]]
) -> None:
    everything = zen_shell.run_line_magic("zen_flows", "--all-planes --source ingester_stripe --target-type stripe")
    assert sorted(everything["name"]) == sorted(flows)  # all four are ingester_stripe -> a stripe target
    assert zen_shell.run_line_magic("zen_flows", "--all-planes --target-type slack").empty
    assert zen_shell.run_line_magic("zen_flows", "--source ingester_github").empty


def test_zen_flows_plane_reads_that_plane(zen_shell: InteractiveShell, flows: dict[str, dict[str, Any]]) -> None:
    frame = zen_shell.run_line_magic("zen_flows", f"--plane {PROD}")
    assert list(frame["name"]) == ["eu-flow"]
    assert list(frame["plane_id"]) == [PROD]


def test_zen_flows_all_planes_reads_every_plane(zen_shell: InteractiveShell, flows: dict[str, dict[str, Any]]) -> None:
    frame = zen_shell.run_line_magic("zen_flows", "--all-planes")
    assert sorted(frame["name"]) == sorted(flows)
    assert dict(zip(frame["name"], frame["plane_id"], strict=True)) == {
        "alpha-active": DEV,
        "beta-paused": DEV,
        "gamma-active": DEV,
        "eu-flow": PROD,
    }


def test_zen_flows_as_a_cell_gives_the_frame_as_its_result(
    zen_shell: InteractiveShell, flows: dict[str, dict[str, Any]]
) -> None:
    result = zen_shell.run_cell("%zen_flows --status active")
    assert result.success, result.error_in_exec
    assert sorted(result.result["name"]) == ["alpha-active", "gamma-active"]


@pytest.mark.parametrize(
    "line",
    [f"--plane {PROD} --all-planes", "--status bogus", "--bogus", "--plane", "stray-positional"],
)
def test_zen_flows_refuses_bad_options_with_a_usage_error(zen_shell: InteractiveShell, line: str, api: Api) -> None:
    with pytest.raises(UsageError):
        zen_shell.run_line_magic("zen_flows", line)


def test_a_usage_error_in_a_cell_is_reported_as_one(
    zen_shell: InteractiveShell, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    result = zen_shell.run_cell(f"%zen_flows --plane {PROD} --all-planes")
    assert isinstance(result.error_in_exec, UsageError)
    captured = capsys.readouterr()
    assert "UsageError" in captured.err and "--all-planes" in captured.err  # IPython writes it to stderr
    assert "Traceback" not in captured.out + captured.err


# -- %zen_setup and %zen_flow_form -------------------------------------------------------------


def test_zen_setup_returns_the_setup_form(zen_shell: InteractiveShell) -> None:
    assert isinstance(zen_shell.run_line_magic("zen_setup", ""), zen_nb.SetupForm)


def test_zen_flow_form_returns_the_flow_form(zen_shell: InteractiveShell, api: Api) -> None:
    form = zen_shell.run_line_magic("zen_flow_form", "")
    assert isinstance(form, zen_nb.FlowForm)
    assert form.plane_picker.value == DEV


@pytest.mark.parametrize("magic", ["zen_setup", "zen_flow_form"])
def test_the_form_magics_take_no_argument(zen_shell: InteractiveShell, magic: str) -> None:
    with pytest.raises(UsageError, match=magic):
        zen_shell.run_line_magic(magic, "extra")


# -- %zen_sandbox -----------------------------------------------------------------------------


def test_zen_sandbox_status_says_where_the_sandbox_runs(
    zen_shell: InteractiveShell, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert zen_shell.run_line_magic("zen_sandbox", "status") is None
    out = capsys.readouterr().out
    assert f"running at {sandbox.base_url}" in out
    assert "started in this kernel" not in out


def test_zen_sandbox_start_finds_the_running_sandbox_and_sets_the_environment(
    shell: InteractiveShell, sandbox: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert local_sandbox._started is None
    monkeypatch.setenv("ZEN_API_BASE", sandbox.base_url)
    for name in NAMES[1:]:
        monkeypatch.setenv(name, "")  # records the original, so what the magic sets is undone too
        monkeypatch.delenv(name)
    shell.run_line_magic("load_ext", "zen_nb")

    shell.run_line_magic("zen_sandbox", "start")

    out = capsys.readouterr().out
    assert f"found the sandbox running at {sandbox.base_url}" in out
    assert sandbox.token not in out
    assert {name: os.environ[name] for name in NAMES} == sandbox.env()
    assert local_sandbox._started is None  # no new server
    assert "started in this kernel" not in local_sandbox.status()
    assert zen_nb.ZenClient().get_tenant()["id"] == sandbox.tenant_id


def test_zen_sandbox_stop_leaves_a_sandbox_it_did_not_start(
    zen_shell: InteractiveShell, sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    zen_shell.run_line_magic("zen_sandbox", "start")
    capsys.readouterr()
    zen_shell.run_line_magic("zen_sandbox", "stop")
    assert "no sandbox was started in this kernel" in capsys.readouterr().out
    assert local_sandbox.is_sandbox(sandbox.base_url)


@pytest.mark.parametrize("line", ["bogus", "", "start now"])
def test_zen_sandbox_refuses_an_unknown_action(zen_shell: InteractiveShell, line: str) -> None:
    with pytest.raises(UsageError):
        zen_shell.run_line_magic("zen_sandbox", line)


# -- errors in a cell ----------------------------------------------------------------------------


def test_a_zen_error_in_a_cell_shows_as_a_short_block(
    zen_shell: InteractiveShell, sandbox: Any, api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    result = zen_shell.run_cell("import zen_nb; zen_nb.ZenClient().get_flow('flow_nope')")
    assert isinstance(result.error_in_exec, FlowNotFound)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].startswith("FlowNotFound: ")
    assert any(line.strip().startswith("Fix:") for line in lines)
    assert "flow_not_found" in out and "request id req_" in out
    assert len(lines) <= 4, out
    assert not [line for line in lines if "transport.py" in line]
    assert "Traceback" not in out
    assert sandbox.token not in out


# -- import weight -----------------------------------------------------------------------------


def test_load_ext_imports_neither_pandas_nor_ipywidgets(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import json, sys
        from traitlets.config import Config
        from IPython.core.interactiveshell import InteractiveShell
        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
        heavy = ("pandas", "ipywidgets")
        before = [name for name in heavy if name in sys.modules]
        shell.run_line_magic("load_ext", "zen_nb")
        after = [name for name in heavy if name in sys.modules]
        magics = sorted(name for name in shell.magics_manager.magics["line"] if name.startswith("zen_"))
        print(json.dumps({"before": before, "after": after, "magics": magics}))
        """
    )
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"before": [], "after": [], "magics": sorted(MAGICS)}


# -- rich display --------------------------------------------------------------------------------


def _formatted(shell: InteractiveShell, obj: Any) -> dict[str, Any]:
    data, _metadata = shell.display_formatter.format(obj)
    return data


def test_a_flow_shows_as_html_with_its_fields_escaped(shell: InteractiveShell, sandbox: Any, api: Api) -> None:
    description = '<img src=x onerror="alert(1)"> & <b>bold</b> it\'s'
    client = zen_nb.ZenClient(ZenConfig(environ=sandbox.env()))
    flow = client.create_flow(
        name="html-flow",
        source="ingester_stripe",
        target={"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
        description=description,
    )
    data = _formatted(shell, flow)
    html = data["text/html"]
    assert "Flow" in html and flow["id"] in html and "html-flow" in html
    assert escape(description) in html
    assert "<img" not in html and "<b>bold" not in html
    assert all(sandbox.token not in str(value) for value in data.values())


def test_a_list_of_flows_shows_as_an_html_table(shell: InteractiveShell, sandbox: Any, api: Api) -> None:
    for name in ("table-one", "table-two"):
        assert api.create_flow(name).status_code == 201
    listed = zen_nb.ZenClient(ZenConfig(environ=sandbox.env())).list_flows()
    data = _formatted(shell, listed)
    html = data["text/html"]
    assert "<table" in html
    for flow in listed:
        assert flow["id"] in html and flow["name"] in html
    assert all(sandbox.token not in str(value) for value in data.values())


def test_a_zen_error_shows_as_html_with_its_fix(shell: InteractiveShell, sandbox: Any, api: Api) -> None:
    client = zen_nb.ZenClient(ZenConfig(environ=sandbox.env()))
    with pytest.raises(FlowNotFound) as caught:
        client.get_flow("flow_nope")
    data = _formatted(shell, caught.value)
    html = data["text/html"]
    assert "FlowNotFound" in html and "Fix:" in html
    assert caught.value.request_id and caught.value.request_id in html
    assert all(sandbox.token not in str(value) for value in data.values())
