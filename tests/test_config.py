"""``ZenConfig``: the five ``ZEN_*`` variables of the recipe, read, checked, and kept secret.

A configuration comes from a given mapping, from ``os.environ`` (set here with
``monkeypatch``) or from keywords that override single values. Values are stripped of
whitespace and the API base of trailing slashes. Whatever is missing, a placeholder copied
from the recipe, or a base that is not an http(s) URL is refused by one ``ZenConfigError``
that names every offending variable and shows how to set them.

The token is a secret: no ``repr``, ``str``, error text or IPython rendering may hold any
4-character piece of it. The token used here has the public ``zen_test_`` prefix of sandbox
tokens (which also begins ``zen_nb``, so it is not counted) and a distinctive secret part.
"""

from __future__ import annotations

import itertools
import shlex

import pytest

import zen_nb
from zen_nb import ZenConfig, ZenConfigError

from helpers import ZEN_VARIABLES as NAMES

TOKEN = "zen_test_SECRET_q7Vx9Kp2Lm"
PUBLIC_PREFIX = "zen_test_"
ENV = {
    "ZEN_API_BASE": "https://api.zen-mesh.io",
    "ZEN_API_TOKEN": TOKEN,
    "ZEN_TENANT_ID": "tenant_acme",
    "ZEN_PLANE_ID": "plane_dev_us_east_1",
    "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
}
# The "Prerequisites" of the published recipe, copied as they are.
RECIPE_ENV = {
    "ZEN_API_BASE": "https://api.zen-mesh.io",
    "ZEN_API_TOKEN": "replace-with-your-api-token",
    "ZEN_TENANT_ID": "replace-with-your-tenant-id",
    "ZEN_PLANE_ID": "plane_dev_us_east_1",
    "ZEN_ADAPTER_ID": "adapter_stripe_ingester",
}


def secret_pieces(token: str = TOKEN, size: int = 4) -> set[str]:
    """The whole token, its last 8 characters, and every ``size``-character piece of its secret part."""
    secret = token.removeprefix(PUBLIC_PREFIX)
    pieces = {secret[i : i + size] for i in range(len(secret) - size + 1)}
    return pieces | {token, token[-8:]}


def assert_no_secret(text: str, token: str = TOKEN) -> None:
    leaked = sorted(piece for piece in secret_pieces(token) if piece in text)
    assert not leaked, f"token pieces {leaked} in {text!r}"


def rendered(error: zen_nb.ZenError) -> str:
    """What IPython shows for the error."""
    return "\n".join(error._render_traceback_())


def config_error(environ: dict[str, str], **keywords: str) -> ZenConfigError:
    with pytest.raises(ZenConfigError) as caught:
        ZenConfig(environ=environ, **keywords)
    return caught.value


def how_to_set(name: str) -> str:
    """The line of a configuration error's fix that sets ``name`` in a shell: the token read unseen, never typed."""
    return "read -rs ZEN_API_TOKEN && export ZEN_API_TOKEN" if name == "ZEN_API_TOKEN" else f'export {name}="..."'


def without(*names: str) -> dict[str, str]:
    return {name: value for name, value in ENV.items() if name not in names}


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """``os.environ`` without any ``ZEN_*`` variable of the machine running the tests."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- where the values come from -------------------------------------------------------------


def test_from_a_given_mapping():
    config = ZenConfig(environ=ENV)
    assert config.api_base == "https://api.zen-mesh.io"
    assert config.api_token == TOKEN
    assert config.tenant_id == "tenant_acme"
    assert config.plane_id == "plane_dev_us_east_1"
    assert config.adapter_id == "adapter_stripe_ingester"
    assert ZenConfig.from_env(ENV) == config


def test_from_os_environ(clean_environ):
    for name, value in ENV.items():
        clean_environ.setenv(name, value)
    assert ZenConfig() == ZenConfig(environ=ENV)
    assert ZenConfig.from_env() == ZenConfig(environ=ENV)


def test_a_given_mapping_ignores_os_environ(clean_environ):
    clean_environ.setenv("ZEN_PLANE_ID", "plane_from_os_environ")
    assert ZenConfig(environ=ENV).plane_id == "plane_dev_us_east_1"


def test_keywords_override_single_values():
    config = ZenConfig(plane_id="plane_prod_eu_west_1", tenant_id="tenant_other", environ=ENV)
    assert config.plane_id == "plane_prod_eu_west_1"
    assert config.tenant_id == "tenant_other"
    assert (config.api_base, config.api_token, config.adapter_id) == (
        ENV["ZEN_API_BASE"],
        TOKEN,
        ENV["ZEN_ADAPTER_ID"],
    )


def test_keywords_alone_make_a_configuration(clean_environ):
    config = ZenConfig(
        api_base="http://127.0.0.1:8765",
        api_token=TOKEN,
        tenant_id="tenant_acme",
        plane_id="plane_dev_us_east_1",
        adapter_id="adapter_stripe_ingester",
    )
    assert config.as_env() == {**ENV, "ZEN_API_BASE": "http://127.0.0.1:8765"}


def test_a_keyword_fills_a_variable_missing_from_the_environment():
    assert ZenConfig(api_token=TOKEN, environ=without("ZEN_API_TOKEN")).api_token == TOKEN


@pytest.mark.parametrize(
    "base",
    [
        "https://api.zen-mesh.io/",
        "https://api.zen-mesh.io//",
        "https://api.zen-mesh.io///",
        " https://api.zen-mesh.io/ ",
    ],
)
def test_trailing_slashes_on_the_base_are_tolerated(base):
    assert ZenConfig(environ={**ENV, "ZEN_API_BASE": base}).api_base == "https://api.zen-mesh.io"


def test_a_base_with_a_path_keeps_the_path():
    config = ZenConfig(environ={**ENV, "ZEN_API_BASE": "https://gateway.example/zen/v1/"})
    assert config.api_base == "https://gateway.example/zen/v1"


def test_whitespace_around_every_value_is_stripped():
    padded = {name: f"  {value}\t\n" for name, value in ENV.items()}
    assert ZenConfig(environ=padded) == ZenConfig(environ=ENV)
    assert ZenConfig(plane_id=" plane_prod_eu_west_1 ", environ=ENV).plane_id == "plane_prod_eu_west_1"


def test_as_env_round_trips():
    config = ZenConfig(environ={**ENV, "ZEN_API_BASE": "https://api.zen-mesh.io/ "})
    assert config.as_env() == ENV
    assert ZenConfig(environ=config.as_env()) == config


def test_export_lines_are_the_recipe_prerequisites_without_the_token():
    lines = ZenConfig(environ=ENV).export_lines().splitlines()
    assert [line.split("=")[0] for line in lines] == [f"export {name}" for name in NAMES]
    assert lines[0] == "export ZEN_API_BASE=https://api.zen-mesh.io"  # one shell word: quoted only where needed
    assert lines[2] == f"export ZEN_TENANT_ID={shlex.quote(ENV['ZEN_TENANT_ID'])}"
    assert_no_secret("\n".join(lines))


def test_the_token_line_keeps_a_placeholder_that_is_refused_until_replaced():
    lines = ZenConfig(environ=ENV).export_lines().splitlines()
    pasted = dict(line.removeprefix("export ").split("  #")[0].replace('"', "").split("=", 1) for line in lines)
    with pytest.raises(ZenConfigError, match="ZEN_API_TOKEN"):
        ZenConfig(environ=pasted)
    assert ZenConfig(environ={**pasted, "ZEN_API_TOKEN": TOKEN}) == ZenConfig(environ=ENV)


# --- what is refused ------------------------------------------------------------------------

MISSING_SETS = [set(names) for count in range(1, 6) for names in itertools.combinations(NAMES, count)]


def test_nothing_missing_is_no_error():
    ZenConfig(environ=ENV)


@pytest.mark.parametrize("missing", MISSING_SETS, ids=lambda names: "+".join(sorted(names)))
def test_one_error_names_exactly_every_missing_variable(missing):
    error = config_error(without(*missing))
    assert type(error) is ZenConfigError
    assert isinstance(error, zen_nb.ZenError)
    for name in NAMES:
        assert (name in error.message) == (name in missing), (name, error.message)
    assert "not set" in error.message
    for name in NAMES:
        assert (how_to_set(name) in error.fix) == (name in missing), (name, error.fix)
    assert "zen-nb sandbox" in error.fix  # the sandbox hint
    assert "zen_nb.sandbox.start()" in error.fix


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_an_empty_or_blank_value_is_missing(blank):
    error = config_error({**ENV, "ZEN_TENANT_ID": blank})
    assert "ZEN_TENANT_ID" in error.message
    assert 'export ZEN_TENANT_ID="..."' in error.fix


def test_an_empty_keyword_does_not_count_as_set():
    error = config_error(ENV, plane_id="")
    assert "ZEN_PLANE_ID" in error.message


def test_the_recipe_placeholders_are_refused_by_name():
    error = config_error(RECIPE_ENV)
    assert "ZEN_API_TOKEN" in error.message and "ZEN_TENANT_ID" in error.message
    assert "placeholder" in error.message
    for name in ("ZEN_API_BASE", "ZEN_PLANE_ID", "ZEN_ADAPTER_ID"):
        assert name not in error.message
    assert how_to_set("ZEN_API_TOKEN") in error.fix
    assert 'export ZEN_TENANT_ID="..."' in error.fix
    assert "zen-nb sandbox" in error.fix


def test_a_placeholder_given_as_a_keyword_is_refused():
    error = config_error(ENV, api_token="replace-with-your-api-token")
    assert "ZEN_API_TOKEN" in error.message and "placeholder" in error.message


def test_missing_and_placeholder_variables_are_named_in_one_error():
    error = config_error({**RECIPE_ENV, "ZEN_PLANE_ID": ""})
    for name in ("ZEN_API_TOKEN", "ZEN_TENANT_ID", "ZEN_PLANE_ID"):
        assert name in error.message
        assert how_to_set(name) in error.fix


@pytest.mark.parametrize("base", ["api.zen-mesh.io", "localhost:8765", "ftp://api.zen-mesh.io", "htp://x"])
def test_a_base_without_http_or_https_is_refused(base):
    error = config_error({**ENV, "ZEN_API_BASE": base})
    assert "ZEN_API_BASE" in error.message
    assert "http://" in error.message and "https://" in error.message
    assert 'export ZEN_API_BASE="..."' in error.fix


@pytest.mark.parametrize("base", ["http://", "https://", "https:///"])
def test_a_base_without_a_host_is_refused(base):
    error = config_error({**ENV, "ZEN_API_BASE": base})
    assert "ZEN_API_BASE" in error.message


def test_a_bad_base_and_a_missing_variable_are_both_shown_how_to_set():
    error = config_error({**without("ZEN_API_TOKEN"), "ZEN_API_BASE": "api.zen-mesh.io"})
    assert "ZEN_API_BASE" in error.message and "ZEN_API_TOKEN" in error.message
    assert how_to_set("ZEN_API_TOKEN") in error.fix
    assert 'export ZEN_API_BASE="..."' in error.fix


def test_http_and_https_bases_are_both_accepted():
    assert ZenConfig(environ={**ENV, "ZEN_API_BASE": "http://127.0.0.1:8765"}).api_base == "http://127.0.0.1:8765"
    assert ZenConfig(environ=ENV).api_base == "https://api.zen-mesh.io"


def test_a_config_error_renders_short_in_ipython():
    error = config_error(without("ZEN_TENANT_ID", "ZEN_PLANE_ID"))
    lines = error._render_traceback_()
    assert lines[0] == f"ZenConfigError: {error.message}"
    assert any(line.lstrip().startswith("Fix:") for line in rendered(error).splitlines())
    assert "Traceback" not in rendered(error) and 'File "' not in rendered(error)
    assert str(error) == f"{error.message}\nFix: {error.fix}"


# --- the token stays secret -----------------------------------------------------------------


def test_the_secret_check_itself_finds_a_leak():
    with pytest.raises(AssertionError):
        assert_no_secret(f"...{TOKEN[-6:-1]}...")


def test_repr_and_str_hide_the_token_and_say_it_is_set():
    config = ZenConfig(environ=ENV)
    for text in (repr(config), str(config), f"{config}", f"{config!r}", repr([config]), repr({"c": config})):
        assert_no_secret(text)
    assert "api_token=<set, hidden>" in repr(config)
    assert "tenant_acme" in repr(config) and "plane_dev_us_east_1" in repr(config)
    assert "\n" not in repr(config)


@pytest.mark.parametrize(
    "environ",
    [
        without("ZEN_TENANT_ID"),
        without("ZEN_API_BASE", "ZEN_PLANE_ID", "ZEN_ADAPTER_ID"),
        {**ENV, "ZEN_TENANT_ID": "replace-with-your-tenant-id"},
        {**ENV, "ZEN_API_BASE": "api.zen-mesh.io"},
    ],
    ids=["missing-tenant", "missing-three", "placeholder", "bad-base"],
)
def test_config_errors_never_show_the_token(environ):
    error = config_error(environ)
    for text in (str(error), repr(error), error.message, error.fix, rendered(error), *error.args):
        assert_no_secret(text)


def test_as_env_is_the_one_place_that_holds_the_token():
    assert ZenConfig(environ=ENV).as_env()["ZEN_API_TOKEN"] == TOKEN


# --- ZenClient() ----------------------------------------------------------------------------


def test_zen_client_without_arguments_reads_the_environment(clean_environ):
    for name, value in ENV.items():
        clean_environ.setenv(name, value)
    client = zen_nb.ZenClient()
    assert client.config == ZenConfig(environ=ENV)
    assert client._http.url("/clusters") == "https://api.zen-mesh.io/tenants/tenant_acme/clusters"
    assert_no_secret(repr(client))
    assert_no_secret(str(client))
    client.close()


def test_zen_client_without_a_configuration_raises_the_config_error(clean_environ):
    with pytest.raises(ZenConfigError) as caught:
        zen_nb.ZenClient()
    for name in NAMES:
        assert name in caught.value.message


def test_zen_client_from_the_environment_talks_to_the_sandbox(api, clean_environ):
    for name, value in api.box.env().items():
        clean_environ.setenv(name, value)
    with zen_nb.ZenClient() as client:
        assert client.get_tenant()["id"] == api.box.tenant_id
        assert api.box.token not in repr(client)
        assert api.box.base_url in repr(client)
