"""What the idempotency keys keep is bounded (issue 13, finding 3): only answers of requests that
did something, for 24 hours, within a share per token.

Each test starts a sandbox of its own on a file database, so that the rows and the bytes the
keys take can be read from the file itself (``PRAGMA page_count`` less the free list). The day
that must pass is the keys' clock moved forward (``idempotency.clock``), and the shares are set
small (``data.idempotency.LIMITS``) so that a few hundred requests reach them: a real day, or
ten thousand keys, do not fit in a test. Everything else is real HTTP on loopback.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox import idempotency
from zen_nb.sandbox.data import Store
from zen_nb.sandbox.data import idempotency as keys

from helpers import Api, admin_post, assert_error

DAY = 24 * 3600
FAN_OUT = [  # several targets: a plan feature, refused (403) on the demo tenant's plan
    {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
    {"id": "dest_stripe_staging_us_east_1", "type": "stripe"},
]
FLOW = {
    "name": "growth-flow",
    "source": "ingester_stripe",
    "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "keys.sqlite3"


@pytest.fixture
def box(db: Path) -> Iterator[sandbox_pkg.Sandbox]:
    with sandbox_pkg.start(port=0, db=db, rate_limit=(1_000_000, 1)) as started:
        yield started


def key_rows(db: Path) -> int:
    """How many idempotency keys the database holds (read beside the running sandbox, in WAL mode)."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM idempotency_keys").fetchone()[0]


def used_bytes(db: Path) -> int:
    """The bytes the database's pages hold: every page but the free ones."""
    with closing(sqlite3.connect(db)) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return (pages - free) * conn.execute("PRAGMA page_size").fetchone()[0]


def keyed(key: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


def smaller(monkeypatch: pytest.MonkeyPatch, **changes: int) -> None:
    """Make the keys' shares smaller for one test. The code before the fix had no shares: it is
    left as it is, and its tests then fail on what they check."""
    limits = getattr(keys, "LIMITS", None)
    if limits is not None:
        monkeypatch.setattr(keys, "LIMITS", dataclasses.replace(limits, **changes))


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the keys' clock ``seconds`` ahead. ``raising=False``: the code before the fix had no
    such clock, and its tests then fail on what they check, not on the patch."""
    real = time.time
    monkeypatch.setattr(idempotency, "clock", lambda: real() + seconds, raising=False)


def pause_path(api: Api) -> str:
    """A POST that runs and answers 200 each time without adding a row: pausing one flow."""
    created = api.create_flow("paused-flow")
    assert created.status_code == 201, created.text
    return f"{{plane}}/delivery-flows/{created.json()['id']}/pause"


# -- answers of requests that did nothing are not stored ------------------------------------------


def test_a_404_is_not_stored_so_the_same_key_is_answered_afresh(api):
    body = {**FLOW, "name": "nowhere-flow"}
    first = api.post("clusters/plane_nowhere/delivery-flows", json=body, headers=keyed("key-404"))
    assert_error(first, 404, "plane_not_found")
    again = api.post("clusters/plane_nowhere/delivery-flows", json=body, headers=keyed("key-404"))
    assert_error(again, 404, "plane_not_found")
    assert "Idempotent-Replayed" not in again.headers
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    # Fixed (the plane id corrected), the request runs under the same key.
    fixed = api.post("{plane}/delivery-flows", json=body, headers=keyed("key-404"))
    assert fixed.status_code == 201, fixed.text


def test_a_409_is_not_stored_so_the_key_works_once_the_conflict_is_gone(api):
    taken = api.create_flow("growth-flow")
    assert taken.status_code == 201, taken.text
    first = api.post("{plane}/delivery-flows", json=FLOW, headers=keyed("key-409"))
    assert_error(first, 409, "flow_name_conflict")
    assert api.delete(f"{{plane}}/delivery-flows/{taken.json()['id']}").status_code == 204
    retried = api.post("{plane}/delivery-flows", json=FLOW, headers=keyed("key-409"))
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    replay = api.post("{plane}/delivery-flows", json=FLOW, headers=keyed("key-409"))
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.content == retried.content


def test_requests_that_did_nothing_leave_no_key_behind(box, db):
    api = Api(box)
    flow = api.create_flow("growth-flow").json()
    before = used_bytes(db)
    for number in range(200):
        assert api.post("clusters/plane_nowhere/delivery-flows", json=FLOW, headers=keyed()).status_code == 404
        assert api.post("{plane}/delivery-flows", json=FLOW, headers=keyed()).status_code == 409
        event = api.post("{plane}/ingesters/ingester_nobody/events", json={"n": number}, headers=keyed())
        assert event.status_code == 404
        fan_out = {"name": f"fan-{number}", "source": "ingester_stripe", "targets": FAN_OUT}
        assert_error(api.post("{plane}/delivery-flows", json=fan_out, headers=keyed()), 403, "plan_upgrade_required")
    assert key_rows(db) == 0, "800 requests that changed nothing left their keys"
    assert used_bytes(db) - before < 64 * 1024
    assert api.get(f"{{plane}}/delivery-flows/{flow['id']}").status_code == 200


# -- keys expire in bulk --------------------------------------------------------------------------


def test_keys_expire_in_bulk_a_day_later_though_their_clients_never_come_back(box, db, monkeypatch):
    api = Api(box)
    path = pause_path(api)
    empty = used_bytes(db)
    old_keys = [str(uuid.uuid4()) for _ in range(300)]
    for key in old_keys:
        assert api.post(path, headers=keyed(key)).status_code == 200
    assert key_rows(db) == 300
    full = used_bytes(db)
    assert full > empty

    later(monkeypatch, DAY + 120)
    # A day later, any request with a key of its own (here: another client's) sweeps the old ones.
    fresh = api.post(path, headers=keyed())
    assert fresh.status_code == 200
    assert key_rows(db) == 1, "keys older than 24 h stayed in the database"
    assert used_bytes(db) < empty + (full - empty) / 10
    # An expired key is a new request: it runs again, and is not a replay.
    again = api.post(path, headers=keyed(old_keys[0]))
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers


def test_a_day_of_keys_is_swept_in_bounded_batches(db):
    """The sweep deletes at most a batch of rows per call, and says when it left some."""
    store = Store(db)
    try:
        with store.transaction() as conn:
            for number in range(2_500):
                keys.claim(conn, "t" * 64, f"k{number}", now=1_000.0)
        limits = dataclasses.replace(keys.Limits(), sweep_batch=1_000)
        results = []
        for _ in range(4):
            with store.transaction() as conn:
                results.append(keys.sweep(conn, now=1_000.0 + DAY + 1, limits=limits))
    finally:
        store.close()
    assert [(swept.expired, swept.more) for swept in results] == [(1000, True), (1000, True), (500, False), (0, False)]
    assert key_rows(db) == 0


# -- shares: keys per token, bytes per answer -----------------------------------------------------


def test_a_tokens_oldest_keys_give_way_past_its_share_and_other_tokens_keep_theirs(box, db, monkeypatch):
    smaller(monkeypatch, keys_per_token=50)
    monkeypatch.setattr(idempotency, "SWEEP_EVERY_CLAIMS", 10, raising=False)
    api = Api(box)
    created = admin_post(box, "tenants", json={"plan": "team", "seed": True})
    assert created.status_code == 201, created.text
    other = Api(box, token=created.json()["token"], tenant_id=created.json()["id"])
    other_path, path = pause_path(other), pause_path(api)
    other_keys = [str(uuid.uuid4()) for _ in range(5)]
    for key in other_keys:
        assert other.post(other_path, headers=keyed(key)).status_code == 200
    flood = [str(uuid.uuid4()) for _ in range(300)]
    for key in flood:
        assert api.post(path, headers=keyed(key)).status_code == 200
    assert key_rows(db) <= 5 + 50 + 10, "one token's keys grew past its share"
    newest = api.post(path, headers=keyed(flood[-1]))
    assert newest.headers.get("Idempotent-Replayed") == "true"
    oldest = api.post(path, headers=keyed(flood[0]))
    assert "Idempotent-Replayed" not in oldest.headers
    for key in other_keys:
        assert other.post(other_path, headers=keyed(key)).headers.get("Idempotent-Replayed") == "true"


def test_an_answer_too_large_to_keep_is_not_run_twice(box, db, monkeypatch):
    smaller(monkeypatch, answer_bytes=100)
    api = Api(box)
    first = api.post("{plane}/delivery-flows", json=FLOW, headers=keyed("key-large"))
    assert first.status_code == 201 and len(first.content) > 100, first.text
    retried = api.post("{plane}/delivery-flows", json=FLOW, headers=keyed("key-large"))
    error = assert_error(retried, 409, "idempotency_answer_too_large", "Idempotency-Key")
    assert "already ran" in error["message"] and first.headers["Location"] in error["message"]
    assert retried.headers["Location"] == first.headers["Location"]
    assert [flow["name"] for flow in api.all_pages("{plane}/delivery-flows")] == ["growth-flow"]
    with closing(sqlite3.connect(db)) as conn:
        [(body,)] = conn.execute("SELECT body FROM idempotency_keys").fetchall()
    assert body is None
