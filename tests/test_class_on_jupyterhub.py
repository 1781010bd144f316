"""A class on a real JupyterHub: each hub user's server starts as their trainee, and no one else gets one.

``zen-nb class start --roster ... --hub-config`` runs as a trainer runs it, and a JupyterHub
(pip's ``jupyterhub``, npm's ``configurable-http-proxy``, local process servers) loads the config
it wrote, as it is. Three trainees log in through the hub's form with their names and join codes;
their servers are started through the hub's REST API; in a kernel of each (over the proxy and
the kernel's websocket, as JupyterLab talks to it), the code of exercise 01 runs with no join and
no token typed. Each kernel is its trainee's tenant, sees nothing of the others' work, and passes
the check. A code revoked while its trainee's server runs locks them out until a new code. A
second hub keeps its own (dummy) login, with users of its own: the trainees get in by name, the
hub's own user keeps getting in, and a user who is no trainee is refused a server with the
message that says so. No trainee's token is in either hub's log (at DEBUG, the servers' logs
included), database, or the config file.

Skipped only when the proxy is not installed (the reason says how to install it).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from zen_nb.exercise_catalog import TARGET_NAME

from hub_process import DUMMY_LOGIN, PASSWORD, PROXY_MISSING, LoopbackHub, proxy_command
from kernel_channel import execute, start_kernel
from processes import CliClass, lab_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(proxy_command() is None, reason=PROXY_MISSING),
]

ROSTER = ["Ada Lovelace", "Grace Hopper", "O'Brien"]
HUB_USERS = ["ada-lovelace", "grace-hopper", "obrien"]

# In a trainee's kernel: who the kernel is, what it sees, then exercise 01 solved and checked. It prints
# one JSON line and never the token.
SESSION = """
import json, os, requests, zen_nb
from zen_nb import exercises
from zen_nb.exercise_catalog import TARGET_NAME, TARGET_URL
seen = {{"tenant_env": os.environ.get("ZEN_TENANT_ID"), "plane_env": os.environ.get("ZEN_PLANE_ID"),
        "base_env": os.environ.get("ZEN_API_BASE"), "adapter_env": os.environ.get("ZEN_ADAPTER_ID")}}
with zen_nb.ZenClient() as client:
    seen["tenant"] = client.get_tenant()["id"]
    seen["targets_before"] = sorted(t["name"] for t in client.list_targets())
    seen["check_before"] = exercises.check("create-a-target").passed
    client.create_target(name=TARGET_NAME, type="http", url=TARGET_URL)
    seen["check_after"] = exercises.check("create-a-target").passed
other = {other_tenant!r}
theirs = f"{{os.environ['ZEN_API_BASE']}}/tenants/{{other}}/clusters/{{os.environ['ZEN_PLANE_ID']}}/targets"
answer = requests.get(theirs, headers={{"Authorization": "Bearer " + os.environ["ZEN_API_TOKEN"]}}, timeout=30)
seen["other_tenant_status"] = answer.status_code
print(json.dumps(seen))
"""


@dataclass
class Room:
    """The class as its trainer runs it, and every token it has handed out (to look for them in the hubs' files)."""

    cls: CliClass
    db: Path
    env: dict[str, str]
    tokens: set[str] = field(default_factory=set)

    def rows(self) -> dict[str, dict[str, str]]:
        with self.db.with_name("class-roster.csv").open(newline="", encoding="utf-8") as file:
            rows = {row["trainee"]: row for row in csv.DictReader(file)}
        self.tokens |= {row["token"] for row in rows.values()}
        return rows

    def command(self, *args: str) -> None:
        """Another ``zen-nb class`` command on the class's database while it serves, as a trainer types it."""
        done = subprocess.run(
            [sys.executable, "-m", "zen_nb.cli", "class", *args, "--db", str(self.db)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    folder = tmp_path_factory.mktemp("class")
    names = folder / "names.txt"
    names.write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
    db = folder / "class.sqlite3"
    env = lab_env(folder)
    with CliClass("--roster", str(names), "--port", "0", "--db", str(db), "--hub-config", env=env) as cls:
        assert f"Hub config:  {db.with_name('class-jupyterhub_config.py')}" in cls.stdout
        yield Room(cls, db, env)


@pytest.fixture(scope="module")
def class_hub(room: Room, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackHub]:
    """A hub whose config is the one ``--hub-config`` wrote, and nothing else of the class's (its login too)."""
    with LoopbackHub(
        tmp_path_factory.mktemp("class-hub"), room.db.with_name("class-jupyterhub_config.py"), room.env
    ) as hub:
        yield hub


def _run_session(hub: LoopbackHub, user: str, other_tenant: str) -> dict[str, Any]:
    server = f"{hub.url}/user/{user}"
    kernel = start_kernel(server, hub.headers)
    printed = execute(server, kernel, hub.headers, SESSION.format(other_tenant=other_tenant))
    return json.loads(printed.strip().splitlines()[-1])


def test_three_trainees_log_in_with_their_codes_and_each_server_starts_as_its_trainee(
    room: Room, class_hub: LoopbackHub
) -> None:
    hub, rows = class_hub, room.rows()
    login_page = requests.get(f"{hub.url}/hub/login", timeout=30).text
    assert "your password is your join code" in login_page  # the page says how to log in
    for name, user in zip(ROSTER, HUB_USERS, strict=True):
        code = rows[name]["join_code"]
        answer = hub.login(user, code.lower().replace("-", " "))  # typed as a join forgives it
        assert answer.status_code == 302, f"{user}: {answer.status_code} {answer.text[:300]}"
        assert "jupyterhub-session-id" in answer.session.cookies.keys(), user  # type: ignore[attr-defined]
    # Nobody else gets in: a wrong code, another trainee's code, another spelling of a name, a name off the roster.
    ada_code, grace_code = rows["Ada Lovelace"]["join_code"], rows["Grace Hopper"]["join_code"]
    for user, password in [
        ("ada-lovelace", "0000-0000"),
        ("ada-lovelace", grace_code),
        ("ada.lovelace", ada_code),
        ("eve", ada_code),
        ("ada-lovelace", ""),
    ]:
        refused = hub.login(user, password)
        assert refused.status_code != 302 and "Invalid username or password" in refused.text, (user, password)

    with ThreadPoolExecutor(max_workers=len(HUB_USERS)) as pool:  # everyone at once, as a room does
        started = list(pool.map(hub.start_server, HUB_USERS))
        assert all(answer.status_code in (201, 202) for answer in started), [a.text for a in started]
        list(pool.map(hub.wait_server, HUB_USERS))

    tenants = [rows[name]["tenant_id"] for name in ROSTER]
    assert len(set(tenants)) == len(ROSTER)
    # One after the other, so that each kernel meets a class where the previous trainee has solved 01.
    for index, (name, user) in enumerate(zip(ROSTER, HUB_USERS, strict=True)):
        row = rows[name]
        seen = _run_session(hub, user, tenants[index - 1])
        assert seen["tenant_env"] == seen["tenant"] == row["tenant_id"], (user, seen)
        assert seen["base_env"] == row["base_url"] == room.cls.base_url
        assert (seen["plane_env"], seen["adapter_env"]) == (row["plane_id"], row["adapter_id"])
        assert TARGET_NAME not in seen["targets_before"], f"{user} sees another trainee's target: {seen}"
        assert seen["check_before"] is False and seen["check_after"] is True, seen
        assert seen["other_tenant_status"] == 403, seen  # another trainee's tenant, with one's own token

    progress = requests.get(
        f"{room.cls.base_url}/_sandbox/class/progress",
        headers={"Authorization": f"Bearer {room.cls.admin_token}"},
        timeout=30,
    ).json()
    passed = {row["trainee"]: row["exercises"]["create-a-target"]["passed"] for row in progress["trainees"]}
    assert passed == dict.fromkeys(ROSTER, True)
    for name, user in zip(ROSTER, HUB_USERS, strict=True):
        assert f"zen_nb.hub: {user} starts as trainee {name!r}" in hub.log


def test_a_code_revoked_while_its_server_runs_locks_the_trainee_out_until_a_new_one(
    room: Room, class_hub: LoopbackHub
) -> None:
    hub, user = class_hub, "grace-hopper"
    old_code = room.rows()["Grace Hopper"]["join_code"]
    if not (hub.api("GET", f"users/{user}").json().get("servers") or {}).get(""):
        assert hub.start_server(user).status_code in (201, 202)  # this test alone (-k): her server runs
        hub.wait_server(user)

    server = f"{hub.url}/user/{user}"
    kernel = start_kernel(server, hub.headers)
    whoami = "import zen_nb\nwith zen_nb.ZenClient() as c: print(c.get_tenant()['id'])"
    assert execute(server, kernel, hub.headers, whoami).strip() == room.rows()["Grace Hopper"]["tenant_id"]

    room.command("revoke", "Grace Hopper")
    stale = (
        "import zen_nb\ntry:\n    zen_nb.ZenClient().get_tenant()\n"
        "except zen_nb.errors.UnauthorizedError as error:\n    print('401', error.status)"
    )
    assert execute(server, kernel, hub.headers, stale).split() == ["401", "401"]  # the running server's old token
    assert hub.login(user, old_code).status_code != 302
    assert hub.api("DELETE", f"users/{user}/server").status_code in (202, 204)  # she stops it (Hub Control Panel)
    hub.wait_stopped(user)
    refused = hub.start_server(user)
    assert refused.status_code == 403, refused.text
    assert refused.json()["message"].startswith(f"The join code of {user} was revoked by the trainer")

    room.command("new-code", "Grace Hopper")
    row = room.rows()["Grace Hopper"]
    assert row["join_code"] and row["join_code"] != old_code
    assert hub.login(user, row["join_code"]).status_code == 302
    assert hub.start_server(user).status_code in (201, 202)
    hub.wait_server(user)
    fresh = start_kernel(server, hub.headers)  # the new server's environment: the new token works
    assert execute(server, fresh, hub.headers, whoami).strip() == row["tenant_id"]


def test_a_trainee_added_while_the_hub_runs_logs_in_with_no_hub_restart(room: Room, class_hub: LoopbackHub) -> None:
    added = requests.post(
        f"{room.cls.base_url}/_sandbox/class/trainees",
        json={"names": ["Late Comer"]},
        headers={"Authorization": f"Bearer {room.cls.admin_token}"},
        timeout=30,
    )
    assert added.status_code == 201, added.text
    row = room.rows()["Late Comer"]  # the class rewrote its roster
    assert class_hub.login("late-comer", row["join_code"]).status_code == 302
    assert class_hub.start_server("late-comer").status_code in (201, 202)
    class_hub.wait_server("late-comer")
    assert f"zen_nb.hub: late-comer starts as trainee 'Late Comer', tenant {row['tenant_id']}" in class_hub.log


def test_a_hub_keeping_its_own_login_lets_the_trainees_in_and_refuses_others_a_server(
    room: Room, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("own-login-hub")
    class_config = folder / "zen-class.py"
    roster = room.db.with_name("class-roster.csv")
    class_config.write_text(
        f"from zen_nb.hub import configure_class\nconfigure_class(get_config(), {str(roster)!r}, login='hub')\n",
        encoding="utf-8",
    )
    # The hub's own config, before the class's (load_subconfig, as TLJH loads jupyterhub_config.d): its users stay in.
    before = DUMMY_LOGIN + 'c.Authenticator.allowed_users = {"trainer-jo", "mallory"}\n'
    with LoopbackHub(folder / "hub", class_config, room.env, before=before) as hub:
        assert hub.login("ada-lovelace", PASSWORD).status_code == 302  # a trainee, let in by the class
        assert hub.login("trainer-jo", PASSWORD).status_code == 302  # the hub's own user, still let in
        assert hub.login("eve", PASSWORD).status_code != 302  # neither
        # mallory: let in by the hub's own rules, but no trainee: refused a server, told why, on the page a
        # browser opens after the login, then through the REST API.
        login = hub.login("mallory", PASSWORD)
        assert login.status_code == 302
        spawn_page = login.session.get(f"{hub.url}/hub/spawn", timeout=60)  # type: ignore[attr-defined]
        assert spawn_page.status_code == 403
        assert "mallory is not a trainee of this class, so no server starts" in spawn_page.text
        answer = hub.start_server("mallory")
        assert answer.status_code == 403, answer.text
        message = answer.json()["message"]
        assert message.startswith("mallory is not a trainee of this class, so no server starts"), message
        assert "ask your trainer to add you to the roster" in message
        model = hub.api("GET", "users/mallory").json()
        assert not model["servers"] and not model["pending"], model
        assert "zen_nb.hub: mallory is not on the class roster" in hub.log
        _assert_no_token(room, hub)


def test_no_trainee_token_is_in_the_hub_log_its_database_or_the_config(room: Room, class_hub: LoopbackHub) -> None:
    user = HUB_USERS[0]
    if not (class_hub.api("GET", f"users/{user}").json().get("servers") or {}).get(""):
        assert class_hub.start_server(user).status_code in (201, 202)  # this test alone (-k): a server ran
        class_hub.wait_server(user)
    room.rows()
    _assert_no_token(room, class_hub)
    assert "zen_nb.hub:" in class_hub.log  # the log does speak of the class, only never of its tokens


def _assert_no_token(room: Room, hub: LoopbackHub) -> None:
    files = [room.db.with_name("class-jupyterhub_config.py"), *sorted(hub.folder.glob("jupyterhub.sqlite*"))]
    assert any(path.name == "jupyterhub.sqlite" for path in files)
    assert room.tokens
    for token in room.tokens:
        assert token not in hub.log
        for path in files:
            assert token.encode() not in path.read_bytes(), path
