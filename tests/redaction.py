"""No sandbox token in a test report: what pytest prints or writes of a test is redacted as it is made.

A failing test's long traceback shows each frame's arguments, so a failing request from
``helpers.admin`` once printed ``headers = {'Authorization': 'Bearer zen_admin_...'}`` into the
CI log; a ``zen-nb sandbox`` banner (the generated admin token, on loopback) in captured stdout
is shown too. The CI log is read by more people than may hold a token, so
:func:`pytest_runtest_makereport` and :func:`pytest_make_collect_report` (imported into
``conftest.py``, which registers them) replace, in every report of collection, setup, call and
teardown, before any reporter sees it (terminal, ``-rA`` summaries, junit XML, xdist's controller):

- the tokens the sandbox makes: ``zen_test_...`` (tenant, :func:`zen_nb.sandbox.ids.new_token`)
  and ``zen_admin_...`` (:func:`zen_nb.sandbox.admin_token.new_admin_token`), except the demo
  tenant's :data:`zen_nb.sandbox.DEMO_TOKEN`, which is public (it is in the README);
- any value of an ``Authorization`` or ``X-API-Key`` header, whatever its format (a token one
  chose oneself), as a dict, a header line or a keyword shows it; its scheme (``Bearer``) stays.

The report's objects are changed in place rather than turned into text, so colours, the crash
line of ``-ra`` and xdist's serialisation stay as pytest makes them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Generator
from typing import Any

import pytest

from zen_nb.sandbox import DEMO_TOKEN

HIDDEN = "<token hidden>"

_SANDBOX_TOKEN = re.compile(r"zen_(?:test|admin)_[A-Za-z0-9_-]+")
# 'Authorization': 'Bearer x'  /  Authorization: Bearer x  /  X-API-Key=x  /  "x-api-key": "x"
_HEADER_VALUE = re.compile(
    r"""(?P<name>\b(?:Authorization|X-API-Key)['"]?\s*[:=]\s*['"]?(?:(?:Bearer|Basic|Token)\s+)?)"""
    r"""(?P<value>[^'"\s,;}\]\)]+)""",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with each sandbox token and each ``Authorization``/``X-API-Key`` value as ``<token hidden>``."""
    text = _HEADER_VALUE.sub(_hide_header_value, text)
    return _SANDBOX_TOKEN.sub(_hide_token, text)


def _hide_header_value(match: re.Match[str]) -> str:
    value = match["value"]
    if value == DEMO_TOKEN or value.startswith("<token"):  # public, or hidden already
        return match[0]
    return match["name"] + HIDDEN


def _hide_token(match: re.Match[str]) -> str:
    return match[0] if match[0] == DEMO_TOKEN else HIDDEN


def redact_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Redact ``report`` in place: its long representation (traceback, frame arguments, locals, crash
    message, a skip's reason) and its captured sections (stdout, stderr, log)."""
    report.longrepr = _redacted(report.longrepr, set())
    report.sections = [(title, redact(content)) for title, content in report.sections]


def _redacted(value: Any, seen: set[int]) -> Any:
    """``value`` with its strings redacted: a string is replaced, a list or tuple rebuilt, and the
    objects of pytest's ``_code`` representations (dataclasses) changed field by field."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(_redacted(item, seen) for item in value)
    if isinstance(value, list):
        return [_redacted(item, seen) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and id(value) not in seen:
        seen.add(id(value))  # the chain's last traceback is also the report's reprtraceback
        for field in dataclasses.fields(value):
            setattr(value, field.name, _redacted(getattr(value, field.name), seen))
    return value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Every test report, redacted as soon as it is made (see the module's docstring)."""
    report = yield
    redact_report(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A collection report too: a module that fails on import shows its traceback (and its output)."""
    report = yield
    redact_report(report)
    return report
