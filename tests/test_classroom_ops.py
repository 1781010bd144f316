"""The class's operations (``zen_nb.sandbox.classroom``) as ``zen-nb class`` runs them: on the database file.

The CLI opens the class's database from another process while the class sandbox serves it; each
operation is one transaction and the server keeps no state of its own about the class, so what
one process changes the other sees at once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox import classroom
from zen_nb.sandbox.data import NotFound
from zen_nb.sandbox.server import open_store
from zen_nb.sandbox.trainee_names import numbered_names


@pytest.fixture
def store(tmp_path: Path):
    opened = open_store(tmp_path / "class.sqlite3")
    yield opened
    opened.close()


def test_numbered_names_keep_the_spelling_the_class_has() -> None:
    assert numbered_names(3) == ["trainee-01", "trainee-02", "trainee-03"]
    assert numbered_names(100)[:2] == ["trainee-001", "trainee-002"] and numbered_names(100)[-1] == "trainee-100"
    grown = numbered_names(101, existing=["trainee-01", "trainee-30", "ada"])
    assert grown[0] == "trainee-01" and grown[29] == "trainee-30" and grown[30] == "trainee-031"
    assert numbered_names(0) == []


def test_a_roster_file_skips_blanks_and_comments_and_refuses_duplicates(tmp_path: Path) -> None:
    roster = tmp_path / "names.txt"
    roster.write_text("\ufeff# morning group\nAda Lovelace\n\n  Grace Hopper  \n# end\n", encoding="utf-8")
    assert classroom.read_roster_file(roster) == ["Ada Lovelace", "Grace Hopper"]
    roster.write_text("ada\ngrace\nADA\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3: 'ADA' is already on line 1"):
        classroom.read_roster_file(roster)
    roster.write_text("ada\n<b>x</b>\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: a trainee's name must be"):
        classroom.read_roster_file(roster)


def test_operations_on_a_store(store) -> None:
    assert not classroom.has_class(store)
    added = classroom.enroll(store, ["ada", "Grace", "grace"])
    assert [t.name for t in added] == ["ada", "Grace"]
    assert classroom.enroll(store, ["ADA"]) == []
    assert classroom.has_class(store) and [t.name for t in classroom.roster(store)] == ["ada", "Grace"]
    with pytest.raises(ValueError, match="a trainee's name must be"):
        classroom.enroll(store, ["ok", "-bad"])
    assert [t.name for t in classroom.roster(store)] == ["ada", "Grace"]  # nothing added
    assert classroom.revoke(store, "GRACE") == ["Grace"] and classroom.revoke(store, "grace") == []
    assert classroom.revoke(store, None) == ["ada"]
    code = classroom.new_code(store, "ada")
    assert classroom.normalise_code(code) == classroom.roster(store)[0].join_code
    assert classroom.join(store, code).joined
    with pytest.raises(classroom.JoinRefused) as refused:
        classroom.join(store, added[0].join_code)
    assert (refused.value.status, refused.value.code) == (410, "join_code_revoked")
    assert classroom.reset(store, None) == ["ada", "Grace"]
    with pytest.raises(NotFound):
        classroom.reset(store, "nobody")
    progress = classroom.progress(store)
    assert [row["trainee"] for row in progress["trainees"]] == ["ada", "Grace"]


def test_no_repr_shows_a_token_or_a_code(store) -> None:
    (ada,) = classroom.enroll(store, ["ada"])
    assert ada.token not in repr(ada) and ada.join_code not in repr(ada)
    assert ada.token not in repr(classroom.roster(store)) and "tenant_" in repr(ada)


def test_the_cli_changes_a_running_class_from_another_process(tmp_path: Path) -> None:
    db = tmp_path / "class.sqlite3"
    with sandbox_pkg.start(port=0, db=db) as box:
        admin = {"Authorization": f"Bearer {box.admin_token}"}
        base = f"{box.base_url}/_sandbox/class"
        added = requests.post(f"{base}/trainees", json={"names": ["ada"]}, headers=admin, timeout=30)
        ada = added.json()["trainees"][0]
        code = (
            "import sys\n"
            "from zen_nb.sandbox import classroom\n"
            "from zen_nb.sandbox.data import Store\n"
            "store = Store(sys.argv[1])\n"
            "classroom.enroll(store, ['grace'])\n"
            "classroom.revoke(store, 'ada')\n"
            "print(classroom.new_code(store, 'grace'))\n"
            "store.close()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=120, check=True
        )
        grace_code = done.stdout.strip()
        listed = requests.get(f"{base}/trainees", headers=admin, timeout=30).json()["trainees"]
        assert [(row["trainee"], row["joinCode"]) for row in listed] == [("ada", None), ("grace", grace_code)]
        assert requests.post(f"{base}/join", json={"code": ada["joinCode"]}, timeout=30).status_code == 410
        joined = requests.post(f"{base}/join", json={"code": grace_code}, timeout=30)
        assert joined.status_code == 200, joined.text
        token = joined.json()["token"]
        tenant = requests.get(
            f"{box.base_url}/tenants/{joined.json()['tenantId']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert tenant.status_code == 200


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("K7QM-3XPD", "K7QM3XPD"),
        (" k7qm 3xpd\n", "K7QM3XPD"),
        ("k7-qm-3x-pd", "K7QM3XPD"),
        ("OIL0-o1il", "01100111"),
        ("K7QM-3XPU", None),  # U is no symbol of the alphabet
        ("K7QM-3XP", None),
        ("K7QM-3XPDA", None),
        ("K7QM\t3XPD", None),  # a tab between symbols is not a space
        ("Ｋ7QM-3XPD", None),  # a fullwidth letter is not ASCII
        ("K7QM-3XPD" + " " * 60, None),  # longer than 64 characters
        (12345678, None),
    ],
)
def test_what_a_trainee_types_is_read_back_as_a_code(typed: object, stored: str | None) -> None:
    assert classroom.normalise_code(typed) == stored
    if stored is not None:
        assert classroom.format_code(stored) == f"{stored[:4]}-{stored[4:]}"
