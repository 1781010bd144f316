"""A training class on a real sandbox, over HTTP: joining, the trainer's roster, resets, the board.

Each test starts a sandbox of its own (a quarter of a second): failed joins are counted per
client address by the server, and every test here comes from 127.0.0.1, so a shared sandbox
would carry one test's failures into the next one's window.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.exercise_catalog import PLANE_ID, TARGET_NAME, TARGET_URL, names

from helpers import assert_error, start_of_a_fresh_window, wait_until

JOIN_KEYS = {"trainee", "tenantId", "planeId", "adapterId", "token"}
BASIC_CHALLENGE = 'Basic realm="zen-nb class", charset="UTF-8"'


class ClassBox:
    """A sandbox holding a class: the trainer's admin calls, a trainee's calls, joins."""

    def __init__(self, box: sandbox_pkg.Sandbox) -> None:
        self.box = box
        self.base = f"{box.base_url}/_sandbox/class"

    def admin(self, method: str, path: str = "", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.box.admin_token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def enroll(self, *names: str) -> list[dict[str, Any]]:
        response = self.admin("POST", "/trainees", json={"names": list(names)})
        assert response.status_code == 201, response.text
        return response.json()["trainees"]

    def join(self, code: Any) -> requests.Response:
        return requests.post(f"{self.base}/join", json={"code": code}, timeout=30)

    def trainees(self) -> dict[str, dict[str, Any]]:
        response = self.admin("GET", "/trainees")
        assert response.status_code == 200, response.text
        return {row["trainee"]: row for row in response.json()["trainees"]}

    def progress(self) -> dict[str, Any]:
        response = self.admin("GET", "/progress")
        assert response.status_code == 200, response.text
        return response.json()

    def board(self) -> requests.Response:
        return requests.get(self.base, auth=("trainer", self.box.admin_token), timeout=30)

    def tenant(self, trainee: dict[str, Any], method: str, path: str = "", **kwargs: Any) -> requests.Response:
        """A call of the trainee's own token, on ``/tenants/{tenant}/...`` (``{plane}`` for the dev plane)."""
        path = path.replace("{plane}", f"clusters/{PLANE_ID}")
        url = f"{self.box.base_url}/tenants/{trainee['tenantId']}" + (f"/{path}" if path else "")
        headers = {"Authorization": f"Bearer {trainee['token']}", **kwargs.pop("headers", {})}
        return requests.request(method, url, headers=headers, timeout=30, **kwargs)

    def check(self, trainee: dict[str, Any], exercise: str) -> dict[str, Any]:
        response = requests.post(
            f"{self.base}/exercises/{exercise}/check",
            headers={"Authorization": f"Bearer {trainee['token']}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def pass_create_a_target(self, trainee: dict[str, Any]) -> None:
        body = {"name": TARGET_NAME, "type": "http", "url": TARGET_URL}
        assert self.tenant(trainee, "POST", "{plane}/targets", json=body).status_code == 201
        assert self.check(trainee, "create-a-target")["passed"] is True


@pytest.fixture
def klass() -> Iterator[ClassBox]:
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(1_000_000, 1)) as box:
        yield ClassBox(box)


@pytest.fixture
def class_db(tmp_path: Path) -> Path:
    return tmp_path / "class.sqlite3"


@pytest.fixture
def file_klass(class_db: Path) -> Iterator[ClassBox]:
    """A class whose database is a file, which a test can read behind the server's back."""
    with sandbox_pkg.start(port=0, db=class_db, rate_limit=(1_000_000, 1)) as box:
        yield ClassBox(box)


def secrets_of(trainee: dict[str, Any]) -> list[str]:
    """A trainee's token and join code, in every form the code is written."""
    code = trainee["joinCode"]
    return [trainee["token"], code, code.replace("-", ""), code.lower()]


# Joining


def test_a_right_code_joins_in_any_spelling_and_the_trainer_sees_it(klass: ClassBox) -> None:
    (ada, _) = klass.enroll("ada", "grace")
    assert klass.trainees()["ada"]["joined"] is False
    spelled = " " + ada["joinCode"].replace("-", " ").lower().replace("0", "o").replace("1", "l") + " "
    response = klass.join(spelled)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {
        "trainee": "ada",
        "tenantId": ada["tenantId"],
        "planeId": "plane_dev_us_east_1",
        "adapterId": "adapter_stripe_ingester",
        "token": ada["token"],
    }
    roster = klass.trainees()
    assert roster["ada"]["joined"] is True and roster["ada"]["joinedAt"]
    assert roster["grace"]["joined"] is False and roster["grace"]["joinedAt"] is None
    joined = {row["trainee"]: row["joined"] for row in klass.progress()["trainees"]}
    assert joined == {"ada": True, "grace": False}
    again = klass.join(ada["joinCode"])  # a second kernel joins again; the first join's time stays
    assert again.status_code == 200 and again.json() == response.json()
    assert klass.trainees()["ada"]["joinedAt"] == roster["ada"]["joinedAt"]


def test_a_trainees_token_opens_its_own_tenant_and_no_other(klass: ClassBox) -> None:
    ada, grace = klass.enroll("ada", "grace")
    ada = {**ada, **klass.join(ada["joinCode"]).json()}
    assert klass.tenant(ada, "GET").json()["id"] == ada["tenantId"]
    targets = klass.tenant(ada, "GET", "{plane}/targets")
    assert targets.status_code == 200 and targets.json()["destinations"]
    assert klass.tenant(ada, "POST", "{plane}/delivery-flows", json=_flow("mine")).status_code == 201
    for other in (grace["tenantId"], "tenant_demo"):
        foreign = {**ada, "tenantId": other}
        assert_error(klass.tenant(foreign, "GET"), 403, "forbidden")
        assert_error(klass.tenant(foreign, "GET", "{plane}/delivery-flows"), 403, "forbidden")
    assert klass.tenant(grace, "GET", "{plane}/delivery-flows").json()["deliveryFlows"] == []


@pytest.mark.parametrize("code", ["B8RN-4WQ", "B8RN-4WQEE", "B8RN-4WQU", "B8RN_4WQE", "", None, 12345678])
def test_a_malformed_code_is_a_400_that_says_what_a_code_looks_like(klass: ClassBox, code: Any) -> None:
    error = assert_error(klass.join(code), 400, "invalid_field", field="code")
    assert "XXXX-XXXX" in error["message"]
    if isinstance(code, str) and code:
        assert code not in error["message"]


def test_a_real_code_sent_in_a_wrong_shape_is_not_echoed(klass: ClassBox) -> None:
    (ada,) = klass.enroll("ada")
    for shape in ([ada["joinCode"]], {"code": ada["joinCode"]}):
        response = klass.join(shape)
        assert_error(response, 400, "invalid_field", field="code")
        for secret in secrets_of(ada):
            assert secret not in response.text


def test_an_unknown_code_is_a_404_that_says_to_check_it(klass: ClassBox) -> None:
    klass.enroll("ada")
    error = assert_error(klass.join("ZZZZ-ZZZZ"), 404, "join_code_not_found", field="code")
    assert error["message"] == "no trainee of this class has this join code: check it with your trainer"


def _tenant_answer(klass: ClassBox, tenant_id: str, token: str) -> int:
    """The status of a GET of the tenant with this token."""
    url = f"{klass.box.base_url}/tenants/{tenant_id}"
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def test_a_revoked_code_is_a_410_its_token_is_replaced_and_a_new_code_joins(klass: ClassBox) -> None:
    (ada,) = klass.enroll("ada")
    assert _tenant_answer(klass, ada["tenantId"], ada["token"]) == 200
    revoked = klass.admin("POST", "/trainees/ADA/revoke-code")
    assert revoked.status_code == 200 and revoked.json() == {"trainee": "ada", "joinCode": None}
    assert klass.trainees()["ada"]["joinCode"] is None
    error = assert_error(klass.join(ada["joinCode"].lower()), 410, "join_code_revoked", field="code")
    assert error["message"] == "this join code was revoked by the trainer: ask for a new one"
    assert ada["joinCode"] not in error["message"]
    again = klass.admin("POST", "/trainees/ada/revoke-code")  # revoking twice changes nothing
    assert again.status_code == 200 and again.json()["joinCode"] is None
    fresh = klass.admin("POST", "/trainees/ada/new-code")
    assert fresh.status_code == 200, fresh.text
    assert fresh.headers["Cache-Control"] == "no-store"
    code = fresh.json()["joinCode"]
    assert code != ada["joinCode"] and len(code) == 9 and code[4] == "-"
    assert klass.trainees()["ada"]["joinCode"] == code
    # Whoever joined with the revoked code holds its token: it no longer opens the tenant; the new code's does.
    assert _tenant_answer(klass, ada["tenantId"], ada["token"]) == 401
    joined = klass.join(code).json()
    assert joined["tenantId"] == ada["tenantId"] and joined["token"] != ada["token"]
    assert _tenant_answer(klass, ada["tenantId"], joined["token"]) == 200
    assert_error(klass.join(ada["joinCode"]), 410, "join_code_revoked")
    replaced = klass.admin("POST", "/trainees/ada/new-code").json()["joinCode"]  # a new code revokes the last
    assert_error(klass.join(code), 410, "join_code_revoked")
    assert klass.join(replaced).status_code == 200


def test_a_burst_of_guesses_is_limited_per_address_even_for_a_right_code(klass: ClassBox) -> None:
    (ada,) = klass.enroll("ada")
    guesses = [f"ZZZZ-ZZ{index:02d}" for index in range(12)]  # well-formed codes that no trainee has
    start_of_a_fresh_window()
    answers = [klass.join(guess) for guess in guesses]
    assert [answer.status_code for answer in answers] == [404] * 10 + [429, 429]
    for guess, answer in zip(guesses[10:], answers[10:], strict=True):
        error = assert_error(answer, 429, "rate_limited")
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        assert "failed joins" in error["message"] and guess not in answer.text
    right = klass.join(ada["joinCode"])
    error = assert_error(right, 429, "rate_limited")
    assert int(right.headers["Retry-After"]) >= 1
    for secret in secrets_of(ada):
        assert secret not in right.text
    assert klass.trainees()["ada"]["joined"] is False


def test_successful_joins_are_not_counted_against_the_address(klass: ClassBox) -> None:
    trainees = klass.enroll(*[f"t{index}" for index in range(12)])
    start_of_a_fresh_window()
    assert [klass.join(t["joinCode"]).status_code for t in trainees] == [200] * 12
    assert klass.join("ZZZZ-ZZZZ").status_code == 404


# The trainer's roster


def test_trainees_are_added_by_name_or_by_count_and_listed_without_tokens(klass: ClassBox) -> None:
    added = klass.admin("POST", "/trainees", json={"count": 3})
    assert added.status_code == 201 and added.headers["Cache-Control"] == "no-store"
    assert [row["trainee"] for row in added.json()["trainees"]] == ["trainee-01", "trainee-02", "trainee-03"]
    more = klass.admin("POST", "/trainees", json={"count": 4}).json()["trainees"]
    assert [row["trainee"] for row in more] == ["trainee-04"]
    named = klass.enroll("Ada Lovelace", "ada lovelace", "O'Brien", "trainee-01")
    assert [row["trainee"] for row in named] == ["Ada Lovelace", "O'Brien"]
    assert klass.enroll("ADA LOVELACE") == []
    listed = klass.admin("GET", "/trainees")
    assert [row["trainee"] for row in listed.json()["trainees"]] == [
        "trainee-01",
        "trainee-02",
        "trainee-03",
        "trainee-04",
        "Ada Lovelace",
        "O'Brien",
    ]
    every = added.json()["trainees"] + more + named
    assert len({row["token"] for row in every}) == len({row["tenantId"] for row in every}) == 6
    codes = {row["trainee"]: row["joinCode"] for row in listed.json()["trainees"]}
    for row in every:
        assert row["token"] not in listed.text
        assert codes[row["trainee"]] == row["joinCode"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"names": ["<b>x</b>"]}, "names[0]"),
        ({"names": [" ada"]}, "names[0]"),
        ({"names": []}, "names"),
        ({"count": 0}, "count"),
        ({"names": ["ada"], "count": 1}, "names"),
        ({}, "names"),
    ],
)
def test_bad_trainee_bodies_are_400s(klass: ClassBox, body: dict[str, Any], field: str) -> None:
    assert_error(klass.admin("POST", "/trainees", json=body), 400, "invalid_field", field=field)
    assert klass.trainees() == {}


def test_the_class_needs_the_admin_token_but_the_join_does_not(klass: ClassBox) -> None:
    for method, path in [("GET", "/trainees"), ("GET", "/progress"), ("POST", "/reset"), ("POST", "/trainees")]:
        response = requests.request(method, klass.base + path, timeout=30)
        assert_error(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        tenant = requests.request(method, klass.base + path, headers={"Authorization": "Bearer zen_test_x"}, timeout=30)
        assert_error(tenant, 401, "unauthenticated")
    assert_error(klass.join("ZZZZ-ZZZZ"), 404, "join_code_not_found")


def test_an_unknown_trainee_is_a_404_naming_the_roster(klass: ClassBox) -> None:
    klass.enroll("ada")
    for path in ("/trainees/grace/reset", "/trainees/grace/revoke-code", "/trainees/grace/new-code"):
        error = assert_error(klass.admin("POST", path), 404, "trainee_not_found", field="trainee")
        assert "'grace'" in error["message"] and "/_sandbox/class/trainees" in error["message"]


# The board


class _Board(HTMLParser):
    """The board's table read back: per trainee row, its joined cell and which exercises have a tick."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, Any]] = {}
        self.footer: list[str] = []
        self._section = ""
        self._row: list[tuple[str, str]] | None = None
        self._cell: list[str] | None = None
        self._class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("tbody", "tfoot", "thead"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._class = [], dict(attrs).get("class") or ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._class, "".join(self._cell).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._section == "tbody":
                name = self._row[0][1]
                self.rows[name] = {"joined": self._row[1][1], "ticks": [cls == "tick" for cls, _ in self._row[2:-1]]}
            elif self._section == "tfoot":
                self.footer = [text for _, text in self._row]
            self._row = None


def read_board(html: str) -> _Board:
    parser = _Board()
    parser.feed(html)
    return parser


def test_the_board_asks_a_browser_for_the_admin_token_as_a_basic_password(klass: ClassBox) -> None:
    bare = requests.get(klass.base, timeout=30)
    assert_error(bare, 401, "unauthenticated")
    assert bare.headers["WWW-Authenticate"] == BASIC_CHALLENGE
    wrong = requests.get(klass.base, auth=("trainer", "not-the-token"), timeout=30)
    assert_error(wrong, 401, "unauthenticated")
    assert klass.box.admin_token not in wrong.text
    garbage = requests.get(klass.base, headers={"Authorization": "Basic %%%"}, timeout=30)
    assert_error(garbage, 401, "unauthenticated")
    by_basic = klass.board()
    token_only = base64.b64encode(f":{klass.box.admin_token}".encode()).decode()
    no_user = requests.get(klass.base, headers={"Authorization": f"Basic {token_only}"}, timeout=30)
    by_bearer = klass.admin("GET")
    for response in (by_basic, no_user, by_bearer):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        assert '<meta http-equiv="refresh" content="5">' in response.text
        assert "<script" not in response.text
    assert "No trainees yet" in by_basic.text


def test_the_board_and_the_progress_agree_and_hold_no_secret(klass: ClassBox, tmp_path: Path) -> None:
    ada, grace, obrien = klass.enroll("ada", "grace", "O'Brien")
    klass.join(ada["joinCode"])
    klass.join(obrien["joinCode"])
    klass.pass_create_a_target(ada)
    klass.pass_create_a_target(obrien)
    assert klass.check(grace, "create-a-flow")["passed"] is False  # checked, not passed: no tick
    progress = klass.progress()
    assert progress["exercises"] == names()
    response = klass.board()
    html = response.text
    board = read_board(html)
    assert list(board.rows) == [row["trainee"] for row in progress["trainees"]]
    for row in progress["trainees"]:
        drawn = board.rows[row["trainee"]]
        assert drawn["ticks"] == [row["exercises"][name]["passed"] for name in names()]
        assert drawn["joined"] == ("joined" if row["joined"] else "not joined")
    per_exercise = [str(sum(row["exercises"][name]["passed"] for row in progress["trainees"])) for name in names()]
    assert board.footer[2:-1] == per_exercise == ["2", "0", "0", "0", "0", "0"]
    assert board.footer[1] == "2"  # joined
    assert "O&#x27;Brien" in html and "2 of 3 trainees joined" in html
    grace_row = next(row for row in progress["trainees"] if row["trainee"] == "grace")
    assert grace_row["exercises"]["create-a-flow"] == {
        "passed": False,
        "passedAt": None,
        "checks": 1,
        "lastCheckedAt": grace_row["exercises"]["create-a-flow"]["lastCheckedAt"],
    }
    for trainee in (ada, grace, obrien):
        for secret in secrets_of(trainee):
            assert secret not in html
            assert secret not in klass.admin("GET", "/progress").text
    assert klass.box.admin_token not in html


def test_the_board_escapes_every_name(tmp_path: Path) -> None:
    """A name the API would refuse, written into the database behind its back, is still shown as text."""
    db = tmp_path / "class.sqlite3"
    with sandbox_pkg.start(port=0, db=db) as box:
        klass = ClassBox(box)
        klass.enroll("ada")
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE class_trainees SET name = '<b>x</b><script>alert(1)</script>'")
        html = klass.board().text
        assert "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;" in html
        assert "<b>x</b>" not in html and "<script" not in html


# Resets


def _flow(name: str) -> dict[str, Any]:
    return {"name": name, "source": "ingester_stripe", "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}}


def _busy(klass: ClassBox, trainee: dict[str, Any]) -> None:
    """Give a trainee what a session leaves: flows, an event's attempts, an idempotency key, an outcome
    model, activity (a name conflict), progress."""
    keyed = klass.tenant(
        trainee, "POST", "{plane}/delivery-flows", json=_flow("keyed"), headers={"Idempotency-Key": "k1"}
    )
    assert keyed.status_code == 201, keyed.text
    assert klass.tenant(trainee, "POST", "{plane}/delivery-flows", json=_flow("second")).status_code == 201
    assert klass.tenant(trainee, "POST", "{plane}/delivery-flows", json=_flow("second")).status_code == 409
    event = klass.tenant(trainee, "POST", "{plane}/ingesters/ingester_stripe/events", json={"id": "evt_1"})
    assert event.status_code == 202, event.text
    wait_until(lambda: _attempts(klass, trainee), lambda found: len(found) >= 2, 30, "the event's two attempts")
    outcome = f"/tenants/{trainee['tenantId']}/clusters/{PLANE_ID}/targets/dest_slack_ops_alerts/outcome"
    set_outcome = requests.put(
        klass.box.base_url + "/_sandbox" + outcome,
        json={"successRate": 0.5},
        headers={"Authorization": f"Bearer {klass.box.admin_token}"},
        timeout=30,
    )
    assert set_outcome.status_code == 200, set_outcome.text
    klass.pass_create_a_target(trainee)


TENANT_TABLES = (
    "planes",
    "adapters",
    "ingesters",
    "targets",
    "flows",
    "flow_targets",
    "events",
    "attempts",
    "deliveries",
    "target_outcomes",
    "tenant_activity",
    "exercise_status",
)


def _rows(db: Path, trainee: dict[str, Any]) -> dict[str, int]:
    """How many rows of each table belong to the trainee's tenant (and its token's idempotency keys)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        counts = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table} WHERE tenant_id = ?", (trainee["tenantId"],)).fetchone()[
                0
            ]  # noqa: S608
            for table in TENANT_TABLES
        }
        digest = hashlib.sha256(trainee["token"].encode()).hexdigest()
        counts["idempotency_keys"] = conn.execute(
            "SELECT COUNT(*) FROM idempotency_keys WHERE token_sha256 = ?", (digest,)
        ).fetchone()[0]
    return counts


def _attempts(klass: ClassBox, trainee: dict[str, Any]) -> list[dict[str, Any]]:
    return klass.tenant(trainee, "GET", "{plane}/delivery-attempts").json()["deliveryAttempts"]


def _state(klass: ClassBox, trainee: dict[str, Any]) -> dict[str, Any]:
    row = next(row for row in klass.progress()["trainees"] if row["trainee"] == trainee["trainee"])
    return {
        "flows": klass.tenant(trainee, "GET", "{plane}/delivery-flows").json()["deliveryFlows"],
        "targets": klass.tenant(trainee, "GET", "{plane}/targets").json()["destinations"],
        "attempts": _attempts(klass, trainee),
        "progress": row["exercises"],
    }


def _seeded(targets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(target["id"], target["name"]) for target in targets]


def test_resetting_one_trainee_leaves_the_others_untouched(file_klass: ClassBox, class_db: Path) -> None:
    klass = file_klass
    ada, grace, fresh = klass.enroll("ada", "grace", "fresh")
    _busy(klass, ada)
    _busy(klass, grace)
    grace_before, grace_rows = _state(klass, grace), _rows(class_db, grace)
    seed_rows = _rows(class_db, fresh)
    assert all(_rows(class_db, ada)[table] > seed_rows[table] for table in ("flows", "attempts", "idempotency_keys"))
    assert all(grace_rows[table] > 0 for table in (*TENANT_TABLES, "idempotency_keys") if table != "deliveries")
    response = klass.admin("POST", "/trainees/Ada/reset")
    assert response.status_code == 200 and response.json() == {"reset": ["ada"]}
    assert _rows(class_db, ada) == seed_rows  # exactly the seed's rows: nothing of the session is left
    after = _state(klass, ada)
    assert after["flows"] == [] and after["attempts"] == []
    assert _seeded(after["targets"]) == _seeded(_state(klass, fresh)["targets"])  # the seed, no training target
    assert all(state["checks"] == 0 and not state["passed"] for state in after["progress"].values())
    assert _state(klass, grace) == grace_before and _rows(class_db, grace) == grace_rows
    # Same tenant, same token; its idempotency key is gone, the other trainee's is not.
    assert klass.join(ada["joinCode"]).json()["tenantId"] == ada["tenantId"]
    assert klass.tenant(ada, "GET").json()["id"] == ada["tenantId"]
    other = klass.tenant(ada, "POST", "{plane}/delivery-flows", json=_flow("other"), headers={"Idempotency-Key": "k1"})
    assert other.status_code == 201, other.text
    reused = klass.tenant(
        grace, "POST", "{plane}/delivery-flows", json=_flow("other"), headers={"Idempotency-Key": "k1"}
    )
    assert_error(reused, 422, "idempotency_key_reused")


def test_a_reset_can_keep_progress_and_a_class_reset_resets_everyone(klass: ClassBox) -> None:
    ada, grace = klass.enroll("ada", "grace")
    klass.pass_create_a_target(ada)
    klass.pass_create_a_target(grace)
    kept = klass.admin("POST", "/trainees/ada/reset", json={"keepProgress": True})
    assert kept.status_code == 200, kept.text
    assert _state(klass, ada)["progress"]["create-a-target"]["passed"] is True
    assert not [t for t in _state(klass, ada)["targets"] if t["name"] == TARGET_NAME]
    everyone = klass.admin("POST", "/reset")
    assert everyone.status_code == 200 and everyone.json() == {"reset": ["ada", "grace"]}
    for trainee in (ada, grace):
        assert _state(klass, trainee)["progress"]["create-a-target"]["passed"] is False
    assert klass.box.tenant_id == "tenant_demo"  # the demo tenant is no trainee: untouched by a class reset


# Restarts


def test_a_class_in_a_file_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "class.sqlite3"
    with sandbox_pkg.start(port=0, db=db) as box:
        klass = ClassBox(box)
        ada, grace = klass.enroll("ada", "grace")
        klass.join(ada["joinCode"])
        klass.pass_create_a_target(ada)
        klass.admin("POST", "/trainees/grace/revoke-code")
        roster, progress = klass.trainees(), klass.progress()
    with sandbox_pkg.start(port=0, db=db) as box:
        klass = ClassBox(box)
        assert klass.trainees() == roster
        assert klass.progress() == progress
        assert klass.join(ada["joinCode"]).json()["token"] == ada["token"]
        assert_error(klass.join(grace["joinCode"]), 410, "join_code_revoked")
        assert klass.tenant(ada, "GET").status_code == 200
        assert klass.tenant(grace, "GET").status_code == 401  # revoked with its code before the restart
        targets = klass.tenant(ada, "GET", "{plane}/targets").json()["destinations"]
        assert [t["name"] for t in targets].count(TARGET_NAME) == 1


def test_a_class_is_bounded(klass: ClassBox) -> None:
    assert klass.admin("POST", "/trainees", json={"count": 500}).status_code == 201
    error = assert_error(klass.admin("POST", "/trainees", json={"names": ["one-more"]}), 409, "class_full")
    assert "at most 500" in error["message"]
    assert len(klass.trainees()) == 500
    assert klass.admin("POST", "/trainees", json={"count": 500}).json()["trainees"] == []  # all there: nothing to add
