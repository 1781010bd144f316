"""A sandbox process killed with ``kill -9`` amid a stream of creates under faults loses nothing it acknowledged.

Issue 17, reliability item 4. A user's ``zen-nb sandbox`` is a real process on a SQLite file; the
machine may kill it at any moment (the OOM killer, a closed laptop, ``kill -9``), and SIGKILL runs
no shutdown code at all: no checkpoint, no close. What the API answered 201 to must still be
there after a restart, field for field, and the file must be a sound SQLite database.

The test does what users' notebooks do: ``ZenClient``s built from the banner's ``export`` lines,
with their default retries, create flows one after another (four streams at once, so that several
writes are in flight) while fault rules (503s, lost answers after the commit, a little latency)
fire, and record each flow the client returned. Mid-stream the process is killed by its pid. A
second process on the same file then serves every acknowledged flow as it was acknowledged, no
flow twice, and ``PRAGMA integrity_check`` says ok.
"""

from __future__ import annotations

import os
import shlex
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import requests

from zen_nb import ZenClient, ZenConfig
from zen_nb.errors import ConflictError, ZenError

from processes import STOP_TIMEOUT, CliSandbox, clean_env

FLOWS = "/tenants/*/clusters/*/delivery-flows"
TARGET = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
ACKNOWLEDGED_BEFORE_KILL = 60  # creates answered before the kill: enough that faults fired among them
STREAMS = 4  # notebooks (or threads) creating at once: several writes are in flight when the kill comes
PREFIX = "crash-"

# Seeded, so the run repeats; Retry-After 0 lets urllib3's short backoff pace the retries.
FAULTS = (
    f"status=503,probability=0.15,methods=POST,path={FLOWS},seed=41,retryAfterSeconds=0",
    f"afterCommit=true,drop=true,probability=0.1,methods=POST,path={FLOWS},seed=42",
    f"afterCommit=true,status=503,probability=0.1,methods=POST,path={FLOWS},seed=43,retryAfterSeconds=0",
    f"latencyMs=2,latencySpreadMs=20,methods=POST,path={FLOWS},seed=44",
)


def banner_env(box: CliSandbox) -> dict[str, str]:
    """The five ``ZEN_*`` values of the banner's ``export`` lines, as a shell would read them once pasted."""
    pairs = (shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in box.export_lines())
    return dict(pairs)


def served_flows(box: CliSandbox, env: dict[str, str]) -> list[dict[str, Any]]:
    """Every flow of the demo plane, all pages, over plain HTTP (no retries: nothing is faulted now)."""
    url = f"{box.base_url}/tenants/{env['ZEN_TENANT_ID']}/clusters/{env['ZEN_PLANE_ID']}/delivery-flows"
    headers = {"Authorization": f"Bearer {env['ZEN_API_TOKEN']}"}
    flows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = requests.get(url, headers=headers, params=params, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        flows += body["deliveryFlows"]
        if not body["hasMore"]:
            return flows
        cursor = body["nextCursor"]


class CreateStream(threading.Thread):
    """Creates flows ``crash-{stream}-0``, ``crash-{stream}-1``... through one client until the server is gone.

    ``acknowledged`` holds each flow the client returned (a 201 reached the caller), in order.
    A call that raised before the kill (retries ran out) is simply not acknowledged and the
    stream goes on; the first call that raises after :attr:`killed` is set ends the stream.
    """

    def __init__(self, client: ZenClient, number: int, killed: threading.Event) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.prefix = f"{PREFIX}{number}-"
        self.acknowledged: list[dict[str, Any]] = []
        self.raised_before_kill: list[ZenError] = []
        self.last_error: ZenError | None = None
        self.killed = killed

    def run(self) -> None:
        number = 0
        while True:
            try:
                flow = self.client.create_flow(f"{self.prefix}{number}", "ingester_stripe", TARGET)
            except ZenError as error:
                if self.killed.is_set():
                    self.last_error = error
                    return
                self.raised_before_kill.append(error)
            else:
                self.acknowledged.append(dict(flow))
            number += 1


def fault_hits(box: CliSandbox, admin_token: str) -> dict[str, int]:
    """Each rule's hits so far, by the rule's first field that tells it apart."""
    response = requests.get(
        f"{box.base_url}/_sandbox/faults", headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    rules = body["rules"] if isinstance(body, dict) else body
    return {str(rule["seed"]): rule["hits"] for rule in rules}


def test_every_flow_acknowledged_before_a_kill_9_is_there_after_a_restart_and_the_file_is_sound(tmp_path):
    database = tmp_path / "box.sqlite3"
    admin_token = "zen_sandbox_admin_" + os.urandom(12).hex()
    env = clean_env(tmp_path, ZEN_SANDBOX_ADMIN_TOKEN=admin_token)
    faults = [arg for rule in FAULTS for arg in ("--fault", rule)]
    with CliSandbox("--port", "0", "--db", str(database), *faults, env=env) as box:
        zen = banner_env(box)
        killed = threading.Event()
        streams = [CreateStream(ZenClient(ZenConfig(environ=zen)), number, killed) for number in range(STREAMS)]
        for stream in streams:
            stream.start()
        deadline = time.monotonic() + 90

        def answered() -> int:
            return sum(len(stream.acknowledged) for stream in streams)

        while answered() < ACKNOWLEDGED_BEFORE_KILL and all(stream.is_alive() for stream in streams):
            assert time.monotonic() < deadline, f"only {answered()} creates answered in 90 s"
            time.sleep(0.01)
        hits = fault_hits(box, admin_token)
        killed.set()
        os.kill(box.proc.pid, signal.SIGKILL)  # kill -9, by its pid: no handler, no shutdown, no checkpoint
        assert box._finish(STOP_TIMEOUT) == -signal.SIGKILL
        for stream in streams:
            stream.join(timeout=60)
            assert not stream.is_alive(), "a stream did not end once the server was gone"
            stream.client.close()
    # Faults did fire before the kill: each kind at least once (503, lost after commit by drop and by 503).
    assert all(hits[seed] > 0 for seed in ("41", "42", "43", "44")), hits
    # The kill was in the middle of the stream: the next create found no server, and nothing shut down cleanly.
    assert all(stream.last_error is not None for stream in streams)
    assert Path(f"{database}-wal").exists(), "no write-ahead log left: the process was not killed mid-flight"
    acknowledged = [flow for stream in streams for flow in stream.acknowledged]
    # A lost answer's retry replayed the first answer (its Idempotency-Key), never met its own flow as a 409.
    conflicts = [error for stream in streams for error in stream.raised_before_kill if isinstance(error, ConflictError)]
    assert not conflicts, conflicts
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL

    with CliSandbox("--port", "0", "--db", str(database), env=env) as again:
        # sqlite3 on the file itself, beside the restarted sandbox that has it open.
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.close()
        flows = {flow["id"]: flow for flow in served_flows(again, banner_env(again))}
        # The restarted sandbox serves, and takes new writes.
        headers = {"Authorization": f"Bearer {zen['ZEN_API_TOKEN']}"}
        after = requests.post(
            f"{again.base_url}/tenants/{zen['ZEN_TENANT_ID']}/clusters/{zen['ZEN_PLANE_ID']}/delivery-flows",
            headers=headers,
            json={"name": "after-the-restart", "source": "ingester_stripe", "target": TARGET},
            timeout=30,
        )
        assert after.status_code == 201, after.text

    missing = [flow["name"] for flow in acknowledged if flow["id"] not in flows]
    assert not missing, f"acknowledged, then lost in the kill: {missing}"
    for flow in acknowledged:
        served = flows[flow["id"]]
        assert {key: served.get(key) for key in flow} == flow, f"{flow['name']}: acknowledged {flow}, served {served}"
    # A lost answer replayed by its key made no second flow, before the kill or across it.
    names = [flow["name"] for flow in flows.values() if flow["name"].startswith(PREFIX)]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)
