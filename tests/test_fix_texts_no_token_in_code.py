"""No message of the kit tells a user to write a token into code; each says where to enter it instead.

A token written into a cell stays in IPython's history database (``history.sqlite``) and in the
saved notebook; one typed into an ``export`` line stays in the shell's history. So the kit's
texts (every fix, the configuration error for every combination of missing variables, the
``export`` lines, the hints, the forms' statuses, a 401 from a real sandbox) must not suggest
``os.environ["ZEN_API_TOKEN"] = ...``, ``ZenConfig(api_token=...)`` or an ``export`` of the
token, and where the token is what is missing they name the ways that keep it out of code: the
form of ``zen_nb.setup()``, the shell's ``read -rs``, Python's getpass.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from test_printed_code import kit_texts

import zen_nb
from zen_nb import ZenConfig, ZenConfigError, ZenError, hints
from zen_nb.display import code_html

from helpers import ZEN_VARIABLES as NAMES

COMPLETE = {
    "ZEN_API_BASE": "https://api.zen-mesh.io",
    "ZEN_API_TOKEN": "zen_live_0123456789abcdef",
    "ZEN_TENANT_ID": "tenant_x",
    "ZEN_PLANE_ID": "plane_x",
    "ZEN_ADAPTER_ID": "adapter_x",
}

# Ways of telling a user to write the token into code or a shell line.
TOKEN_IN_CODE = {
    "os.environ[...] = (which may be the token)": re.compile(
        r"os\.environ\[\s*(?:\.\.\.|[\"']ZEN_API_(?:TOKEN|KEY)[\"'])\s*\]\s*="
    ),
    "os.environ.update({... token ...})": re.compile(r"os\.environ\.update\(\s*\{[^}]*ZEN_API_(?:TOKEN|KEY)"),
    "ZenConfig(api_token=...)": re.compile(r"\bapi_token\s*=\s*(?!<set)"),
    "token = ...": re.compile(r"\btoken\s*=\s*[\"'.]"),
    "export ZEN_API_TOKEN=<your token>": re.compile(r"export\s+ZEN_API_(?:TOKEN|KEY)=(?!replace-with-)"),
    "setdefault/putenv of the token": re.compile(r"(?:setdefault|putenv)\(\s*[\"']ZEN_API_(?:TOKEN|KEY)"),
}


def config_error_texts() -> dict[str, str]:
    """The configuration error for every set of missing variables, and for the token's placeholder."""
    texts = {}
    for count in range(1, len(NAMES) + 1):
        for missing in itertools.combinations(NAMES, count):
            env = {name: value for name, value in COMPLETE.items() if name not in missing}
            texts["missing " + "+".join(missing)] = config_error(env)
    texts["token placeholder"] = config_error({**COMPLETE, "ZEN_API_TOKEN": "replace-with-your-api-token"})
    texts["bad base"] = config_error({**COMPLETE, "ZEN_API_BASE": "api.zen-mesh.io"})
    return texts


def config_error(env: dict[str, str]) -> str:
    with pytest.raises(ZenConfigError) as raised:
        ZenConfig(environ=env)
    return str(raised.value)


def all_texts(sandbox: Any) -> dict[str, str]:
    texts = {**kit_texts(), **config_error_texts()}
    texts["export_lines()"] = ZenConfig(environ=COMPLETE).export_lines()
    texts |= {f"hints.{name}": value for name, value in vars(hints).items() if name.isupper()}
    wrong = zen_nb.ZenClient(ZenConfig(environ={**sandbox.env(), "ZEN_API_TOKEN": "zen_not_a_valid_token"}))
    try:
        wrong.get_tenant()
    except ZenError as error:
        texts["401 from the sandbox"] = str(error)
        texts["401 as HTML"] = error._repr_html_()
    form = zen_nb.setup(environ={})
    texts["setup form, empty"] = form.status.value
    form.apply()
    texts["setup form, applied while empty"] = form.status.value
    return texts


def test_no_text_of_the_kit_tells_the_user_to_write_the_token_into_code(sandbox: Any) -> None:
    found = {
        f"{where}: {what}": text
        for where, text in all_texts(sandbox).items()
        for what, pattern in TOKEN_IN_CODE.items()
        if pattern.search(text)
    }
    assert found == {}


def test_the_check_sees_the_old_advice() -> None:
    """The patterns catch what the configuration error used to say."""
    old = (
        'Set them in the shell that starts Jupyter:\n  export ZEN_API_TOKEN="..."\nor in Python with '
        "os.environ[...] = ..., or pass them to ZenConfig as keywords (api_base=..., tenant_id=...)."
    )
    caught = {what for what, pattern in TOKEN_IN_CODE.items() if pattern.search(old)}
    assert caught == {"os.environ[...] = (which may be the token)", "export ZEN_API_TOKEN=<your token>"}
    assert TOKEN_IN_CODE["ZenConfig(api_token=...)"].search('ZenConfig(api_token="zen_live_x")')
    assert not TOKEN_IN_CODE["ZenConfig(api_token=...)"].search("ZenConfig(api_token=<set, hidden>)")


@pytest.mark.parametrize("where", [name for name in config_error_texts() if "TOKEN" in name or "token" in name])
def test_a_missing_token_is_sent_to_the_form_the_shell_or_a_prompt(where: str) -> None:
    text = config_error_texts()[where]
    assert f"`{hints.SETUP_FORM}`" in text, text
    assert "read -rs ZEN_API_TOKEN && export ZEN_API_TOKEN" in text, text
    assert "getpass" in text, text
    assert "IPython's history" in text, text


def test_the_other_variables_may_still_be_set_in_python() -> None:
    """Only the token is kept out of code: a missing tenant is still shown as ``os.environ["ZEN_TENANT_ID"]``."""
    text = config_error({name: value for name, value in COMPLETE.items() if name != "ZEN_TENANT_ID"})
    assert 'os.environ["ZEN_TENANT_ID"] = "..."' in text and "tenant_id=..." in text
    assert "getpass" not in text and "read -rs" not in text


def test_a_401_says_where_to_enter_another_token(sandbox: Any) -> None:
    wrong = zen_nb.ZenClient(ZenConfig(environ={**sandbox.env(), "ZEN_API_TOKEN": "zen_not_a_valid_token"}))
    with pytest.raises(zen_nb.UnauthorizedError) as raised:
        wrong.get_tenant()
    assert f"`{hints.SETUP_FORM}`" in raised.value.fix
    assert f"<code>{hints.SETUP_FORM}</code>" in code_html(raised.value.fix)
    assert "zen_not_a_valid_token" not in str(raised.value)


def test_the_export_lines_say_how_to_set_the_token_unseen() -> None:
    token_line = ZenConfig(environ=COMPLETE).export_lines().splitlines()[1]
    assert token_line.startswith("export ZEN_API_TOKEN=replace-with-your-api-token  #")
    assert "read -rs ZEN_API_TOKEN" in token_line
    assert COMPLETE["ZEN_API_TOKEN"] not in ZenConfig(environ=COMPLETE).export_lines()
