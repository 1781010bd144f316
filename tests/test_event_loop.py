"""Nothing slow runs on the server's event loop: a long write never stalls the requests around it.

The write lock is held on purpose, from the test, through the running sandbox's own store (a
long transaction cannot be produced on demand over HTTP). While it is held, ``/health`` answers
at once; on a file database an authenticated read answers at once too (each worker thread reads
through a connection of its own); a write waits for the lock, and then succeeds. And with every
worker thread taken by a write waiting for that lock, a GET of one resource still answers at
once on a file database: its token, plane and row are read on the event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg

from helpers import Api

HELD_SECONDS = 3.0
PROMPT = 0.5  # what "at once" means here, on a busy 2-core machine


@contextmanager
def write_lock_held(box: sandbox_pkg.Sandbox, seconds: float = HELD_SECONDS) -> Iterator[None]:
    """Hold the sandbox's write transaction (as a long simulate chunk or a slow write would) for a while."""
    store = box._server.store  # type: ignore[attr-defined] - the running server's own store
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction():
            taken.set()
            release.wait(seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def _timed(call) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


@pytest.fixture(params=["file", "memory"])
def box(request, tmp_path) -> Iterator[sandbox_pkg.Sandbox]:
    db = tmp_path / "loop.sqlite3" if request.param == "file" else ":memory:"
    with sandbox_pkg.start(port=0, db=db) as started:
        yield started


def test_health_answers_at_once_while_authenticated_requests_wait_for_the_write_lock(box):
    api = Api(box)
    flow = api.create_flow("during-a-long-write").json()
    waiting: list[requests.Response] = []
    with write_lock_held(box):
        # Requests that need the writer queue on worker threads; the event loop stays free.
        writers = [
            threading.Thread(target=lambda n=n: waiting.append(api.create_flow(f"queued-{n}"))) for n in range(4)
        ]
        for thread in writers:
            thread.start()
        time.sleep(0.2)  # let them reach the lock
        health, health_took = _timed(lambda: requests.get(f"{box.base_url}/health", timeout=30))
        assert health.status_code == 200
        assert health_took < PROMPT, f"/health took {health_took:.2f} s behind a held write lock"
        if box._server.store.in_memory:  # type: ignore[attr-defined]
            assert all(thread.is_alive() for thread in writers)  # they really are waiting
        else:
            # A file database reads beside the writer: authentication, the plane and the flow.
            read, read_took = _timed(lambda: api.get(f"{{plane}}/delivery-flows/{flow['id']}"))
            assert read.status_code == 200, read.text
            assert read_took < PROMPT, f"a flow GET took {read_took:.2f} s behind a held write lock"
    for thread in writers:
        thread.join(30)
    assert sorted(response.status_code for response in waiting) == [201] * 4


WORKER_THREADS = 40  # anyio's default limit of worker threads, which FastAPI's plain-def routes share


def test_point_reads_answer_while_every_worker_thread_waits_for_the_write_lock(box):
    api = Api(box)
    flow = api.create_flow("read-on-the-loop").json()
    answers: list[int] = []
    with write_lock_held(box, seconds=15):
        writers = [
            threading.Thread(target=lambda n=n: answers.append(Api(box).create_flow(f"blocked-{n}").status_code))
            for n in range(WORKER_THREADS + 8)
        ]
        for thread in writers:
            thread.start()
        time.sleep(1.5)  # every worker thread is now inside a create, waiting for the lock
        # A list runs on a worker thread: there is none free, so it waits (this proves the setup).
        with pytest.raises(requests.Timeout):
            api.get("{plane}/delivery-flows", timeout=PROMPT)
        if box._server.store.in_memory:  # type: ignore[attr-defined]
            # :memory: reads take the writer's lock: a point read gives way to a worker thread.
            assert all(thread.is_alive() for thread in writers)
        else:
            target = "{plane}/targets/dest_stripe_prod_us_east_1"
            point_reads = (f"{{plane}}/delivery-flows/{flow['id']}", "{plane}", target)
            for path in point_reads:
                read, read_took = _timed(lambda path=path: api.get(path, timeout=10))
                assert read.status_code == 200, read.text
                assert read_took < PROMPT, f"GET {path} took {read_took:.2f} s with every worker thread taken"
            missing, _ = _timed(lambda: api.get("{plane}/delivery-flows/flow_missing", timeout=10))
            assert missing.status_code == 404 and missing.json()["code"] == "flow_not_found"
    for thread in writers:
        thread.join(60)
    assert answers == [201] * (WORKER_THREADS + 8)
    # Once the writes are through, the point read that gave way answers as before.
    assert api.get(f"{{plane}}/delivery-flows/{flow['id']}").json()["id"] == flow["id"]
