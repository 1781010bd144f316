"""A class on a real JupyterHub: each hub user's server starts as their trainee, and no one else gets one.

``zen-nb class start --roster ... --hub-config`` runs as a trainer runs it, and a JupyterHub
(pip's ``jupyterhub``, npm's ``configurable-http-proxy``, local process servers, the dummy
login) loads the config it wrote. Three trainees log in through the hub's form; their servers
are started through the hub's REST API; in a kernel of each (over the proxy and the kernel's
websocket, as JupyterLab talks to it), the code of exercise 01 runs with no join and no token
typed. Each kernel is its trainee's tenant, sees nothing of the others' work, and passes the
check. A hub user who is no trainee is refused a server with the message that says so. No
trainee's token is in the hub's log (at DEBUG, the servers' logs included), its database, or
the config file.

Skipped only when the proxy is not installed (the reason says how to install it).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from zen_nb.exercise_catalog import TARGET_NAME

from hub_process import PROXY_MISSING, LoopbackHub, proxy_command
from kernel_channel import execute, start_kernel
from processes import CliClass, lab_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(proxy_command() is None, reason=PROXY_MISSING),
]

ROSTER = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
HUB_USERS = ["ada-lovelace", "grace-hopper", "alan-turing"]

# In a trainee's kernel: who the kernel is, what it sees, then exercise 01 solved and checked. It prints
# one JSON line and never the token (only whether the one set is the trainee's, checked by the server).
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
class ClassHub:
    cls: CliClass
    hub: LoopbackHub
    rows: dict[str, dict[str, str]]  # roster rows by trainee name
    hub_config: Path

    def tokens(self) -> list[str]:
        return [row["token"] for row in self.rows.values()]


@pytest.fixture(scope="module")
def class_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassHub]:
    """The class (three named trainees) and a hub loading the config ``--hub-config`` wrote beside its roster."""
    folder = tmp_path_factory.mktemp("class-hub")
    names = folder / "names.txt"
    names.write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
    db = folder / "class" / "class.sqlite3"
    db.parent.mkdir()
    env = lab_env(folder)
    with CliClass("--roster", str(names), "--port", "0", "--db", str(db), "--hub-config", env=env) as cls:
        hub_config = db.with_name("class-jupyterhub_config.py")
        assert f"Hub config:  {hub_config}" in cls.stdout
        with db.with_name("class-roster.csv").open(newline="", encoding="utf-8") as file:
            rows = {row["trainee"]: row for row in csv.DictReader(file)}
        with LoopbackHub(folder / "hub", hub_config, env) as hub:
            yield ClassHub(cls, hub, rows, hub_config)


def _run_session(box: ClassHub, user: str, other_tenant: str) -> dict[str, Any]:
    server = f"{box.hub.url}/user/{user}"
    kernel = start_kernel(server, box.hub.headers)
    printed = execute(server, kernel, box.hub.headers, SESSION.format(other_tenant=other_tenant))
    return json.loads(printed.strip().splitlines()[-1])


def test_three_trainees_log_in_and_each_server_starts_as_its_trainee(class_hub: ClassHub) -> None:
    box, hub = class_hub, class_hub.hub
    for user in HUB_USERS:  # the hub's own login form lets each trainee in (the roster's names, as hub names)
        answer = hub.login(user)
        assert answer.status_code == 302, f"{user}: {answer.status_code} {answer.text[:300]}"
        assert any(name.startswith("jupyterhub-") for name in answer.session.cookies.keys()), user  # type: ignore[attr-defined]

    with ThreadPoolExecutor(max_workers=len(HUB_USERS)) as pool:  # everyone at once, as a room does
        started = list(pool.map(hub.start_server, HUB_USERS))
        assert all(answer.status_code in (201, 202) for answer in started), [a.text for a in started]
        list(pool.map(hub.wait_server, HUB_USERS))

    tenants = [box.rows[name]["tenant_id"] for name in ROSTER]
    assert len(set(tenants)) == len(ROSTER)
    # One after the other, so that each kernel meets a class where the previous trainee has solved 01.
    for index, (name, user) in enumerate(zip(ROSTER, HUB_USERS, strict=True)):
        row = box.rows[name]
        other = tenants[index - 1]  # another trainee's tenant
        seen = _run_session(box, user, other)
        assert seen["tenant_env"] == seen["tenant"] == row["tenant_id"], (user, seen)
        assert seen["base_env"] == row["base_url"] == box.cls.base_url
        assert (seen["plane_env"], seen["adapter_env"]) == (row["plane_id"], row["adapter_id"])
        assert TARGET_NAME not in seen["targets_before"], f"{user} sees another trainee's target: {seen}"
        assert seen["check_before"] is False and seen["check_after"] is True, seen
        assert seen["other_tenant_status"] == 403, seen

    progress = requests.get(
        f"{box.cls.base_url}/_sandbox/class/progress",
        headers={"Authorization": f"Bearer {box.cls.admin_token}"},
        timeout=30,
    ).json()
    passed = {row["trainee"]: row["exercises"]["create-a-target"]["passed"] for row in progress["trainees"]}
    assert passed == dict.fromkeys(ROSTER, True)
    for name, user in zip(ROSTER, HUB_USERS, strict=True):
        assert f"zen_nb.hub: {user} starts as trainee {name!r}" in hub.log


def test_a_hub_user_not_on_the_roster_is_refused_a_server_saying_why(class_hub: ClassHub) -> None:
    hub = class_hub.hub
    # Nobody off the roster gets in by the login form (JupyterHub's allowed_users, set from the roster) ...
    refused = hub.login("eve")
    assert refused.status_code != 302 and "jupyterhub-session-id" not in refused.text
    # ... and a user the hub has anyway (an admin added her) is refused a server, told why: on the page a
    # browser opens after the login, then through the REST API.
    assert hub.api("POST", "users/mallory").status_code == 201
    login = hub.login("mallory")
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


def test_no_trainee_token_is_in_the_hub_log_its_database_or_the_config(class_hub: ClassHub) -> None:
    box = class_hub
    _ensure_a_server_started(box)
    files = [box.hub_config, *sorted(box.hub.folder.glob("jupyterhub.sqlite*"))]
    assert any(path.name == "jupyterhub.sqlite" for path in files)
    for token in box.tokens():
        assert token not in box.hub.log
        for path in files:
            assert token.encode() not in path.read_bytes(), path
    assert "zen_nb.hub:" in box.hub.log  # the log does speak of the class, only never of its tokens


def _ensure_a_server_started(box: ClassHub) -> None:
    """This test is meaningful alone (-k): the first trainee's server started and a kernel run in it."""
    user = HUB_USERS[0]
    model = box.hub.api("GET", f"users/{user}").json()
    if not (model.get("servers") or {}).get(""):
        assert box.hub.start_server(user).status_code in (201, 202)
        box.hub.wait_server(user)
    server = f"{box.hub.url}/user/{user}"
    kernel = start_kernel(server, box.hub.headers)
    assert execute(server, kernel, box.hub.headers, "import zen_nb; print(zen_nb.ZenConfig().tenant_id)").strip()
