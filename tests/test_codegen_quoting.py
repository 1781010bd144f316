"""Code the kit writes for a user to paste runs no value as code: hostile ids and names, run for real.

"Show as code" writes a plane id, source, target and type that come from a server, and a
description that a user typed, into curl, Python and JavaScript. A server that answers as a
sandbox (say a fake one on port 8765, found by "Use local sandbox") chooses those ids: each id
here tries to break out of its quotes and run ``touch MARKER`` in one language or another.

Each snippet is taken from the form itself (its "Show as code" HTML, unescaped), checked by its
language (``bash -n``, ``compile()``, ``node --check``), and then run as a user would run it,
against a loopback server that serves the hostile lists and records the POST. Nothing injected
may run (the marker file never appears), and the request must carry every value literally: the
plane id in the path, percent-encoded, and the payload as the form would send it.

The ``export`` lines that :meth:`ZenConfig.export_lines` prints are pasted into bash the same way.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

import zen_nb
from zen_nb.codegen import flow_request_snippets
from zen_nb.config import ZenConfig

from helpers import serving, url_of
from shown_code import shown_code

LANGUAGES = ("curl", "python", "javascript")
TENANT = "tenant_hostile"
ENV_PLANE = "plane_env_default"  # ZEN_PLANE_ID: the hostile plane is another one, so it is written into the code


def hostile_values(marker: Path) -> list[str]:
    """Values that each try to run ``touch marker`` from one kind of quoting or another."""
    touch = f"touch {marker}"
    return [
        f'"; {touch}; "',  # out of shell double quotes
        f"$({touch})",  # command substitution inside double quotes
        f"`{touch}`",  # backticks inside double quotes
        f"'; {touch}; '",  # out of shell single quotes
        f"x\n{touch}\n",  # a newline: a new shell command, a new Python or JavaScript line
        f'\\"; {touch}; #',  # a backslash before the quote
        f"${{x:-$({touch})}}",  # shell parameter expansion
        f"{{__import__('os').system('{touch}')}}",  # an f-string placeholder in Python
        f'"""); __import__("os").system("{touch}"); ("""',  # out of a Python string
        f'${{require("child_process").execSync("{touch}")}}',  # a JavaScript template placeholder
        f'"); require("child_process").execSync("{touch}"); ("',  # out of a JavaScript string
        f"\u2028\u2029</script><script>{touch}</script> %s %(x)s \\ \u202e",  # separators, HTML, bidi override
        f"a/../../{touch} ?q=1#frag",  # path and query characters
    ]


class _HostileZen(BaseHTTPRequestHandler):
    """A fake Zen Mesh API: lists of one plane, ingester and target with the server's ``values``; records POSTs."""

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        values = self.server.values  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        if path.endswith("/clusters"):
            self._answer(200, [{"id": values["plane"], "name": "hostile plane", "region": "nowhere"}])
        elif path.endswith("/ingesters"):
            self._answer(200, [{"id": values["source"], "name": "hostile source"}])
        elif path.endswith("/targets") or path.endswith("/destinations"):
            self._answer(200, [{"id": values["target"], "type": values["type"], "name": "hostile target"}])
        else:
            self._answer(404, {"error": "NotFoundError", "message": "no such path"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        self._answer(201, {"id": "flow_recorded", **json.loads(body)})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A file that only an injected command would create; the test fails if it exists."""
    path = tmp_path / f"pwned-{uuid.uuid4().hex[:12]}"
    yield path
    assert not path.exists(), "an injected command ran"


@pytest.fixture
def hostile_server() -> Iterator[ThreadingHTTPServer]:
    with serving(_HostileZen) as server:
        server.values = {}  # type: ignore[attr-defined]
        server.seen = []  # type: ignore[attr-defined]
        yield server


def env_of(server: ThreadingHTTPServer) -> dict[str, str]:
    return {
        "ZEN_API_BASE": url_of(server) + "/",
        "ZEN_API_TOKEN": "zen_test_token_for_the_fake",
        "ZEN_TENANT_ID": TENANT,
        "ZEN_PLANE_ID": ENV_PLANE,
        "ZEN_ADAPTER_ID": "adapter_x",
    }


def shown_snippets(form: Any) -> dict[str, str]:
    """The three snippets as the form shows them under "Show as code" (its HTML, unescaped)."""
    return shown_code(form)


def check_syntax(language: str, code: str, tmp_path: Path) -> None:
    if language == "curl":
        checked = subprocess.run(["bash", "-n", "-c", code], capture_output=True, text=True, timeout=60)
    elif language == "python":
        compile(code, "<python snippet>", "exec")
        return
    else:
        script = tmp_path / "check.mjs"
        script.write_text(code, encoding="utf-8")
        checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def run(language: str, code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a snippet as a user would: bash, the Python of this test run, node; with ``env`` added."""
    if language == "curl":
        command = ["bash", "-c", code]
    elif language == "python":
        command = [sys.executable, "-c", code]
    else:
        script = tmp_path / "snippet.mjs"
        script.write_text(code, encoding="utf-8")
        command = ["node", str(script)]
    return subprocess.run(command, env=loopback_env(env), capture_output=True, text=True, timeout=120, cwd=tmp_path)


def loopback_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment with ``env`` added and no proxy: curl and requests would use one."""
    kept = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    return {**kept, "NO_PROXY": "*", "no_proxy": "*", **env}


@pytest.mark.parametrize("rotation", range(13))
@pytest.mark.parametrize("language", LANGUAGES)
def test_hostile_ids_from_the_server_never_run_and_arrive_literally(
    language: str, rotation: int, hostile_server: ThreadingHTTPServer, marker: Path, tmp_path: Path
) -> None:
    """Plane, source, target id, target type (from the server) and description (typed): one hostile value each."""
    values = hostile_values(marker)
    pick = [values[(rotation + offset) % len(values)] for offset in range(5)]
    hostile_server.values.update(plane=pick[0], source=pick[1], target=pick[2], type=pick[3])  # type: ignore[attr-defined]
    env = env_of(hostile_server)
    client = zen_nb.ZenClient(ZenConfig(environ=env))
    form = zen_nb.flow_form(client)
    form.plane_picker.value = pick[0]
    form.name_field.value = "hostile-check"
    form.description_field.value = "typed: " + pick[4]
    assert form.problem() is None, form.problem()
    payload = form.payload()
    assert payload == {
        "name": "hostile-check",
        "source": pick[1],
        "target": {"id": pick[2], "type": pick[3]},
        "description": ("typed: " + pick[4]).strip(),
    }
    code = shown_snippets(form)[language]
    assert code == flow_request_snippets(payload, pick[0])[language]
    check_syntax(language, code, tmp_path)

    result = run(language, code, env, tmp_path)

    assert not marker.exists(), f"the {language} snippet ran an injected command"
    assert result.returncode == 0, f"{language} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    [(path, headers, body)] = hostile_server.seen  # type: ignore[attr-defined]
    raw_path = urlsplit(path).path
    prefix, plane, suffix = raw_path.split("/")[1:4], raw_path.split("/")[4], raw_path.split("/")[5:]
    assert (prefix, suffix) == (["tenants", TENANT, "clusters"], ["delivery-flows"]), path
    assert unquote(plane) == pick[0], path
    assert json.loads(body) == payload
    assert headers["Authorization"] == f"Bearer {env['ZEN_API_TOKEN']}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_hostile_plane_from_the_environment_is_never_run(
    language: str, hostile_server: ThreadingHTTPServer, marker: Path, tmp_path: Path
) -> None:
    """When the plane is ``ZEN_PLANE_ID``, the snippet names the variable: its value is never read as code."""
    touch = f"touch {marker}"
    for hostile in (f"$({touch})", f"`{touch}`", f'"; {touch}; "'):
        env = {**env_of(hostile_server), "ZEN_PLANE_ID": hostile}
        code = flow_request_snippets({"name": "env-plane", "source": "s", "target": {"id": "t", "type": "http"}})
        check_syntax(language, code[language], tmp_path)
        run(language, code[language], env, tmp_path)
        assert not marker.exists(), f"the {language} snippet ran ZEN_PLANE_ID={hostile!r}"


def test_normal_ids_keep_the_recipes_shape() -> None:
    """Ids that need no quoting are written as before: no encoding call, the plane id as it is."""
    payload = {"name": "n", "source": "ingester_stripe", "target": {"id": "dest_x", "type": "http"}}
    snippets = flow_request_snippets(payload, "plane_prod_eu_west_1")
    assert snippets["curl"].endswith('/clusters/"plane_prod_eu_west_1/delivery-flows')
    assert 'plane_id = "plane_prod_eu_west_1"' in snippets["python"] and "quote(" not in snippets["python"]
    assert 'const planeId = "plane_prod_eu_west_1";' in snippets["javascript"]
    assert "encodeURIComponent" not in snippets["javascript"]
    default = flow_request_snippets(payload)
    assert default["curl"].endswith('"${ZEN_API_BASE%/}/tenants/$ZEN_TENANT_ID/clusters/$ZEN_PLANE_ID/delivery-flows"')


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "\u2028\u2029",
        "</script><!-- & >",
        "\u202eevil",
        "\x00\x07\x1b\x7f\x85",
        "😀 日本 é",
        "\"'\\",
        "${x}`y`",
    ],
)
def test_each_language_reads_the_literal_back_as_the_value(value: str, tmp_path: Path) -> None:
    """Python evaluates its literal to the value; node does too; nothing non-printable is written raw."""
    payload = {"name": "n", "source": value, "target": {"id": value, "type": value}, "description": value}
    snippets = flow_request_snippets(payload, value)
    tree = ast.parse(snippets["python"])
    literals = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in ("plane_id", "payload")
    }
    assert literals == {"plane_id": value, "payload": payload}
    for language in LANGUAGES:
        code = snippets[language]
        assert all(char.isprintable() or char == "\n" for char in code), f"{language} has a raw unprintable character"
        assert "</script" not in code.lower() or language != "javascript"
    script = tmp_path / "read.mjs"
    js = snippets["javascript"].split("const response")[0]  # the constants only: no request
    script.write_text(js + "console.log(JSON.stringify([planeId, payload]));\n", encoding="utf-8")
    env = loopback_env({"ZEN_API_BASE": "http://127.0.0.1:9"})
    result = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [value, payload]


def test_the_marker_check_can_fail(marker: Path) -> None:
    """The check above would see an injection: naive double quotes run the first hostile value."""
    value = hostile_values(marker)[0]
    subprocess.run(["bash", "-c", f'echo "{value}" >/dev/null'], capture_output=True, timeout=60)
    assert marker.exists()
    marker.unlink()


def test_export_lines_paste_into_bash_as_the_values(marker: Path, tmp_path: Path) -> None:
    """``ZenConfig.export_lines()`` with hostile ids: bash exports each exactly, and runs none."""
    touch = f"touch {marker}"
    env = {
        "ZEN_API_BASE": "http://127.0.0.1:9/$(" + touch + ")",
        "ZEN_API_TOKEN": "zen_test_whatever",
        "ZEN_TENANT_ID": f'"; {touch}; "',
        "ZEN_PLANE_ID": f"`{touch}`",
        "ZEN_ADAPTER_ID": f"'; {touch}; '\nx",
    }
    lines = ZenConfig(environ=env).export_lines()
    assert env["ZEN_API_TOKEN"] not in lines
    shown = "; ".join(f'printf "%s\\0" "${name}"' for name in ("ZEN_API_BASE", "ZEN_TENANT_ID", "ZEN_PLANE_ID"))
    result = subprocess.run(
        ["bash", "-c", f"{lines}\n{shown}; printf '%s\\0' \"$ZEN_ADAPTER_ID\""],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"]},
    )
    assert not marker.exists(), "an export line ran an injected command"
    assert result.returncode == 0, result.stderr
    got = result.stdout.split("\0")[:4]
    assert got == [env["ZEN_API_BASE"], env["ZEN_TENANT_ID"], env["ZEN_PLANE_ID"], env["ZEN_ADAPTER_ID"]]
    assert shlex.split(lines.splitlines()[1], comments=True) == ["export", "ZEN_API_TOKEN=replace-with-your-api-token"]
