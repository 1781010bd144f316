"""``zen-nb sandbox`` as a user runs it: a real process, its banner pasted into a shell, the recipe's curl.

Every test starts its own ``python -m zen_nb.cli sandbox`` on a free loopback port (``--port 0``,
the port read back from the banner) and stops that process itself. Subprocesses get ``HOME`` and
``XDG_DATA_HOME`` under ``tmp_path`` and no inherited ``ZEN_*`` variables, so nothing is written to
the real home directory and only the pasted ``export`` lines point curl at the sandbox.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from helpers import assert_error
from processes import STOP_TIMEOUT, CliSandbox, clean_env

# From recipe-create-a-flow.txt, character for character.
# ruff: noqa: E501 - the recipe's command line is kept as published
RECIPE_CREATE = """curl -sS --fail-with-body -H "Authorization: Bearer $ZEN_API_TOKEN" -H "Content-Type: application/json" -d '{
"name": "production-invoice-claims-flow",
"source": "ingester_stripe",
"target": {
"id": "dest_stripe_prod_us_east_1",
"type": "stripe"
}
}' "$ZEN_API_BASE/tenants/$ZEN_TENANT_ID/clusters/$ZEN_PLANE_ID/delivery-flows\""""
RECIPE_LIST = (
    'curl -sS -H "Authorization: Bearer $ZEN_API_TOKEN" '
    '"$ZEN_API_BASE/tenants/$ZEN_TENANT_ID/clusters/$ZEN_PLANE_ID/delivery-flows"'
)

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def run_in_shell(exports: list[str], command: str, env: dict[str, str]) -> tuple[int, dict, int]:
    """Paste the export lines and the command into bash; return (exit code, JSON body, HTTP status).

    The command runs as typed; a ``curl`` shell function only appends ``--write-out`` so the test
    also sees the HTTP status after the body.
    """
    script = "\n".join(
        [
            "curl() { command curl --write-out '\\n%{http_code}' \"$@\"; }",
            *exports,
            command,
        ]
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    body, _, status = done.stdout.rpartition("\n")
    return done.returncode, json.loads(body), int(status)


def assert_timestamp(value: str) -> None:
    assert TIMESTAMP.match(value), value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == UTC.utcoffset(None)
    assert abs(time.time() - parsed.timestamp()) < 300, value


def test_the_recipe_curl_with_the_printed_exports_creates_conflicts_and_lists(tmp_path):
    env = clean_env(tmp_path)
    with CliSandbox("--port", "0", "--db", ":memory:", env=env) as box:
        exports = box.export_lines()
        assert [line.split("=")[0] for line in exports] == [
            "export ZEN_API_BASE",
            "export ZEN_API_TOKEN",
            "export ZEN_TENANT_ID",
            "export ZEN_PLANE_ID",
            "export ZEN_ADAPTER_ID",
        ]

        code, flow, status = run_in_shell(exports, RECIPE_CREATE, env)
        assert (code, status) == (0, 201), flow
        assert set(flow) == {"id", "name", "source", "target", "status", "createdAt", "updatedAt"}
        assert flow["id"].startswith("flow_")
        assert flow["name"] == "production-invoice-claims-flow"
        assert flow["source"] == "ingester_stripe"
        assert flow["target"] == {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
        assert flow["status"] == "active"
        assert_timestamp(flow["createdAt"])
        assert_timestamp(flow["updatedAt"])

        code, error, status = run_in_shell(exports, RECIPE_CREATE, env)
        assert (code, status) == (22, 409), error  # --fail-with-body: exit 22, body still printed
        assert set(error) == {"error", "code", "status", "message", "field", "request_id"}
        assert error["error"] == "ConflictError" and error["status"] == 409
        assert error["code"] == "flow_name_conflict"
        assert error["field"] == "name"
        assert error["request_id"].startswith("req_")

        code, listing, status = run_in_shell(exports, RECIPE_LIST, env)
        assert (code, status) == (0, 200)
        assert listing == {"deliveryFlows": [flow], "hasMore": False, "nextCursor": None, "total": 1}


def test_a_port_in_use_is_one_line_on_stderr_and_exit_1(tmp_path):
    env = clean_env(tmp_path)
    with CliSandbox("--port", "0", "--db", ":memory:", env=env) as first:
        second = subprocess.run(
            [sys.executable, "-m", "zen_nb.cli", "sandbox", "--port", str(first.port), "--db", ":memory:"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert str(first.port) in lines[0]
        assert "Traceback" not in second.stderr + second.stdout
        # The first sandbox is untouched.
        assert requests.get(f"{first.base_url}/health", timeout=10).status_code == 200


def test_ctrl_c_stops_the_sandbox_with_exit_0(tmp_path):
    with CliSandbox("--port", "0", "--db", ":memory:", env=clean_env(tmp_path)) as box:
        session = requests.Session()  # leaves a kept-alive connection open across the Ctrl-C
        assert session.get(f"{box.base_url}/health", timeout=10).status_code == 200
        started = time.monotonic()
        assert box.interrupt(timeout=STOP_TIMEOUT) == 0
        assert time.monotonic() - started < 8
        assert box.stdout.rstrip().endswith("Zen Mesh sandbox stopped.")
        assert "Traceback" not in box.stderr
        session.close()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_a_closed_terminal_stop_the_sandbox_cleanly(tmp_path, how):
    """``kill`` or a supervisor (SIGTERM) and a closed terminal (SIGHUP to the group): exit 0, database closed."""
    database = tmp_path / "sandbox.sqlite3"
    with CliSandbox("--port", "0", "--db", str(database), env=clean_env(tmp_path)) as box:
        token = {"Authorization": "Bearer zen_test_sandbox_demo_token"}
        created = requests.post(
            f"{box.base_url}/tenants/tenant_demo/clusters/plane_dev_us_east_1/delivery-flows",
            headers=token,
            json={
                "name": "kept-flow",
                "source": "ingester_stripe",
                "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        if how == "SIGTERM":
            box.proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(box.proc.pid, signal.SIGHUP)
        assert box._finish(STOP_TIMEOUT) == 0, box.stderr
        assert box.stdout.rstrip().endswith("Zen Mesh sandbox stopped.")
        assert "Traceback" not in box.stderr
    # Closed cleanly: the write-ahead log was checkpointed into the database and removed.
    assert not Path(f"{database}-wal").exists()
    with CliSandbox("--port", "0", "--db", str(database), env=clean_env(tmp_path)) as again:
        flows = requests.get(
            f"{again.base_url}/tenants/tenant_demo/clusters/plane_dev_us_east_1/delivery-flows",
            headers={"Authorization": "Bearer zen_test_sandbox_demo_token"},
            timeout=10,
        ).json()["deliveryFlows"]
    assert [flow["name"] for flow in flows] == ["kept-flow"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME decides the data dir on Linux")
def test_the_default_database_lives_in_the_data_directory(tmp_path):
    env = clean_env(tmp_path)
    home = Path(env["HOME"])
    home.mkdir()
    expected = Path(env["XDG_DATA_HOME"]) / "zen-nb" / "sandbox.sqlite3"
    with CliSandbox("--port", "0", env=env) as box:
        assert f"(database {expected})" in box.stdout
        assert expected.is_file()
        assert requests.get(f"{box.base_url}/health", timeout=10).status_code == 200
        assert box.interrupt() == 0
    assert expected.is_file()
    assert list(home.rglob("*")) == []  # nothing written to the home directory


def test_admin_token_is_honoured(tmp_path):
    with CliSandbox(
        "--port", "0", "--db", ":memory:", "--admin-token", "t0ken-for-tests", env=clean_env(tmp_path)
    ) as box:
        assert "Admin token: t0ken-for-tests" in box.stdout
        url = f"{box.base_url}/_sandbox/reset"
        good = requests.post(url, headers={"Authorization": "Bearer t0ken-for-tests"}, timeout=30)
        assert good.status_code == 200, good.text
        assert good.json()["reset"] is True
        bad = requests.post(url, headers={"Authorization": "Bearer another-token"}, timeout=30)
        assert_error(bad, 401, "unauthenticated")
        assert_error(requests.post(url, timeout=30), 401, "unauthenticated")


@pytest.mark.parametrize("value", ["abc", "10/x", "0/1", "5/0", "-1"])
def test_a_bad_rate_limit_is_an_argparse_error(tmp_path, value):
    done = subprocess.run(
        [sys.executable, "-m", "zen_nb.cli", "sandbox", "--port", "0", "--db", ":memory:", f"--rate-limit={value}"],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 2
    assert "usage: zen-nb sandbox" in done.stderr
    assert "--rate-limit" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_good_rate_limit_is_applied(tmp_path):
    with CliSandbox("--port", "0", "--db", ":memory:", "--rate-limit", "2/3600", env=clean_env(tmp_path)) as box:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer zen_test_sandbox_demo_token"
        url = f"{box.base_url}/tenants/tenant_demo"
        statuses = [session.get(url, timeout=30) for _ in range(3)]
        assert [response.status_code for response in statuses[:2]] == [200, 200]
        assert statuses[0].headers["X-RateLimit-Limit"] == "2"
        assert_error(statuses[2], 429, "rate_limited")
        assert int(statuses[2].headers["Retry-After"]) >= 1
