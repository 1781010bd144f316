"""``zen-nb class`` as a trainer runs it: a real class process, the roster CSV, the other commands beside it.

One class of three (``class_box``) serves the tests that only add to it or touch one trainee
each (a join, a reset, a revoke, a check), so that the suite starts few sandboxes; the restart
test starts its own, three times on one database, stopped each time another way. The commands
that must refuse run to their end, with a port held by the test where binding would show (a
refusal must come before anything is bound: had it bound, it would fail with "port in use",
exit 1). Every subprocess gets HOME and XDG_DATA_HOME under a tmp folder and no ZEN_* variables.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from zen_nb.exercise_catalog import PLANE_ID, TARGET_NAME, TARGET_URL

from helpers import assert_error
from processes import STOP_TIMEOUT, CliClass, clean_env

HEADER = ["trainee", "tenant_id", "token", "base_url", "join_code", "plane_id", "adapter_id"]
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
OWN_TOKEN = "zen_admin_own_" + "k3y" * 8


def read_roster(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == HEADER
        return list(reader)


def class_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m zen_nb.cli class ARGS`` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "zen_nb.cli", "class", *args], capture_output=True, text=True, env=env, timeout=60
    )


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The command failed with ``code``: nothing on stdout, one line on stderr (returned), no traceback."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def join(base_url: str, code: str) -> requests.Response:
    return requests.post(f"{base_url}/_sandbox/class/join", json={"code": code}, timeout=30)


def tenant_api(base_url: str, row: dict[str, str]) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {row['token']}"
    session.base = f"{base_url}/tenants/{row['tenant_id']}/clusters/{PLANE_ID}"  # type: ignore[attr-defined]
    return session


def create_flow(base_url: str, row: dict[str, str], name: str) -> None:
    api = tenant_api(base_url, row)
    created = api.post(
        f"{api.base}/delivery-flows",  # type: ignore[attr-defined]
        json={
            "name": name,
            "source": "ingester_stripe",
            "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text


def flow_names(base_url: str, row: dict[str, str]) -> list[str]:
    api = tenant_api(base_url, row)
    listing = api.get(f"{api.base}/delivery-flows", timeout=30)  # type: ignore[attr-defined]
    assert listing.status_code == 200, listing.text
    return [flow["name"] for flow in listing.json()["deliveryFlows"]]


def assert_no_secret(text: str, rows: list[dict[str, str]], admin_token: str | None = None) -> None:
    for row in rows:
        assert row["token"] not in text
    if admin_token:
        assert admin_token not in text


@pytest.fixture(scope="module")
def class_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return clean_env(tmp_path_factory.mktemp("class-home"))


@pytest.fixture(scope="module")
def class_box(tmp_path_factory: pytest.TempPathFactory, class_env: dict[str, str]) -> Iterator[tuple[CliClass, Path]]:
    """One class of three, serving for this module's tests; its database path."""
    db = tmp_path_factory.mktemp("class") / "room.sqlite3"
    with CliClass("--trainees", "3", "--port", "0", "--db", str(db), env=class_env) as box:
        yield box, db
        assert box.interrupt() == 0, box.stderr


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port this test listens on at 127.0.0.1: a command that bound it would fail with exit 1."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


# --- the class of three -------------------------------------------------------------------------


def test_start_writes_a_private_roster_and_prints_where_everything_is(class_box):
    box, db = class_box
    roster = db.with_name("room-roster.csv")
    assert stat.S_IMODE(roster.stat().st_mode) == 0o600
    rows = read_roster(roster)
    assert [row["trainee"] for row in rows] == ["trainee-01", "trainee-02", "trainee-03"]
    assert len({row["tenant_id"] for row in rows}) == 3 and all(r["tenant_id"].startswith("tenant_") for r in rows)
    assert len({row["token"] for row in rows}) == 3
    assert all(row["base_url"] == box.base_url for row in rows)
    assert all(CODE.match(row["join_code"]) for row in rows), rows
    out = box.stdout
    assert f"Roster:      {roster}" in out
    assert f"Board:       {box.base_url}/_sandbox/class" in out
    assert "Trainees:    3 (kept 0, added 3)" in out
    assert box.admin_token.startswith("zen_admin_")  # generated, on loopback: shown as zen-nb sandbox shows it
    assert "zen_nb.setup()" in out and f'zen_nb.join("THEIR-CODE", "{box.base_url}")' in out
    assert_no_secret(out + box.stderr, rows)
    assert not any(row["join_code"] in out for row in rows)  # codes are in the roster only


def test_a_trainee_joins_with_the_code_from_the_roster_and_the_roster_command_shows_no_token(class_box, class_env):
    box, db = class_box
    rows = read_roster(db.with_name("room-roster.csv"))
    first = rows[0]
    joined = join(box.base_url, first["join_code"].lower().replace("-", ""))  # as people type codes
    assert joined.status_code == 200, joined.text
    body = joined.json()
    assert (body["trainee"], body["tenantId"], body["token"]) == ("trainee-01", first["tenant_id"], first["token"])
    assert (
        requests.get(
            f"{box.base_url}/tenants/{first['tenant_id']}",
            headers={"Authorization": f"Bearer {body['token']}"},
            timeout=30,
        ).status_code
        == 200
    )

    done = class_cli("roster", "--db", str(db), env=class_env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Class in {db}: 3 trainees, 1 joined"
    line_01 = next(line for line in lines if "trainee-01" in line)
    assert first["tenant_id"] in line_01 and first["join_code"] in line_01 and line_01.rstrip().endswith("Z")
    assert next(line for line in lines if "trainee-02" in line).rstrip().endswith("no")
    assert str(db.with_name("room-roster.csv")) in done.stdout  # where the tokens are
    assert_no_secret(done.stdout + done.stderr, rows, box.admin_token)


def test_resetting_one_trainee_while_the_class_runs_leaves_the_others_untouched(class_box, class_env):
    box, db = class_box
    rows = read_roster(db.with_name("room-roster.csv"))
    first, second = rows[0], rows[1]
    create_flow(box.base_url, first, "kept-by-01")
    create_flow(box.base_url, second, "gone-from-02")
    done = class_cli("reset", "TRAINEE-02", "--db", str(db), env=class_env)  # names regardless of case
    assert done.returncode == 0, done.stderr
    assert "trainee-02" in done.stdout
    assert_no_secret(done.stdout + done.stderr, rows)
    assert flow_names(box.base_url, second) == []
    assert flow_names(box.base_url, first) == ["kept-by-01"]
    assert read_roster(db.with_name("room-roster.csv")) == rows  # same tokens and codes after a reset


def test_revoke_and_new_code_change_the_roster_and_the_old_code_answers_410(class_box, class_env):
    box, db = class_box
    path = db.with_name("room-roster.csv")
    before = read_roster(path)[2]
    done = class_cli("revoke", "trainee-03", "--db", str(db), env=class_env)
    assert done.returncode == 0, done.stderr
    revoked = read_roster(path)[2]
    # The code's token goes with it (whoever joined with the code holds it): the CSV has the new one.
    assert revoked["join_code"] == "" and revoked["token"] != before["token"]
    assert revoked["tenant_id"] == before["tenant_id"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert_error(join(box.base_url, before["join_code"]), 410, "join_code_revoked")

    done = class_cli("new-code", "trainee-03", "--db", str(db), env=class_env)
    assert done.returncode == 0, done.stderr
    renewed = read_roster(path)[2]
    assert CODE.match(renewed["join_code"]) and renewed["join_code"] != before["join_code"]
    assert renewed["join_code"] in done.stdout  # the trainer asked for it, to hand it out
    assert_no_secret(done.stdout + done.stderr, [renewed])
    joined = join(box.base_url, renewed["join_code"])
    assert joined.status_code == 200 and joined.json()["token"] == renewed["token"] == revoked["token"]
    assert_error(join(box.base_url, before["join_code"]), 410, "join_code_revoked")

    done = class_cli("new-code", "trainee-03", "--db", str(db), env=class_env)  # a new code revokes the last one
    assert done.returncode == 0, done.stderr
    assert_error(join(box.base_url, renewed["join_code"]), 410, "join_code_revoked")


def test_progress_shows_a_tick_once_a_check_passes(class_box, class_env):
    box, db = class_box
    rows = read_roster(db.with_name("room-roster.csv"))
    first = rows[0]
    api = tenant_api(box.base_url, first)
    check = f"{box.base_url}/_sandbox/class/exercises/create-a-target/check"
    failed = api.post(check, timeout=30)
    assert failed.status_code == 200, failed.text
    assert failed.json()["passed"] is False
    before = class_cli("progress", "--db", str(db), env=class_env)
    assert before.returncode == 0, before.stderr
    assert "✓" not in before.stdout

    target = api.post(
        f"{api.base}/targets",  # type: ignore[attr-defined]
        json={"name": TARGET_NAME, "type": "http", "url": TARGET_URL},
        timeout=30,
    )
    assert target.status_code == 201, target.text
    passed = api.post(check, timeout=30)
    assert passed.status_code == 200 and passed.json()["passed"] is True, passed.text

    done = class_cli("progress", "--db", str(db), env=class_env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("trainee "))
    assert header.split()[:8] == ["trainee", "joined", "1", "2", "3", "4", "5", "6"]
    assert next(line for line in lines if line.startswith("trainee-01")).split()[1:4] == ["yes", "✓", "·"]
    assert next(line for line in lines if line.startswith("trainee-02")).split()[2] == "·"
    assert next(line for line in lines if line.startswith("passed by")).split()[2] == "1"
    assert "1 create-a-target" in done.stdout
    assert_no_secret(done.stdout + done.stderr, rows, box.admin_token)


def test_an_unknown_trainee_and_a_missing_argument_are_one_line(class_box, class_env):
    _, db = class_box
    for args in (("reset", "nobody"), ("revoke", "nobody"), ("new-code", "nobody")):
        line = one_line_error(class_cli(*args, "--db", str(db), env=class_env))
        assert "'nobody'" in line and "zen-nb class roster" in line, line
    line = one_line_error(class_cli("reset", "--db", str(db), env=class_env))
    assert "--all" in line
    line = one_line_error(class_cli("revoke", "trainee-01", "--all", "--db", str(db), env=class_env))
    assert "not both" in line


# --- a class that outlives its process -----------------------------------------------------------


def test_a_restarted_class_keeps_every_trainee_token_and_code(tmp_path):
    """Three starts on the default database (in the data folder, under tmp_path here), each stopped another way."""
    env = clean_env(tmp_path)
    with CliClass("--trainees", "3", "--port", "0", env=env) as first:
        db = Path(re.search(r"\(database (.+)\)", first.stdout).group(1))  # type: ignore[union-attr]
        assert db.name == "class.sqlite3" and tmp_path in db.parents, db
        assert "In another terminal: zen-nb class roster|" in first.stdout and "--db" not in first.stdout
        assert first.interrupt() == 0, first.stderr  # Ctrl-C
        assert first.stdout.rstrip().endswith("Zen Mesh class stopped.")
        assert "Traceback" not in first.stderr
    roster = db.with_name("class-roster.csv")
    rows = read_roster(roster)
    same = [(r["trainee"], r["tenant_id"], r["token"], r["join_code"]) for r in rows]

    with CliClass("--port", "0", env=env) as second:  # no --trainees: the class in the database
        assert "Trainees:    3 (kept 3, added 0)" in second.stdout
        listed = class_cli("roster", env=env)  # the same default database
        assert listed.returncode == 0 and listed.stdout.startswith(f"Class in {db}: 3 trainees"), listed
        again = read_roster(roster)
        assert [(r["trainee"], r["tenant_id"], r["token"], r["join_code"]) for r in again] == same
        assert {r["base_url"] for r in again} == {second.base_url}
        assert join(second.base_url, rows[1]["join_code"]).json()["token"] == rows[1]["token"]
        added = requests.post(
            f"{second.base_url}/_sandbox/class/trainees",
            json={"names": ["Grace"]},
            headers={"Authorization": f"Bearer {second.admin_token}"},
            timeout=30,
        )
        assert added.status_code == 201, added.text
        # A trainee added over HTTP is in the roster at once: the routes have the CSV rewritten.
        grace = read_roster(roster)[-1]
        assert (grace["trainee"], grace["token"]) == ("Grace", added.json()["trainees"][0]["token"])
        second.proc.send_signal(signal.SIGTERM)
        assert second._finish(STOP_TIMEOUT) == 0, second.stderr
        assert second.stdout.rstrip().endswith("Zen Mesh class stopped.")
    # ... and still there once the class has stopped (the CSV is written again from the database then).
    assert [r["trainee"] for r in read_roster(roster)] == ["trainee-01", "trainee-02", "trainee-03", "Grace"]

    names = tmp_path / "names.txt"
    names.write_text("# the room\ntrainee-02\n\nAda Lovelace\n")
    with CliClass(
        "--roster", str(names), "--port", "0", "--db", str(db), "--base-url", "http://class.example", env=env
    ) as third:
        port = third.base_url.rsplit(":", 1)[1]
        assert "Trainees:    5 (kept 4, added 1)" in third.stdout
        assert f"Base URL:    http://class.example:{port}" in third.stdout
        latest = read_roster(roster)
        assert [r["trainee"] for r in latest] == ["trainee-01", "trainee-02", "trainee-03", "Grace", "Ada Lovelace"]
        assert [(r["trainee"], r["tenant_id"], r["token"], r["join_code"]) for r in latest[:3]] == same
        assert {r["base_url"] for r in latest} == {f"http://class.example:{port}"}
        # --base-url's host is served; other names still are not.
        health = f"{third.base_url}/health"
        assert requests.get(health, headers={"Host": f"class.example:{port}"}, timeout=30).status_code == 200
        assert_error(requests.get(health, headers={"Host": "other.example"}, timeout=30), 403, "host_not_allowed")
        os.killpg(third.proc.pid, signal.SIGHUP)  # the terminal closed
        assert third._finish(STOP_TIMEOUT) == 0, third.stderr


# --- refusals ------------------------------------------------------------------------------------


def test_no_class_and_no_trainees_is_a_usage_error_that_creates_nothing(tmp_path, held_port):
    db = tmp_path / "fresh.sqlite3"
    line = one_line_error(class_cli("start", "--port", str(held_port), "--db", str(db), env=clean_env(tmp_path)))
    assert line.startswith("zen-nb class start: ") and "no class" in line and "--trainees N" in line, line
    assert "--roster FILE" in line
    assert not db.exists()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read"),
        ("# only a comment\n\n", "names no trainee"),
        ("ada\n-bad name\n", "line 2"),
        ("ada\nbob\nAda\n", "line 3"),
    ],
)
def test_a_bad_roster_file_is_refused_before_anything_is_bound_or_written(tmp_path, held_port, content, says):
    names = tmp_path / "names.txt"
    if content is not None:
        names.write_text(content)
    db = tmp_path / "room.sqlite3"
    done = class_cli(
        "start", "--roster", str(names), "--port", str(held_port), "--db", str(db), env=clean_env(tmp_path)
    )
    line = one_line_error(done)
    assert str(names) in line and says in line, line
    if content and "Ada" in content:
        assert "line 1" in line  # the first time the name was given
    assert not db.exists() and not db.with_name("room-roster.csv").exists()


def test_start_refusals_are_one_line(tmp_path, held_port):
    env = clean_env(tmp_path)
    db = str(tmp_path / "room.sqlite3")
    port = str(held_port)
    line = one_line_error(class_cli("start", "--trainees", "3", "--db", ":memory:", "--port", port, env=env))
    assert ":memory:" in line and "--db" in line
    line = one_line_error(class_cli("start", "--trainees", "3", "--base-url", "ftp://x", "--db", db, env=env))
    assert "--base-url" in line and "http://" in line
    line = one_line_error(class_cli("start", "--trainees", "3", "--base-url", "http://h/x", "--db", db, env=env))
    assert "no path" in line
    # Beyond loopback: the same refusal as zen-nb sandbox.
    line = one_line_error(
        class_cli("start", "--trainees", "3", "--host", "0.0.0.0", "--port", port, "--db", db, env=env)
    )
    assert line.startswith("zen-nb class start: refusing") and "generated admin token" in line, line
    own = clean_env(tmp_path, ZEN_SANDBOX_ADMIN_TOKEN=OWN_TOKEN)
    line = one_line_error(
        class_cli("start", "--trainees", "3", "--host", "0.0.0.0", "--port", port, "--db", db, env=own)
    )
    assert "--base-url" in line, line  # every interface is no address trainees can use
    assert not Path(db).exists()
    # With --base-url, every check passes: it gets as far as the port (held by this test), exit 1.
    done = class_cli(
        "start",
        "--trainees",
        "3",
        "--host",
        "0.0.0.0",
        "--port",
        port,
        "--db",
        db,
        "--base-url",
        "http://10.0.0.5",
        env=own,
    )
    line = one_line_error(done, code=1)
    assert f"port {port}" in line and "in use" in line, line
    assert not Path(db).exists()  # bound before the database is opened
    assert OWN_TOKEN not in done.stderr


def test_the_other_commands_refuse_a_missing_file_and_a_database_without_a_class(tmp_path):
    env = clean_env(tmp_path)
    missing = tmp_path / "nowhere.sqlite3"
    for command in (("roster",), ("progress",), ("reset", "--all"), ("revoke", "--all"), ("new-code", "ada")):
        line = one_line_error(class_cli(*command, "--db", str(missing), env=env))
        assert str(missing) in line and "zen-nb class start --trainees N" in line, line
    assert not missing.exists()

    from zen_nb.sandbox.server import open_store

    plain = tmp_path / "sandbox.sqlite3"
    open_store(plain).close()  # a sandbox's database, without a class
    line = one_line_error(class_cli("roster", "--db", str(plain), env=env))
    assert "holds no class" in line and "zen-nb class start" in line, line
    other = tmp_path / "other.txt"
    other.write_text("not a database")
    line = one_line_error(class_cli("progress", "--db", str(other), env=env), code=1)
    assert str(other) in line
    # start: a database without a class needs --trainees or --roster; a file that is no database is exit 1.
    line = one_line_error(class_cli("start", "--port", "0", "--db", str(plain), env=env))
    assert "no class" in line and "--trainees N" in line, line
    line = one_line_error(class_cli("start", "--trainees", "2", "--port", "0", "--db", str(other), env=env), code=1)
    assert str(other) in line and other.read_text() == "not a database", line


# --- the roster file alone -----------------------------------------------------------------------


def test_the_roster_file_is_private_from_its_first_byte_and_replaced_whole(tmp_path, monkeypatch):
    from zen_nb.sandbox import roster_file

    path = tmp_path / "room-roster.csv"
    path.write_text("old\n")
    path.chmod(0o644)  # a roster a user made readable: rewritten private
    seen = []
    real_replace = os.replace

    def replace(source, target):
        seen.append((stat.S_IMODE(os.stat(source).st_mode), Path(target).read_text()))
        real_replace(source, target)

    monkeypatch.setattr(roster_file.os, "replace", replace)
    previous = os.umask(0)  # whatever the umask, the new file is 0600
    try:
        rows = [
            roster_file.RosterRow("Ada O'Neil", "tenant_a", "zen_test_secret_a", "ABCD-EFGH", "plane_a", "adapter_a"),
            roster_file.RosterRow("bob", "tenant_b", "zen_test_secret_b", None, "plane_a", "adapter_a"),
        ]
        roster_file.write_roster(path, rows, "http://127.0.0.1:1")
    finally:
        os.umask(previous)
    assert seen == [(0o600, "old\n")]  # private before it took the roster's name; the old one whole until then
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_roster(path) == [
        {
            "trainee": "Ada O'Neil",
            "tenant_id": "tenant_a",
            "token": "zen_test_secret_a",
            "base_url": "http://127.0.0.1:1",
            "join_code": "ABCD-EFGH",
            "plane_id": "plane_a",
            "adapter_id": "adapter_a",
        },
        {
            "trainee": "bob",
            "tenant_id": "tenant_b",
            "token": "zen_test_secret_b",
            "base_url": "http://127.0.0.1:1",
            "join_code": "",
            "plane_id": "plane_a",
            "adapter_id": "adapter_a",
        },
    ]
    assert roster_file.read_base_url(path) == "http://127.0.0.1:1"
    assert [p.name for p in tmp_path.iterdir()] == ["room-roster.csv"]  # no temporary file left
    assert "zen_test_secret_a" not in repr(rows[0])
    assert roster_file.roster_path(tmp_path / "class.sqlite3") == tmp_path / "class-roster.csv"
