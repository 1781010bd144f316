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

Each create carries an ``idempotency_key=`` of its own from the start, as the client's docstring
tells a user who must call again: the calls the kill cut off are then called again on the
restarted process with the same key, and each gives exactly one flow with its name: a replay
when the first commit landed before the kill (its idempotency record survived with it), a new
create otherwise. A random kill lands between a create's commit and its key's stored answer only
now and then; the second test kills the process at exactly that instant, every time.
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

import pytest
import requests

from zen_nb import ZenClient, ZenConfig
from zen_nb.errors import ConflictError, ZenError

from processes import STOP_TIMEOUT, CliSandbox, clean_env

FLOWS = "/tenants/*/clusters/*/delivery-flows"
TARGET = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
ACKNOWLEDGED_BEFORE_KILL = 60  # creates answered before the kill: enough that faults fired among them
STREAMS = 4  # notebooks (or threads) creating at once: several writes are in flight when the kill comes
PREFIX = "crash-"

# The first three rules fire on the first three creates (probability 1, count 1), whatever the
# threads' order: each kind of fault surely happens before the kill. The seeded ones after them
# add a repeatable mix; Retry-After 0 lets urllib3's short backoff pace the retries.
SURE_FAULTS = (
    f"status=503,count=1,methods=POST,path={FLOWS},retryAfterSeconds=0",
    f"afterCommit=true,drop=true,count=1,methods=POST,path={FLOWS}",
    f"afterCommit=true,status=503,count=1,methods=POST,path={FLOWS},retryAfterSeconds=0",
)
FAULTS = SURE_FAULTS + (
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

    Each create's name is also its ``idempotency_key=``, so that it can be called again safely.
    ``acknowledged`` holds each flow the client returned (a 201 reached the caller), in order.
    A call that raised before the kill (retries ran out) is simply not acknowledged and the
    stream goes on; the first call that raises after :attr:`killed` is set ends the stream, and
    :attr:`cut_off` is its name (and key), to call again after the restart.
    """

    def __init__(self, client: ZenClient, number: int, killed: threading.Event) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.prefix = f"{PREFIX}{number}-"
        self.acknowledged: list[dict[str, Any]] = []
        self.raised_before_kill: list[ZenError] = []
        self.last_error: ZenError | None = None
        self.cut_off: str | None = None
        self.killed = killed

    def run(self) -> None:
        number = 0
        while True:
            name = f"{self.prefix}{number}"
            try:
                flow = self.client.create_flow(name, "ingester_stripe", TARGET, idempotency_key=name)
            except ZenError as error:
                if self.killed.is_set():
                    self.last_error, self.cut_off = error, name
                    return
                self.raised_before_kill.append(error)
            else:
                self.acknowledged.append(dict(flow))
            number += 1


def fault_hits(box: CliSandbox, admin_token: str) -> list[int]:
    """Each rule's hits so far, in the order of :data:`FAULTS` (the order the rules were added)."""
    response = requests.get(
        f"{box.base_url}/_sandbox/faults", headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    rules = body["rules"] if isinstance(body, dict) else body
    assert len(rules) == len(FAULTS), rules
    return [rule["hits"] for rule in rules]


class LostIdempotencyRecord(AssertionError):
    """A flow survived a kill -9 but its Idempotency-Key's record did not: calling again is a 409."""


def call_again(client: ZenClient, name: str, served: dict[str, dict[str, Any]]) -> str:
    """Call a create the kill cut off again, with its first key: "replayed", "created" or "answer lost".

    ``served`` is the restarted sandbox's flows by name, before this call: a flow already there
    means the first call's commit landed before the kill, so its stored answer must come back
    (the same flow), or, when the kill fell between the commit and the storing of the answer, a
    409 ``idempotency_answer_lost`` that refuses to run it twice; else the call creates it now.
    Any other 409 for a flow that is there means the flow survived the kill but its idempotency
    record did not: a bug, named so.
    """
    try:
        flow = client.create_flow(name, "ingester_stripe", TARGET, idempotency_key=name)
    except ConflictError as error:
        if error.code == "idempotency_answer_lost" and name in served:
            return "answer lost"
        raise LostIdempotencyRecord(
            f"{name}: called again with its first Idempotency-Key after the restart, it met its own flow "
            f"{served.get(name, {}).get('id')} as a 409: the flow's commit survived the kill -9, its "
            f"idempotency record did not ({error})"
        ) from error
    assert flow["name"] == name, flow
    if name in served:
        assert flow["id"] == served[name]["id"], f"{name}: the replay is {flow['id']}, the flow is {served[name]['id']}"
        return "replayed"
    return "created"


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
    # Faults did fire before the kill: each kind (503, lost after commit by drop and by 503) exactly
    # once by its sure rule, and the latency rule on most of the rest.
    assert hits[: len(SURE_FAULTS)] == [1] * len(SURE_FAULTS) and hits[-1] > 0, hits
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
        by_name = {flow["name"]: flow for flow in flows.values()}
        # Each call the kill cut off, called again with its first key: one flow each, replayed or new.
        with ZenClient(ZenConfig(environ=banner_env(again))) as client:
            outcomes = [call_again(client, stream.cut_off, by_name) for stream in streams if stream.cut_off]
        again_flows = served_flows(again, banner_env(again))
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
    assert len(outcomes) == STREAMS, outcomes
    for stream in streams:
        assert [flow["name"] for flow in again_flows].count(stream.cut_off) == 1, stream.cut_off
    # Which happened, for the record (pytest -s, -rP): each is right.
    print(
        f"calls cut off by the kill, called again: {outcomes.count('replayed')} replayed, "
        f"{outcomes.count('created')} created, {outcomes.count('answer lost')} refused as answer lost"
    )


# Put on the first sandbox's PYTHONPATH only: the process kills itself (SIGKILL, as kill -9 does)
# at the one instant a random kill hits only now and then, after a create's transaction has
# committed its flow and before its Idempotency-Key's answer is stored.
KILL_BEFORE_THE_ANSWER_IS_STORED = """
import os, signal
from zen_nb.sandbox.data import idempotency as _keys

def _killed_first(db, token_sha256, key, answer):
    os.kill(os.getpid(), signal.SIGKILL)

_keys.finish = _killed_first
"""


def test_a_create_killed_after_its_commit_and_before_its_answer_is_stored_is_not_run_twice_after_the_restart(
    tmp_path,
):
    """The one instant a random kill hits only now and then: the flow is committed, its key's answer
    not yet stored. The key noted the commit in the flow's own transaction, so calling again is a
    409 ``idempotency_answer_lost`` (with its fix), not a second run nor a name conflict."""
    patch = tmp_path / "patch"
    patch.mkdir()
    (patch / "sitecustomize.py").write_text(KILL_BEFORE_THE_ANSWER_IS_STORED)
    database = tmp_path / "box.sqlite3"
    env = clean_env(tmp_path)
    killing = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(patch), env.get("PYTHONPATH")])))
    name = "crash-in-the-window"
    with CliSandbox("--port", "0", "--db", str(database), env=killing) as box:
        with ZenClient(ZenConfig(environ=banner_env(box))) as client:
            with pytest.raises(ZenError):
                client.create_flow(name, "ingester_stripe", TARGET, idempotency_key=name)
        assert box._finish(STOP_TIMEOUT) == -signal.SIGKILL, "the patch did not kill the sandbox"

    with CliSandbox("--port", "0", "--db", str(database), env=env) as again:
        zen = banner_env(again)
        landed = [flow for flow in served_flows(again, zen) if flow["name"] == name]
        assert len(landed) == 1, "the create's commit did not land before the kill: the patch missed the window"
        with ZenClient(ZenConfig(environ=zen)) as client:
            assert call_again(client, name, {name: landed[0]}) == "answer lost"
            with pytest.raises(ConflictError) as refused:
                client.create_flow(name, "ingester_stripe", TARGET, idempotency_key=name)
        assert refused.value.code == "idempotency_answer_lost" and "do not call it again" in refused.value.fix
        assert [flow["name"] for flow in served_flows(again, zen)].count(name) == 1
