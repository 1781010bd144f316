"""``load_attempts(workers=N)`` reads time windows at once and ``load_flows`` reads planes at once (issue 19):
the frames equal a sequential load's, row for row, in the same order, dtypes included.

A sandbox of this module's own holds, on the demo plane, a simulated month of traffic with
retries (a few thousand attempts), and on the EU plane a bursty history: everything in one hour
of January, then hundreds of attempts packed into a few milliseconds, so that many share a
millisecond on a window's boundary. Each load is compared with its ``workers=1`` twin.
"""

from __future__ import annotations

import _thread
import threading
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from zen_nb import ZenClient, ZenConfig, parallel_pages
from zen_nb import sandbox as sandbox_pkg
from zen_nb.errors import BadRequestError
from zen_nb.frames import load_attempts, load_flows
from zen_nb.time_windows import Window, millis, split, stamp

from helpers import wait_until
from reliability import private_sandbox, rule

EU = "plane_prod_eu_west_1"
ATTEMPTS = "/tenants/**/delivery-attempts"  # the attempt list's GETs, on either plane
SEED_400 = 77
PACKED_EVENTS = 120


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sandbox_pkg.Sandbox]:
    """A private sandbox with a month of traffic (demo plane) and a bursty one (EU)."""
    with private_sandbox(tmp_path_factory.mktemp("parallel-loads")) as box, user_client(box) as client:
        client.create_flow("month-a", "ingester_stripe", "dest_stripe_prod_us_east_1")
        client.create_flow("month-b", "ingester_github", "dest_slack_ops_alerts")
        client.simulate_traffic(events=900, days=30, seed=19, failure_rate=0.3)
        client.create_flow("eu-a", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane=EU)
        client.simulate_traffic(events=3000, days=1 / 24, seed=20, plane=EU, start="2026-01-01", failure_rate=0.3)
        for number, target in enumerate(("dest_slack_eu_alerts", "dest_s3_eu_archive", "dest_stripe_prod_eu_west_1")):
            client.create_flow(f"eu-fan-{number}", "ingester_stripe", target, plane=EU)
        for number in range(PACKED_EVENTS):  # each event's attempts on its flows share a millisecond
            client.ingest_event("ingester_stripe", {"type": "charge.succeeded", "n": number}, plane=EU)
        settled(client)
        yield box


@pytest.fixture(scope="module")
def zen(box: sandbox_pkg.Sandbox) -> Iterator[ZenClient]:
    """The demo tenant's client as a user builds it (default retries)."""
    with user_client(box) as client:
        yield client


def settled(client: ZenClient) -> None:
    """Wait until the ingested events' deliveries are all made (the API accepts an event before them)."""
    wait_until(
        lambda: load_attempts(client, planes=EU, since="2026-02-01", progress=False),
        lambda frame: len(frame) >= 3 * PACKED_EVENTS and (frame["status"] != "pending").all(),
        deadline=30,
        what="the ingested events' deliveries",
    )


def user_client(box: sandbox_pkg.Sandbox) -> ZenClient:
    return ZenClient(ZenConfig(environ=box.env()))


def assert_same(zen: ZenClient, workers: int = 4, **filters: Any) -> pd.DataFrame:
    """The ``workers`` load equals the sequential one; returns the frame."""
    sequential = load_attempts(zen, progress=False, **filters)
    parallel = load_attempts(zen, progress=False, workers=workers, **filters)
    pd.testing.assert_frame_equal(parallel, sequential, check_exact=True)
    assert parallel.equals(sequential)
    return sequential


def test_a_month_of_traffic_loads_the_same_on_four_threads_with_retries_in_it(zen):
    frame = assert_same(zen)
    assert len(frame) > 2000 and (frame["attempt_number"] > 1).any()
    assert frame["created_at"].is_monotonic_increasing
    assert parallel_pages.last_load.windows >= 8  # really cut in windows (no more than its ~10 pages)


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "failed"},
        {"since": "2026-01-01T00:02:00Z", "until": "2026-01-01T00:08:00.5Z", "planes": EU},
        {"since": "2026-01-01T00:05:00.500Z", "planes": EU},
        {"until": "2026-01-01T00:05:00Z", "planes": EU},
        {"planes": "all", "status": "succeeded"},
    ],
    ids=["status", "since-until", "since", "until", "all-planes-status"],
)
def test_filtered_loads_are_the_same(zen, filters):
    assert len(assert_same(zen, **filters)) > 0


def test_filtered_by_flow_and_target(zen):
    first = load_attempts(zen, progress=False).iloc[0]
    assert len(assert_same(zen, flow=first["flow_id"])) > 0
    assert len(assert_same(zen, target=first["target_id"], workers=8)) > 0


def test_an_empty_list_and_a_list_of_one(zen):
    empty = assert_same(zen, since="2030-01-01")
    assert empty.empty and list(empty.columns) == list(load_attempts(zen, progress=False).columns)
    first = load_attempts(zen, progress=False).iloc[0]
    one = assert_same(zen, since=first["created_at"], until=first["created_at"] + pd.Timedelta(milliseconds=1))
    assert len(one) >= 1


def test_a_bursty_history_is_split_while_read_and_still_the_same(zen, caplog):
    with caplog.at_level("DEBUG", logger="zen_nb.parallel_pages"):
        frame = assert_same(zen, planes=EU, workers=4)
    assert parallel_pages.last_load.splits > 0, "one hour of a long window was never split"
    assert any("split a window" in record.getMessage() for record in caplog.records)
    same_ms = frame["created_at"].value_counts()
    assert same_ms.max() >= 3  # attempts share a millisecond: a boundary among them would drop or double


def test_cuts_inside_a_packed_millisecond_range_neither_drop_nor_double(zen):
    frame = load_attempts(zen, progress=False, planes=EU, since="2026-02-01")
    low, high = frame["created_at"].iloc[0], frame["created_at"].iloc[-1] + pd.Timedelta(milliseconds=1)
    assert (high - low) < pd.Timedelta(seconds=5)  # a few ms wide: every cut is on a crowded millisecond
    for workers in (2, 3, 8):
        assert_same(zen, planes=EU, since=low, until=high, workers=workers)


def test_several_planes_read_at_once_in_plane_order(zen):
    frame = assert_same(zen, planes="all", workers=8)
    planes = frame["flow_id"].map(load_flows(zen, planes="all", progress=False).set_index("id")["plane_id"])
    assert planes.iloc[0] != planes.iloc[-1]  # both planes, the demo plane's first
    flows = load_flows(zen, planes="all", progress=False)
    pd.testing.assert_frame_equal(flows, load_flows(zen, planes="all", progress=False, workers=1))
    both = [EU, "plane_dev_us_east_1"]
    assert load_flows(zen, planes=both, progress=False, workers=2).equals(load_flows(zen, planes=both, workers=1))


def test_never_more_requests_in_flight_than_workers(zen):
    send, lock, counts = zen._http.send, threading.Lock(), {"now": 0, "most": 0, "all": 0}

    def counted(*args: Any, **kwargs: Any) -> Any:
        with lock:
            counts["now"] += 1
            counts["all"] += 1
            counts["most"] = max(counts["most"], counts["now"])
        try:
            return send(*args, **kwargs)
        finally:
            with lock:
                counts["now"] -= 1

    zen._http.send = counted
    try:
        load_attempts(zen, progress=False, planes="all", workers=3)
    finally:
        del zen._http.send
    assert counts["most"] == 3 and counts["all"] > 12


def test_the_v1_dialect_loads_the_same_in_windows(box):
    with ZenClient(ZenConfig(environ={**box.env(), "ZEN_API_BASE": box.env()["ZEN_API_BASE"] + "/v1"})) as v1:
        assert v1.dialect.newest_first
        frame = assert_same(v1, planes=EU, workers=4)
        assert len(frame) > 1000 and parallel_pages.last_load.splits == 0
        assert_same(v1, planes=EU, since="2026-01-01T00:02:00Z", until="2026-01-01T00:09:00Z", status="failed")


def test_faults_on_the_attempt_list_leave_the_frame_as_a_clean_load(box, zen, caplog):
    clean = load_attempts(zen, progress=False, planes="all")
    rules = [
        rule("503", 0.1, 71, methods=["GET"], path=ATTEMPTS, count=40),
        rule("429", 0.1, 72, methods=["GET"], path=ATTEMPTS, count=40, retryAfterSeconds=1),
        rule("drop", 0.08, 73, methods=["GET"], path=ATTEMPTS, count=30),
        rule("latency", 0.1, 74, methods=["GET"], path=ATTEMPTS, count=40),
    ]
    with box.faults(*rules) as faults:
        faulted = load_attempts(zen, progress=False, planes="all", workers=6)
        hits = [found["hits"] for found in faults.rules]
    pd.testing.assert_frame_equal(faulted, clean, check_exact=True)
    assert faulted.equals(clean) and all(count > 0 for count in hits), hits


@pytest.mark.slow
def test_five_503s_in_a_row_on_the_first_request_are_outlasted_as_a_sequential_load_outlasts_them(box, zen):
    """The probe of where the list begins gets the page resumes of any page: urllib3's retries are
    spent on the five, and the page is fetched again, as a sequential load's first page is."""
    clean = load_attempts(zen, progress=False)
    with box.faults(rule("503", 1.0, 75, methods=["GET"], path=ATTEMPTS, count=5, retryAfterSeconds=0)) as faults:
        faulted = load_attempts(zen, progress=False, workers=4)
        assert faults.rules[0]["hits"] == 5
    pd.testing.assert_frame_equal(faulted, clean, check_exact=True)


def test_a_4xx_in_a_window_raises_the_typed_error_and_no_thread_is_left(box, zen):
    before = {thread.ident for thread in threading.enumerate()}
    # seeded: the first GET (the probe of where the list begins) passes, a window's GET is a 400 for good
    refused = rule("400", 0.5, SEED_400, methods=["GET"], path=ATTEMPTS, count=6)
    with box.faults(refused) as faults:
        with pytest.raises(BadRequestError):
            load_attempts(zen, progress=False, workers=4)
        assert faults.rules[0]["hits"] >= 1 and parallel_pages.last_load.windows > 1
    left = [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("zen-window")]
    assert not left


@pytest.mark.parametrize(("workers", "error"), [(0, ValueError), (-2, ValueError), (2.5, TypeError), (True, TypeError)])
def test_workers_must_be_a_positive_whole_number(zen, workers, error):
    with pytest.raises(error, match="workers"):
        load_attempts(zen, progress=False, workers=workers)


def test_windows_meet_on_whole_milliseconds():
    windows = split("p", 1000, 1010, 4)
    assert [(w.start, w.end) for w in windows] == [(1000, 1002), (1002, 1005), (1005, 1007), (1007, 1010)]
    assert windows[0].open_start and windows[-1].open_end and not windows[1].open_start
    assert millis(stamp(1_700_000_000_123)) == 1_700_000_000_123
    window = Window("p", 0, 100)
    kept, done = window.keep([{"createdAt": stamp(10)}, {"createdAt": stamp(20)}], full=True)
    later = window.bisect()
    assert (window.end, later.start, later.end) == (60, 60, 100) and len(kept) == 2 and not done
    kept, done = window.keep([{"createdAt": stamp(59)}, {"createdAt": stamp(60)}])
    assert len(kept) == 1 and done


def test_a_cut_on_a_crowded_millisecond_neither_drops_nor_doubles_its_attempts(zen):
    packed = load_attempts(zen, progress=False, planes=EU, since="2026-02-01")
    stamps = packed["created_at"].map(lambda moment: int(moment.value // 1_000_000))
    first = int(stamps.iloc[0])
    crowded = stamps[stamps >= stamps.iloc[len(stamps) // 2]].value_counts()
    middle = int(crowded[crowded >= 3].index.min())  # a millisecond with several attempts, mid-list
    until = first + 2 * (middle - first)  # two windows cut at (first + until) // 2: on that millisecond
    frame = assert_same(zen, planes=EU, since=stamp(first), until=stamp(until), workers=2)
    assert parallel_pages.last_load.windows >= 2 and (stamps == middle).sum() >= 3 and len(frame) > 250


def test_ctrl_c_stops_the_load_and_leaves_no_thread(box, zen):
    slow = rule("latency", 1.0, 81, methods=["GET"], path=ATTEMPTS, latencyMs=500, latencySpreadMs=0)
    with box.faults(slow):
        threading.Timer(1.5, _thread.interrupt_main).start()  # the user's Ctrl-C, while windows are in flight
        with pytest.raises(KeyboardInterrupt):
            load_attempts(zen, progress=False, planes="all", workers=4)
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("zen-window")]
    assert parallel_pages.last_load.windows >= 4


def test_the_progress_bar_closes_with_the_rows_of_the_parallel_load(zen, capsys):
    frame = load_attempts(zen, progress=True, workers=4)
    assert f"Loaded {len(frame):,} attempts" in capsys.readouterr().out
