"""``zen_nb.hub`` without a hub: the roster read, the names matched, the hook's environment and refusals.

The hook is called as JupyterHub calls a ``pre_spawn_hook``, with a spawner that has what a real
one has for it (``user.name``, ``user.admin``, ``environment``, ``log``); the real hub is
``test_class_on_jupyterhub.py``. The roster files are the ones ``zen-nb class start`` writes
(``roster_file.write_roster``), and one of the old five columns.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tornado.web import HTTPError
from traitlets.config import Config

from zen_nb import hub
from zen_nb.hub import (
    ClassSpawnHook,
    RosterError,
    configure_class,
    hub_username,
    join_code_authenticator,
    read_class_roster,
)
from zen_nb.joining import normalise_code
from zen_nb.sandbox.hub_config_file import render
from zen_nb.sandbox.roster_file import RosterRow, write_roster

BASE = "http://127.0.0.1:8765"
PLANE, ADAPTER = "plane_dev_us_east_1", "adapter_stripe_ingester"


CODES = {1: "K7QM-3XPD", 2: "ABCD-EFGH", 3: "2222-3333"}


def row(name: str, number: int, token: str | None = None, code: str | None = "") -> RosterRow:
    """A roster row; its code from CODES unless given (None: revoked)."""
    token = token or f"zen_test_token_{number:02d}_secret"
    return RosterRow(name, f"tenant_{number:02d}", token, CODES.get(number) if code == "" else code, PLANE, ADAPTER)


def resolved(value: Any, empty: Any) -> Any:
    """A config value as JupyterHub will read it: a lazy ``update`` (a section that started empty) applied."""
    return value.get_value(empty) if hasattr(value, "get_value") else value


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "class-roster.csv"
    write_roster(path, [row("Ada Lovelace", 1), row("trainee-02", 2), row("O'Brien", 3)], BASE)
    return path


def spawner(name: str, admin: bool = False, environment: dict[str, str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        user=SimpleNamespace(name=name, admin=admin),
        environment=dict(environment or {}),
        log=logging.getLogger("test-hub"),
    )


def spawn(hook: ClassSpawnHook, user: SimpleNamespace) -> SimpleNamespace:
    asyncio.run(hook(user))
    return user


def refusal(hook: ClassSpawnHook, user: SimpleNamespace) -> str:
    with pytest.raises(HTTPError) as raised:
        spawn(hook, user)
    assert raised.value.status_code == 403
    assert raised.value.jupyterhub_message == raised.value.log_message  # the page shows what the API answers
    return str(raised.value.log_message)


@pytest.mark.parametrize(
    ("name", "user"),
    [
        ("Ada Lovelace", "ada-lovelace"),
        ("trainee-01", "trainee-01"),
        ("O'Brien", "obrien"),
        ("Jean_Luc  Picard", "jean_luc-picard"),
        ("j.r.r. tolkien", "j.r.r.-tolkien"),
        ("Ada-Lovelace", "ada-lovelace"),
        (" Ada Lovelace ", "ada-lovelace"),
        ("ada.lovelace", "ada.lovelace"),
    ],
)
def test_a_trainee_s_hub_user_is_the_name_in_lower_case_with_dashes(name: str, user: str) -> None:
    assert hub_username(name) == user
    assert hub_username(user) == user  # a hub's own (already normalised) name is itself


def test_the_hook_gives_each_user_their_trainee_s_five_values(roster: Path) -> None:
    hook = ClassSpawnHook(roster)
    ada = spawn(hook, spawner("ada-lovelace", environment={"LANG": "C.UTF-8", "ZEN_API_TOKEN": "stale"}))
    assert ada.environment == {
        "LANG": "C.UTF-8",  # the hub's own environment is kept
        "ZEN_API_BASE": BASE,
        "ZEN_API_TOKEN": "zen_test_token_01_secret",
        "ZEN_TENANT_ID": "tenant_01",
        "ZEN_PLANE_ID": PLANE,
        "ZEN_ADAPTER_ID": ADAPTER,
    }
    assert spawn(hook, spawner("obrien")).environment["ZEN_TENANT_ID"] == "tenant_03"
    # Another spelling of the same name is another person: never the same tenant.
    for other in ("ada.lovelace", "ada_lovelace", "Ada-Lovelace", "o'brien"):
        assert refusal(hook, spawner(other)).startswith(f"{other} is not a trainee of this class")


def test_the_roster_is_read_again_at_each_start_so_a_new_token_reaches_the_next_server(roster: Path) -> None:
    hook = ClassSpawnHook(roster)
    assert spawn(hook, spawner("trainee-02")).environment["ZEN_API_TOKEN"] == "zen_test_token_02_secret"
    # `zen-nb class revoke trainee-02` replaces the token and rewrites the roster, as here.
    write_roster(
        roster, [row("Ada Lovelace", 1), row("trainee-02", 2, token="zen_test_renewed"), row("O'Brien", 3)], BASE
    )
    assert spawn(hook, spawner("trainee-02")).environment["ZEN_API_TOKEN"] == "zen_test_renewed"


def test_a_user_not_on_the_roster_is_refused_saying_why_and_nothing_of_the_roster(roster: Path) -> None:
    message = refusal(ClassSpawnHook(roster), spawner("mallory"))
    assert message.startswith("mallory is not a trainee of this class, so no server starts")
    assert "ask your trainer to add you to the roster" in message
    for secret in ("zen_test_token", "tenant_0", "trainee-02", "O'Brien", str(roster)):
        assert secret not in message


def test_a_revoked_trainee_is_refused_until_a_new_code(roster: Path) -> None:
    hook = ClassSpawnHook(roster)
    # `zen-nb class revoke trainee-02`: the roster's code is empty, the token replaced.
    revoked = [row("Ada Lovelace", 1), row("trainee-02", 2, token="zen_test_replaced", code=None), row("O'Brien", 3)]
    write_roster(roster, revoked, BASE)
    message = refusal(hook, spawner("trainee-02"))
    assert message.startswith("The join code of trainee-02 was revoked by the trainer, so no server starts")
    assert "zen_test_replaced" not in message
    assert refusal(hook, spawner("trainee-02", admin=True))  # an admin who is a trainee is a trainee
    # `zen-nb class new-code trainee-02`: a code again, the server starts with the current token.
    renewed = [row("Ada Lovelace", 1), row("trainee-02", 2, token="zen_test_replaced"), row("O'Brien", 3)]
    write_roster(roster, renewed, BASE)
    assert spawn(hook, spawner("trainee-02")).environment["ZEN_API_TOKEN"] == "zen_test_replaced"


def test_admins_and_trainers_start_with_the_class_s_address_only(roster: Path) -> None:
    hook = ClassSpawnHook(roster, trainers=["Grace Hopper"])
    assert spawn(hook, spawner("grace-hopper")).environment == {"ZEN_API_BASE": BASE}
    assert spawn(hook, spawner("root", admin=True)).environment == {"ZEN_API_BASE": BASE}
    refusal(hook, spawner("grace"))
    refusal(hook, spawner("grace_hopper"))


def test_a_roster_that_cannot_be_read_refuses_the_start_and_the_log_says_why(
    roster: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = ClassSpawnHook(roster)
    roster.unlink()
    with caplog.at_level(logging.ERROR, logger="test-hub"):
        message = refusal(hook, spawner("ada-lovelace"))
    assert message == (
        "The class roster cannot be read, so no server starts for ada-lovelace: tell your trainer "
        "(the hub's log says why)."
    )
    assert f"cannot read the class roster {roster}" in caplog.text


def test_a_hook_the_hub_had_runs_first_sync_or_async(roster: Path) -> None:
    calls: list[str] = []

    def plain(spawner: Any) -> None:
        calls.append("plain")
        spawner.environment["FROM_BEFORE"] = "1"

    async def coroutine(spawner: Any) -> None:
        calls.append("async")

    for previous in (plain, coroutine):
        user = spawn(ClassSpawnHook(roster, previous=previous), spawner("ada-lovelace"))
        assert user.environment["ZEN_TENANT_ID"] == "tenant_01"
    assert calls == ["plain", "async"]


def test_configure_class_installs_the_hook_and_lets_the_roster_in(roster: Path) -> None:
    def earlier(spawner: Any) -> None:
        spawner.environment["EARLIER"] = "yes"

    config = Config()
    config.Authenticator.allowed_users = {"teacher"}
    config.Spawner.pre_spawn_hook = earlier
    read = configure_class(config, roster, login="hub", trainers=["Grace Hopper"])
    assert sorted(read.trainees) == ["ada-lovelace", "obrien", "trainee-02"]
    assert config.Authenticator.allowed_users == {"teacher", "ada-lovelace", "obrien", "trainee-02", "grace-hopper"}
    assert "authenticator_class" not in config.JupyterHub  # login="hub": the hub's own
    hook = config.Spawner.pre_spawn_hook
    assert isinstance(hook, ClassSpawnHook) and hook.roster == roster.resolve()
    user = spawn(hook, spawner("ada-lovelace"))
    assert user.environment["EARLIER"] == "yes" and user.environment["ZEN_TENANT_ID"] == "tenant_01"
    configure_class(config, roster, login="hub")  # the same file loaded twice: one class hook, the earlier kept
    assert config.Spawner.pre_spawn_hook.previous is earlier


def test_the_join_code_login_is_the_default_and_adds_to_the_hub_s_page(roster: Path) -> None:
    config = Config()
    config.JupyterHub.template_vars = {"announcement": "Welcome"}
    configure_class(config, roster)
    authenticator = config.JupyterHub.authenticator_class
    assert authenticator.__name__ == "ClassJoinCodeAuthenticator"
    assert config.JupyterHub.template_vars["announcement"] == "Welcome"
    assert "join code" in config.JupyterHub.template_vars["announcement_login"]
    with pytest.raises(ValueError, match="login must be one of 'join-code', 'hub', not 'pam'"):
        configure_class(Config(), roster, login="pam")


def _login(authenticator: Any, username: str, password: object) -> str | None:
    return asyncio.run(authenticator.authenticate(None, {"username": username, "password": password}))


def test_a_trainee_logs_in_with_their_name_and_join_code_and_nobody_else_does(roster: Path) -> None:
    authenticator = join_code_authenticator(roster)()
    assert _login(authenticator, "ada-lovelace", "K7QM-3XPD") == "ada-lovelace"
    assert _login(authenticator, "Ada-Lovelace", "k7qm 3xpd") == "ada-lovelace"  # as a join forgives it
    assert _login(authenticator, "trainee-02", "abcd-efgh") == "trainee-02"
    assert _login(authenticator, "trainee-02", "K7QM-3XPD") is None  # another trainee's code
    assert _login(authenticator, "ada-lovelace", "K7QM-3XPE") is None
    assert _login(authenticator, "ada-lovelace", "") is None and _login(authenticator, "ada-lovelace", None) is None
    assert _login(authenticator, "ada.lovelace", "K7QM-3XPD") is None  # another spelling: another person
    assert _login(authenticator, "mallory", "K7QM-3XPD") is None
    # A revoke empties the code: that trainee no longer logs in; a new code works at once (read at each login).
    write_roster(roster, [row("Ada Lovelace", 1, code=None), row("trainee-02", 2, code="WXYZ-0000")], BASE)
    assert _login(authenticator, "ada-lovelace", "K7QM-3XPD") is None
    assert _login(authenticator, "trainee-02", "ABCD-EFGH") is None
    assert _login(authenticator, "trainee-02", "wxyz-oooo") == "trainee-02"  # O read as 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ten_wrong_codes_in_a_minute_lock_that_trainee_alone_out_for_the_rest_of_it(
    roster: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    authenticator = join_code_authenticator(roster, guesses=hub.LoginGuesses(10, 60.0, clock))()
    for guess in range(10):
        assert _login(authenticator, "trainee-02", f"0000-000{guess}") is None
    with pytest.raises(HTTPError) as raised:
        _login(authenticator, "trainee-02", "ABCD-EFGH")  # even the right code, until the minute ends
    assert raised.value.status_code == 429
    assert raised.value.log_message.startswith("Too many wrong join codes for trainee-02: wait 60 seconds")
    assert _login(authenticator, "ada-lovelace", "K7QM-3XPD") == "ada-lovelace"  # the others are not locked
    clock.now += 60
    assert _login(authenticator, "trainee-02", "ABCD-EFGH") == "trainee-02"
    assert "ABCD" not in caplog.text and "0000" not in caplog.text


def test_a_code_typed_as_the_name_is_not_logged(roster: Path, caplog: pytest.LogCaptureFixture) -> None:
    authenticator = join_code_authenticator(roster)()
    with caplog.at_level(logging.WARNING):
        assert _login(authenticator, "K7QM-3XPD", "ada-lovelace") is None
    assert "a login as a name that is a join code" in caplog.text
    assert "K7QM" not in caplog.text.upper()


def test_the_roster_is_who_may_log_in_so_a_trainee_added_later_needs_no_hub_restart(roster: Path) -> None:
    authenticator = join_code_authenticator(roster)()
    write_roster(roster, [row("Ada Lovelace", 1), row("trainee-02", 2, code=None), row("Late Comer", 3)], BASE)
    assert asyncio.run(authenticator.check_allowed("late-comer", None)) is True  # not in allowed_users
    assert asyncio.run(authenticator.check_allowed("trainee-02", None)) is False  # revoked
    assert asyncio.run(authenticator.check_allowed("mallory", None)) is False


def test_the_authenticator_gives_the_server_its_trainee_s_values_and_refuses_the_rest(roster: Path) -> None:
    authenticator = join_code_authenticator(roster, trainers=["Grace Hopper"])()
    ada = spawner("ada-lovelace")
    asyncio.run(authenticator.pre_spawn_start(ada.user, ada))
    assert ada.environment["ZEN_TENANT_ID"] == "tenant_01"
    grace = spawner("grace-hopper")
    asyncio.run(authenticator.pre_spawn_start(grace.user, grace))
    assert grace.environment == {"ZEN_API_BASE": BASE}
    mallory = spawner("mallory")
    with pytest.raises(HTTPError, match="mallory is not a trainee of this class"):
        asyncio.run(authenticator.pre_spawn_start(mallory.user, mallory))


def test_a_hub_username_pattern_that_refuses_a_trainee_stops_the_hub_naming_them(roster: Path) -> None:
    config = Config()
    config.Authenticator.username_pattern = r"^[a-z]+$"
    with pytest.raises(
        RosterError, match=r"username_pattern '\^\[a-z\]\+\$' refuses the hub names of 'Ada Lovelace', 'trainee-02' "
    ):
        configure_class(config, roster)
    config.Authenticator.username_pattern = r"^[a-z0-9-]+$"
    configure_class(config, roster)


@given(st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ -\t", max_size=14))
def test_the_hub_reads_a_join_code_as_a_join_does(text: str) -> None:
    assert hub.code_symbols(text) == normalise_code(text)


def test_a_spawner_class_s_own_settings_get_the_class_too(roster: Path) -> None:
    def theirs(spawner: Any) -> None:
        spawner.environment["THEIRS"] = "1"

    config = Config()
    config.DummyAuthenticator.allowed_users = {"jo"}  # a class's own set wins over Authenticator's
    config.KubeSpawner.pre_spawn_hook = theirs  # and a spawner class's own hook over Spawner's
    configure_class(config, roster, login="hub")
    assert config.DummyAuthenticator.allowed_users == {"jo", "ada-lovelace", "obrien", "trainee-02"}
    hook = config.KubeSpawner.pre_spawn_hook
    assert isinstance(hook, ClassSpawnHook) and hook.previous is theirs
    assert spawn(hook, spawner("obrien")).environment["THEIRS"] == "1"


def test_loaded_as_a_subconfig_the_names_add_to_the_main_file_s(tmp_path: Path, roster: Path) -> None:
    """As The Littlest JupyterHub loads jupyterhub_config.d/*.py: the main file's users stay let in."""
    from traitlets.config.loader import PyFileConfigLoader

    (tmp_path / "zen-class.py").write_text(render(roster, tmp_path / "class.sqlite3"), encoding="utf-8")
    (tmp_path / "jupyterhub_config.py").write_text(
        "c = get_config()\n"
        "c.Authenticator.allowed_users = {'trainer-jo'}\n"
        "c.JupyterHub.template_vars = {'announcement': 'Welcome'}\n"
        "load_subconfig('zen-class.py')\n",
        encoding="utf-8",
    )
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(tmp_path)).load_config()
    allowed = resolved(config.Authenticator.allowed_users, set())
    assert allowed == {"trainer-jo", "ada-lovelace", "obrien", "trainee-02"}
    variables = resolved(config.JupyterHub.template_vars, {})
    assert variables["announcement"] == "Welcome" and "join code" in variables["announcement_login"]
    assert config.JupyterHub.authenticator_class.roster == roster.resolve()
    assert "pre_spawn_hook" not in config.Spawner  # the main file's hook, if any, stays the hub's


def test_two_trainees_of_one_hub_name_stop_the_hub_at_its_start_and_refuse_at_a_spawn(tmp_path: Path) -> None:
    path = tmp_path / "class-roster.csv"
    write_roster(path, [row("Ada Lovelace", 1), row("Ada  lovelace", 2), row("Alan", 3)], BASE)
    with pytest.raises(RosterError, match=r"'Ada Lovelace' and 'Ada  lovelace' are both ada-lovelace; rename one"):
        configure_class(Config(), path)
    message = refusal(ClassSpawnHook(path), spawner("ada-lovelace"))
    assert "the hub name of 2 trainees" in message
    assert spawn(ClassSpawnHook(path), spawner("alan")).environment["ZEN_TENANT_ID"] == "tenant_03"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "trainee,tenant_id,token,base_url,join_code\nAda,tenant_01,zen_test_x_secret,http://h:1,K7QM-3XPD\n",
            "has no plane_id, adapter_id column: it was written by an older zen_nb",
        ),
        (
            "trainee,tenant_id,token,base_url,join_code,plane_id,adapter_id\n"
            "Ada,tenant_01,zen_test_x_secret,,K7QM-3XPD,plane_dev_us_east_1,adapter_stripe_ingester\n",
            "line 2 of the class roster",
        ),
        ("\x00\x01 not a csv", "has no trainee, tenant_id, token"),
    ],
)
def test_a_roster_it_cannot_use_is_refused_naming_the_fix_never_a_token(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "class-roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError) as raised:
        configure_class(Config(), path)
    assert expected in str(raised.value)
    assert "zen-nb class start" in str(raised.value)
    assert "zen_test_x_secret" not in str(raised.value)


def test_a_missing_roster_names_the_file_and_what_to_check(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"cannot read the class roster .*nowhere.csv: No such file"):
        read_class_roster(tmp_path / "nowhere.csv")


def test_no_token_in_a_trainee_s_repr(roster: Path) -> None:
    trainee = read_class_roster(roster).trainees["ada-lovelace"]
    assert "secret" not in repr(trainee) and "secret" not in str(read_class_roster(roster))


def test_the_module_stands_alone_without_zen_nb_so_a_hub_may_mount_just_this_file(tmp_path: Path, roster: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "zen_nb_hub.py").write_text(Path(hub.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from traitlets.config import Config\n"
        "from zen_nb_hub import configure_class\n"
        "c = Config(); configure_class(c, sys.argv[2])\n"
        "assert not any(name == 'zen_nb' or name.startswith('zen_nb.') for name in sys.modules), 'zen_nb imported'\n"
        "print(sorted(c.Authenticator.allowed_users.get_value(set())))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(alone), str(roster)], capture_output=True, text=True, timeout=60, cwd=alone
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ada-lovelace', 'obrien', 'trainee-02']"
