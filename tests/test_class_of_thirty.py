"""A class of 30 trainees, all at once: each solves every exercise with its own token, in its own thread.

This is the room the training issue describes: ``zen-nb class start --trainees 30`` in a process of
its own, thirty tenants, everyone working at the same moment. Each trainee joins with its code, then
solves the exercises as the answer key does (``class_session.solve_every_exercise``, the session the
class load benchmark runs too), through ``ZenClient``, ``load_flows`` / ``load_attempts`` and
``zen_nb.exercises``. Then: every check passed for everyone; nobody reached another's objects; the
progress table and the board say the same; and resetting one trainee leaves the other 29 exactly as
they were.

The latency of every HTTP call of the trainees is printed (run with ``-s`` to read it); it is not
asserted: timing goals are met in benchmarks, not tests.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

import zen_nb
from zen_nb import ZenClient, ZenConfig, exercises

from class_session import Timings, every_flow, solve_every_exercise
from processes import CliClass, clean_env

TRAINEES = 30
pytestmark = pytest.mark.slow


class Room:
    """What a trainer has once ``zen-nb class start`` runs: the address, the admin token, the roster's rows."""

    def __init__(self, base_url: str, admin_token: str, trainees: list[dict[str, Any]]) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.trainees = trainees


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    """``zen-nb class start --trainees 30`` in a process of its own (as a trainer runs it, and so that the
    trainees' threads here never share an interpreter with the server), each trainee joined with the
    code the roster CSV gives it."""
    db = tmp_path / "class.sqlite3"
    with CliClass("--trainees", str(TRAINEES), "--port", "0", "--db", str(db), env=clean_env(tmp_path)) as started:
        with (tmp_path / "class-roster.csv").open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert len(rows) == TRAINEES
        trainees = []
        for row in rows:
            env: dict[str, str] = {}
            joined = zen_nb.join(row["join_code"], started.base_url, environ=env)
            assert joined.tenant_id == row["tenant_id"] and env["ZEN_API_TOKEN"] == row["token"]
            trainees.append(
                {"trainee": row["trainee"], "tenantId": row["tenant_id"], "joinCode": row["join_code"], "env": env}
            )
        yield Room(started.base_url, started.admin_token, trainees)


def _admin_get(box: Room, path: str) -> requests.Response:
    return requests.get(
        f"{box.base_url}/_sandbox/{path}", headers={"Authorization": f"Bearer {box.admin_token}"}, timeout=30
    )


def test_thirty_trainees_at_once_each_pass_every_exercise_alone_and_a_reset_touches_one(room: Room) -> None:
    box, trainees = room, room.trainees
    api_timings, check_timings = Timings(), Timings()
    with ThreadPoolExecutor(max_workers=TRAINEES) as pool:
        futures = [pool.submit(solve_every_exercise, t["env"], api_timings, check_timings) for t in trainees]
        results = [future.result(timeout=240) for future in futures]

    # Every check passed, for everyone.
    for trainee, result in zip(trainees, results, strict=True):
        for name in exercises.names():
            assert result[name].passed, f"{trainee['trainee']}: {name}: {result[name]!r}"

    # Nobody reaches another's objects: another tenant's path is a 403, another's flow id a 404 on one's own.
    first, second = trainees[0], trainees[1]
    with ZenClient(ZenConfig(environ=second["env"])) as theirs_client:
        their_plane, their_flow = next(iter(every_flow(theirs_client)))
    with ZenClient(ZenConfig(environ=first["env"])) as mine:
        theirs = f"{box.base_url}/tenants/{second['tenantId']}/clusters/plane_dev_us_east_1/delivery-flows"
        headers = {"Authorization": f"Bearer {first['env']['ZEN_API_TOKEN']}"}
        assert requests.get(theirs, headers=headers, timeout=10).status_code == 403
        patched = requests.patch(f"{theirs}/{their_flow['id']}", json={"status": "paused"}, headers=headers, timeout=10)
        assert patched.status_code == 403
        with pytest.raises(zen_nb.NotFoundError):
            mine.get_flow(their_flow["id"], plane=their_plane)

    # The progress table and the board agree: every trainee, every exercise, passed.
    progress = _admin_get(box, "class/progress").json()
    assert [row["trainee"] for row in progress["trainees"]] == [t["trainee"] for t in trainees]
    assert all(cell["passed"] for row in progress["trainees"] for cell in row["exercises"].values())
    frame = zen_nb.class_progress(admin_token=box.admin_token, api_base=box.base_url)
    assert list(frame.index) == [t["trainee"] for t in trainees]
    assert frame[exercises.names()].notna().all().all()
    board = _admin_get(box, "class").text
    for trainee in trainees:
        assert trainee["trainee"] in board
        assert trainee["env"]["ZEN_API_TOKEN"] not in board
        assert trainee["joinCode"].replace("-", "") not in board.replace("-", "")
    assert board.count("✓") >= TRAINEES * len(exercises.names())

    # A reset of one trainee brings it back to the seed and leaves the other 29 as they were.
    before = {row["trainee"]: row for row in progress["trainees"]}
    reset = requests.post(
        f"{box.base_url}/_sandbox/class/trainees/{trainees[6]['trainee']}/reset",
        headers={"Authorization": f"Bearer {box.admin_token}"},
        timeout=30,
    )
    assert reset.status_code == 200, reset.text
    after = {row["trainee"]: row for row in _admin_get(box, "class/progress").json()["trainees"]}
    for index, (trainee, result) in enumerate(zip(trainees, results, strict=True)):
        with ZenClient(ZenConfig(environ=trainee["env"])) as client:
            flows = sorted((plane, row["name"], row["status"]) for plane, row in every_flow(client))
        if index == 6:
            assert flows == [], "a trainee reset to the seed has no flow"
            assert not any(cell["passed"] for cell in after[trainee["trainee"]]["exercises"].values())
        else:
            assert flows == result["flows"]
            assert after[trainee["trainee"]] == before[trainee["trainee"]]
    assert not exercises.check("create-a-target", config=ZenConfig(environ=trainees[6]["env"])).passed

    shown = pd.Series(api_timings.seconds) * 1000
    checks = pd.Series(check_timings.seconds) * 1000
    print(
        f"\n{TRAINEES} trainees at once: {len(shown)} API calls, p50 {shown.quantile(0.5):.1f} ms, "
        f"p95 {shown.quantile(0.95):.1f} ms, max {shown.max():.1f} ms; {len(checks)} checks and prepares, "
        f"p50 {checks.quantile(0.5):.1f} ms, p95 {checks.quantile(0.95):.1f} ms"
    )
