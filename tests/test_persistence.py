"""A file database keeps what the sandbox acknowledged: across Ctrl-C, across ``kill -9``, and in-process.

The CLI tests run real ``zen-nb sandbox`` processes (the :class:`CliSandbox` helper of
``test_cli.py``) on free loopback ports with ``--db`` in ``tmp_path``, and each test stops the
processes it started. The in-process tests use ``zen_nb.sandbox.start``; among them, delivery
attempts survive a restart, and one that was pending when the sandbox stopped becomes ``interrupted``.
"""

from __future__ import annotations

import signal
import threading
import time

import requests

from zen_nb import sandbox as sandbox_pkg

from deliveries import (
    DEADLINE,
    SLACK,
    STRIPE,
    attempts,
    flow_action,
    http_target,
    ingest_ok,
    make_flow,
    settled,
    wait_attempts,
)
from helpers import Api, set_retry_schedule, wait_until
from processes import CliSandbox, clean_env

FLOWS = "{plane}/delivery-flows"


def api_for(box: CliSandbox) -> Api:
    """The demo tenant's API on a sandbox process."""
    return Api(sandbox_pkg.Sandbox(None, "127.0.0.1", box.port, admin_token=""))


def seed_snapshot(api: Api) -> dict[str, list[dict]]:
    """What the seed made (plus anything added since), as the API lists it."""
    return {
        "planes": api.all_pages("clusters"),
        "adapters": api.all_pages("{plane}/adapters"),
        "ingesters": api.all_pages("{plane}/ingesters"),
        "targets": api.all_pages("{plane}/targets"),
    }


def test_a_clean_restart_keeps_flows_and_does_not_reseed(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    env = clean_env(tmp_path)
    with CliSandbox("--port", "0", "--db", db, env=env) as box:
        api = api_for(box)
        target = api.post("{plane}/targets", json={"name": "kept-target", "type": "slack"})
        assert target.status_code == 201, target.text
        # A new target reads as provisioning for its first second: compare it once it is active.
        wait_until(
            lambda: api.get(f"{{plane}}/targets/{target.json()['id']}").json()["status"],
            lambda status: status == "active",
            deadline=30,
            what="the new target active",
        )
        flows = []
        for name in ("kept-one", "kept-two", "kept-three"):
            response = api.create_flow(name, description=f"the {name} flow")
            assert response.status_code == 201, response.text
            flows.append(response.json())
        paused = api.post(f"{FLOWS}/{flows[1]['id']}/pause")
        assert paused.status_code == 200, paused.text
        flows[1] = paused.json()
        before = seed_snapshot(api)
        assert box.interrupt() == 0

    with CliSandbox("--port", "0", "--db", db, env=env) as box:
        api = api_for(box)
        for flow in flows:
            response = api.get(f"{FLOWS}/{flow['id']}")
            assert response.status_code == 200, response.text
            assert response.json() == flow
        assert api.all_pages(FLOWS) == flows
        after = seed_snapshot(api)
        assert after == before  # same rows, same createdAt: neither duplicated nor reset
        ids = [target["id"] for target in after["targets"]]
        assert len(ids) == len(set(ids)) and "kept-target" in {t["name"] for t in after["targets"]}
        assert box.interrupt() == 0


def _writer(base_url: str, prefix: str, acked: list[tuple[str, str]], stop: threading.Event) -> None:
    """POST flows named ``prefix-N`` until told to stop or the server goes away; record each 201."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sandbox_pkg.DEMO_TOKEN}"
    url = f"{base_url}/tenants/{sandbox_pkg.DEMO_TENANT_ID}/clusters/{sandbox_pkg.DEMO_PLANE_ID}/delivery-flows"
    n = 0
    while not stop.is_set():
        name = f"{prefix}-{n}"
        n += 1
        body = {
            "name": name,
            "source": "ingester_stripe",
            "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
        }
        try:
            response = session.post(url, json=body, timeout=10)
        except requests.RequestException:
            return  # the server died with this request in flight
        if response.status_code == 201:
            acked.append((response.json()["id"], name))


def test_kill_9_during_creates_loses_no_acknowledged_flow(tmp_path, record_property):
    db = str(tmp_path / "sandbox.sqlite3")
    env = clean_env(tmp_path)
    acked: list[tuple[str, str]] = []
    stop = threading.Event()
    with CliSandbox("--port", "0", "--db", db, "--rate-limit", "1000000/1", env=env) as box:
        writers = [
            threading.Thread(target=_writer, args=(box.base_url, f"crash-w{i}", acked, stop), daemon=True)
            for i in range(4)
        ]
        try:
            for writer in writers:
                writer.start()
            time.sleep(1.5)
            box.proc.send_signal(signal.SIGKILL)
            assert box.proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            stop.set()
            for writer in writers:
                writer.join(timeout=30)
        assert not any(writer.is_alive() for writer in writers)
    acknowledged = list(acked)
    record_property("acknowledged_flows", len(acknowledged))
    print(f"\n{len(acknowledged)} flows acknowledged before kill -9")
    assert len(acknowledged) > 0

    # The rate limit out of reach here too: a fast machine acknowledges hundreds of creates, and
    # reading each of them back must not meet a 429 before the last create.
    with CliSandbox("--port", "0", "--db", db, "--rate-limit", "1000000/1", env=env) as box:
        api = api_for(box)
        for flow_id, name in acknowledged:
            response = api.get(f"{FLOWS}/{flow_id}")
            assert response.status_code == 200, (flow_id, name, response.text)
            assert response.json()["name"] == name
        listed = api.all_pages(FLOWS, limit=250)
        ids = [flow["id"] for flow in listed]
        names = [flow["name"] for flow in listed]
        assert len(ids) == len(set(ids))
        assert len(names) == len(set(names))
        assert {flow_id for flow_id, _ in acknowledged} <= set(ids)
        # Still writable after the crash.
        assert api.create_flow("after-the-crash").status_code == 201
        assert box.interrupt() == 0


def test_in_process_stop_and_start_on_the_same_path_keeps_data(tmp_path):
    db = tmp_path / "inproc.sqlite3"
    with sandbox_pkg.start(db=db) as box:
        created = Api(box).create_flow("in-process-flow")
        assert created.status_code == 201, created.text
        flow = created.json()
    box.stop()  # a second stop is harmless
    with sandbox_pkg.start(db=db) as box:
        response = Api(box).get(f"{FLOWS}/{flow['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == flow
        assert [f["id"] for f in Api(box).all_pages(FLOWS)] == [flow["id"]]


def test_in_process_memory_databases_are_independent():
    with sandbox_pkg.start(db=":memory:") as first, sandbox_pkg.start(db=":memory:") as second:
        assert first.port != second.port
        one, two = Api(first), Api(second)
        assert one.create_flow("only-in-first").status_code == 201
        assert two.all_pages(FLOWS) == []
        assert two.create_flow("only-in-first").status_code == 201  # no conflict: another database
        assert one.create_flow("only-in-second").status_code == 201
        assert [f["name"] for f in one.all_pages(FLOWS)] == ["only-in-first", "only-in-second"]
        assert [f["name"] for f in two.all_pages(FLOWS)] == ["only-in-first"]


# -- delivery attempts across a restart ------------------------------------------------------


def test_attempts_survive_a_restart_and_a_pending_one_becomes_interrupted(tmp_path, hook):
    hook.gate = threading.Event()  # the hook never answers while the first sandbox runs
    db = tmp_path / "delivery.sqlite3"
    with sandbox_pkg.start(db=db) as box:
        api = Api(box)
        set_retry_schedule(api, [0.5])  # stored in the database: the restarted sandbox keeps it
        target = http_target(api, "hanging-hook", hook.url)
        hanging = make_flow(api, "hanging-flow", target)
        quick = make_flow(api, "quick-flow", STRIPE)
        waiting = flow_action(api, make_flow(api, "waiting-flow", SLACK), "pause")
        event = ingest_ok(api, {"kept": "ü"})
        assert [d["state"] for d in event["deliveries"]] == ["queued", "queued", "held"]
        assert hook.arrived.wait(DEADLINE)
        before = wait_attempts(api, lambda found: any(a["status"] == "succeeded" for a in found) and len(found) == 2)
        by_flow = {a["flowId"]: a for a in before}
        assert by_flow[hanging["id"]]["status"] == "pending"
        assert by_flow[quick["id"]]["status"] == "succeeded"

    hook.gate = None  # from now on the hook answers at once
    with sandbox_pkg.start(db=db) as box:
        api = Api(box)
        after = attempts(api)[: len(before)]
        assert [a["id"] for a in after] == [a["id"] for a in before]
        assert {a["flowId"]: a for a in after}[quick["id"]] == by_flow[quick["id"]]
        interrupted = {a["flowId"]: a for a in after}[hanging["id"]]
        assert (interrupted["status"], interrupted["errorCode"], interrupted["responseStatus"]) == (
            "failed",
            "interrupted",
            None,
        )
        assert interrupted["createdAt"] == by_flow[hanging["id"]]["createdAt"]
        # The held delivery of the paused flow survived too: resuming delivers it.
        flow_action(api, waiting, "resume")
        resumed = wait_attempts(api, settled(1), flowId=waiting["id"])
        assert (resumed[0]["eventId"], resumed[0]["trigger"], resumed[0]["status"]) == (
            event["id"],
            "resume",
            "succeeded",
        )
        # The interrupted delivery goes on: its next attempt is made on the stored schedule.
        retried = wait_attempts(api, settled(2), flowId=hanging["id"])
        assert [(a["attemptNumber"], a["trigger"], a["status"]) for a in retried] == [
            (1, "initial", "failed"),
            (2, "automatic", "succeeded"),
        ]
        assert len(hook.requests) == 2  # the first, which never answered, and its retry
