"""Fixtures: one real sandbox on a free loopback port for the session, reset to its seed per test.

On it: the demo tenant's HTTP API (``api``), more tenants (``new_tenant``), the demo tenant's
``ZenClient`` (``client``), and for the delivery tests a fast retry schedule (``fast``) and an
HTTP receiver on loopback (``hook``); a fresh IPython shell (``shell``). And, at the end of a
run, where the browser tests put their screenshots; every test report without a sandbox token
(tests/redaction.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from zen_nb import ZenClient
from zen_nb import sandbox as sandbox_pkg

from deliveries import FAST, Hook
from helpers import ZEN_VARIABLES, Api, admin_post, client_for, set_retry_schedule
from redaction import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401  (hooks: no token in a report)

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture(scope="session")
def sandbox() -> Iterator[sandbox_pkg.Sandbox]:
    """One sandbox for the whole session: in memory, on a free port, stopped at the end.

    Its rate limit is out of reach, so that tests that create many flows quickly never meet a
    429 they are not about; the rate limit has tests of its own, on sandboxes of their own.
    """
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(1_000_000, 1)) as box:
        yield box


@pytest.fixture
def api(sandbox: sandbox_pkg.Sandbox) -> Api:
    """The demo tenant's API on a sandbox just reset to its seed."""
    response = admin_post(sandbox, "reset")
    assert response.status_code == 200, response.text
    return Api(sandbox)


@pytest.fixture
def new_tenant(api: Api):
    """A factory for extra tenants made through ``/_sandbox/tenants``: returns an :class:`Api` for each."""

    def make(plan: str = "team", seed: bool = True) -> Api:
        response = admin_post(api.box, "tenants", json={"plan": plan, "seed": seed})
        assert response.status_code == 201, response.text
        body = response.json()
        return Api(api.box, token=body["token"], tenant_id=body["id"])

    return make


@pytest.fixture
def no_zen_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``ZEN_*`` variable in ``os.environ``; after the test each is as before, even one a join wrote.

    ``monkeypatch.delenv`` of an absent variable records nothing to undo, so each is set first.
    """
    for name in ZEN_VARIABLES:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def client(api: Api) -> Iterator[ZenClient]:
    """The demo tenant's client on a sandbox just reset to its seed, built as a notebook would: from the
    five ``ZEN_*`` values; closed afterwards."""
    with client_for(api) as client:
        yield client


@pytest.fixture
def fast(api: Api) -> Api:
    """The demo tenant on a freshly reset sandbox whose retry schedule is :data:`deliveries.FAST`."""
    set_retry_schedule(api, FAST)
    return api


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A :class:`deliveries.Hook`: an HTTP server on loopback that records what it is sent; stopped afterwards."""
    server = Hook()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A fresh IPython shell without history, its profile under ``tmp_path``; gone after the test.

    IPython is imported here, not at the top: most test modules never start a shell.
    """
    import atexit
    import builtins
    import sys

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # the shell replaces it
    builtins_before = set(vars(builtins))
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"  # lowercase: IPython 9 deprecates "NoColor"
    InteractiveShell.clear_instance()
    ipython = InteractiveShell.instance(config=config)
    try:
        yield ipython
    finally:
        atexit.unregister(ipython.atexit_operations)
        ipython.atexit_operations()
        InteractiveShell.clear_instance()
        for name in set(vars(builtins)) - builtins_before:  # __IPYTHON__, display
            delattr(builtins, name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the screenshot folders of the browser tests that ran (see tests/test_browser.py)."""
    folders = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in report.user_properties
        if name == "screenshots"
    ]
    if folders:
        terminalreporter.write_sep("-", "browser screenshots")
        for folder in folders:
            terminalreporter.write_line(folder)


def pytest_report_header() -> str:
    """Which Chromium the browser tests drive and where it was found (tests/chromium.py), or why they skip."""
    from chromium import report_line

    return report_line()
