"""Everything the kit prints for a user to type or paste runs as printed.

The kit marks such code in backticks (``zen_nb.hints``). This module collects every text the kit
prints with code in it (each error's fix, the configuration error, the sandbox hints, the
``zen-nb`` messages) and the Python blocks of the README, and runs them: Python in a fresh
interpreter as a user would paste it, magics in an IPython shell, ``zen-nb`` commands as
processes, install commands against the installed package's metadata. A fix that sets up the
environment must leave a working client behind.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from importlib.metadata import metadata

import pytest

from zen_nb import ZenClient, ZenConfig, ZenConfigError, ZenError, fixes, hints, local_sandbox

from helpers import serving, url_of
from notebook_sandbox import ROOT
from processes import CliSandbox, clean_env

CODE = re.compile(r"`([^`]+)`")
# Code-looking text outside backticks: a call, or an install command. Prose may name a method
# (client.update_flow) without calling it.
UNQUOTED_CODE = re.compile(r"\b[A-Za-z_][\w.]*\([^()]*\)|pip install|%zen_")
DEAD_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port: the situation a connection fix meets


def _not_a_sandbox() -> Iterator[str]:
    """A loopback HTTP server that answers 404 to everything, as a real service answers /_sandbox/."""

    class NotFound(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": "NotFoundError", "message": "no such path"}')

        def log_message(self, *args: object) -> None:
            pass

    with serving(NotFound) as server:
        yield url_of(server)


def kit_texts() -> dict[str, str]:
    """Every text the kit prints that may hold code to run, by where it comes from."""
    texts = {f"fix {code}": text for code, text in fixes.BY_CODE.items()}
    texts |= {f"fix for HTTP {status}": text for status, text in fixes.BY_STATUS.items()}
    texts["fix for HTTP 5xx"] = fixes.fix_for(503, None)
    texts["fix for a target's 400"] = fixes.fix_for(400, None, "/tenants/t/clusters/p/targets")
    texts["ZenConnectionError fix"] = fixes.connection_fix(DEAD_BASE)
    texts["ZenTimeoutError fix"] = fixes.slow_answer_fix(0.2)
    try:
        ZenConfig(environ={})
    except ZenConfigError as error:
        texts["ZenConfigError"] = str(error)
    texts["%zen_sandbox stop, none started"] = local_sandbox.stop()
    texts["zen-nb lab without recipes"] = _recipes_not_found()
    for name, value in vars(hints).items():
        if name.isupper() and isinstance(value, str):
            texts[f"hints.{name}"] = f"`{value}`"
    for base in _not_a_sandbox():
        try:
            ZenClient(ZenConfig(environ={**_demo_env(base)})).simulate_traffic(events=1)
        except ZenError as error:
            texts["simulate_traffic off the sandbox"] = error.fix
    return texts


def _recipes_not_found() -> str:
    from zen_nb import recipes

    saved = recipes.source_recipes, recipes.installed_recipes
    recipes.source_recipes = recipes.installed_recipes = lambda: None  # an install without the notebooks
    try:
        recipes.locate()
    except recipes.RecipesNotFound as error:
        return str(error)
    finally:
        recipes.source_recipes, recipes.installed_recipes = saved
    raise AssertionError("locate() found recipes where there are none")


def _demo_env(base: str) -> dict[str, str]:
    return local_sandbox.sandbox_env(base)


def spans(text: str) -> list[str]:
    return CODE.findall(text)


def kind(span: str) -> str:
    if span.startswith("zen-nb "):
        return "zen-nb"
    if span.startswith("pip install "):
        return "pip"
    if span.startswith("%"):
        return "magic"
    return "python"


# -- what is collected -----------------------------------------------------------------------------


def test_every_text_with_code_marks_it_as_code():
    """Code is in backticks, so that it is collected (and run) below, and shown as code in a notebook."""
    unquoted = {
        where: found for where, text in kit_texts().items() if (found := UNQUOTED_CODE.findall(CODE.sub("", text)))
    }
    assert unquoted == {}


def test_the_collection_finds_the_fixes_that_tell_the_user_to_start_a_sandbox():
    texts = kit_texts()
    for where in ("ZenConnectionError fix", "ZenConfigError", "simulate_traffic off the sandbox"):
        assert hints.START_SANDBOX_PYTHON in spans(texts[where]), where
    assert sum(len(spans(text)) for text in texts.values()) >= 20


# -- Python, as pasted -----------------------------------------------------------------------------


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)


def _python_with_a_client(api) -> dict[str, list[str]]:
    """Python spans that use a client the user already has (the error came from it), by span."""
    found: dict[str, list[str]] = {}
    for where, text in kit_texts().items():
        for span in spans(text):
            if kind(span) == "python" and "os.environ" not in span and span != hints.NEW_CLIENT:
                found.setdefault(span, []).append(where)
    return found


def test_python_in_the_fixes_runs_as_printed_with_the_users_client(api):
    found = _python_with_a_client(api)
    assert "client.list_planes()" in found and "client.list_attempts()" in found
    program = (
        "import json, zen_nb\nresults = {}\n"
        f"for span in json.loads({json.dumps(json.dumps(sorted(found)))}):\n"
        "    namespace = {'zen_nb': zen_nb, 'client': zen_nb.ZenClient()}\n"
        "    try:\n        exec(compile(span, '<fix>', 'exec'), namespace)\n        results[span] = 'ok'\n"
        "    except Exception as error:\n        results[span] = f'{type(error).__name__}: {error}'\n"
        "print(json.dumps(results))\n"
    )
    result = run_python(program, {**os.environ, **api.box.env()})
    assert result.returncode == 0, result.stderr
    failures = {span: outcome for span, outcome in json.loads(result.stdout).items() if outcome != "ok"}
    assert failures == {}, {span: (outcome, found[span]) for span, outcome in failures.items()}


SETUP_TEXTS = ("ZenConnectionError fix", "ZenConfigError", "simulate_traffic off the sandbox")


@pytest.mark.parametrize("where", SETUP_TEXTS)
def test_a_fix_that_starts_a_sandbox_leaves_a_working_client(tmp_path, where):
    """In a fresh interpreter with no sandbox where ZEN_API_BASE points, each Python span in order, then a call."""
    python = [span for span in spans(kit_texts()[where]) if kind(span) == "python"]
    assert python, where
    situation = clean_env(tmp_path) if where == "ZenConfigError" else {**clean_env(tmp_path), **_demo_env(DEAD_BASE)}
    program = "\n".join(python) + "\nprint(zen_nb.ZenClient().get_tenant().id)\n"
    result = run_python(program, situation)
    assert result.returncode == 0, f"{where}: {program}\n{result.stderr}"
    assert result.stdout.strip() == "tenant_demo"


def test_the_printed_snippet_fails_without_the_fix(tmp_path):
    """The check above can fail: the client alone, with nothing answering, raises the connection error."""
    result = run_python(
        "import zen_nb\nzen_nb.ZenClient().get_tenant()\n", {**clean_env(tmp_path), **_demo_env(DEAD_BASE)}
    )
    assert result.returncode != 0 and "ZenConnectionError" in result.stderr


def test_the_sandbox_magic_runs_as_printed(api, tmp_path):
    magic_spans = sorted({span for text in kit_texts().values() for span in spans(text) if kind(span) == "magic"})
    assert magic_spans == [hints.SANDBOX_MAGIC]
    program = (
        "import os\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\nshell.run_line_magic('load_ext', 'zen_nb')\n"
        f"shell.run_cell({hints.SANDBOX_MAGIC!r}).raise_error()\n"
        "import zen_nb\nprint(zen_nb.ZenClient().get_tenant().id)\n"
    )
    # ZEN_API_BASE names the running sandbox, so the magic finds it rather than start one on 8765.
    env = {**clean_env(tmp_path, IPYTHONDIR=str(tmp_path / "ipython")), "ZEN_API_BASE": api.box.base_url}
    result = run_python(program, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("tenant_demo")


# -- commands ----------------------------------------------------------------------------------------


def test_the_install_commands_name_extras_that_exist():
    installs = {span for text in kit_texts().values() for span in spans(text) if kind(span) == "pip"}
    assert installs == {hints.INSTALL_SANDBOX, hints.INSTALL_LAB, hints.INSTALL_ANALYSIS}
    extras = set(metadata("zen_nb").get_all("Provides-Extra") or [])
    for install in installs:
        words = shlex.split(install)  # as a shell reads it: the quotes keep the brackets from globbing
        assert words[:2] == ["pip", "install"] and len(words) == 3, install
        name, _, extra = words[2].partition("[")
        assert name == "zen_nb" and extra.rstrip("]") in extras, install


def test_the_zen_nb_commands_exist_and_the_sandbox_serves(tmp_path):
    commands = {span for text in kit_texts().values() for span in spans(text) if kind(span) == "zen-nb"}
    assert commands == {hints.SANDBOX_COMMAND, hints.LAB_COMMAND}
    for command in commands:
        words = shlex.split(command)[1:]
        result = subprocess.run(
            [sys.executable, "-m", "zen_nb.cli", *words, "--help"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and "usage: zen-nb" in result.stdout, command
    # As printed it listens on 8765; a test takes a free port instead, and pastes the printed exports.
    with CliSandbox("--port", "0", "--db", ":memory:", env=clean_env(tmp_path)) as process:
        exports = "\n".join(process.export_lines())
        script = (
            f"{exports}\n{shlex.quote(sys.executable)} -c 'import zen_nb; print(zen_nb.ZenClient().get_tenant().id)'"
        )
        result = subprocess.run(
            ["bash", "-c", script], env=clean_env(tmp_path), capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tenant_demo"


# -- the README ----------------------------------------------------------------------------------------

README_PYTHON = re.findall(r"```python\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.S)


def test_the_readme_has_python_blocks():
    assert len(README_PYTHON) >= 3


@pytest.mark.parametrize("block", README_PYTHON, ids=[f"block{n}" for n in range(len(README_PYTHON))])
def test_each_python_block_of_the_readme_runs_as_printed(api, tmp_path, block):
    """Each block alone, in a fresh interpreter, with the five variables of a sandbox at its seed."""
    env = {**clean_env(tmp_path), **api.box.env(), "MPLBACKEND": "Agg"}
    result = run_python(block, env, timeout=120)
    assert result.returncode == 0, f"{block}\n{result.stderr}"
