"""How the browser tests find Chromium (tests/chromium.py), on fake executables in ``tmp_path``.

Each test hands :func:`chromium.find_chromium` its own environment (PATH, ``$ZEN_NB_CHROMIUM``),
its own answer for Playwright's browser and its own "Debian" path, so nothing of this machine
leaks in; one test asks the real Playwright, in a folder of its own, to show that asking
downloads nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import browser
import chromium
from chromium import ENV_VAR, INSTALL, PATH_NAMES, Chromium, ChromiumNotFound, ChromiumSettingError, find_chromium


def binary(path: Path) -> Path:
    """A fake browser binary (not a script), executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x7fELF fake browser")
    path.chmod(0o755)
    return path


def wrapper(path: Path, runs: str = "/nowhere/chromium") -> Path:
    """A fake launch script, as Debian's ``/usr/bin/chromium`` is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec {runs} "$@"\n')
    path.chmod(0o755)
    return path


def no_playwright(_env: Mapping[str, str]) -> None:
    return None


def playwright_at(path: Path) -> Callable[[Mapping[str, str]], str]:
    return lambda _env: str(path)


@pytest.fixture
def place(tmp_path: Path):
    """``find_chromium`` on ``tmp_path``: PATH is ``tmp_path/bin`` (plus ``extra``), nothing else of the machine."""

    def find(
        env: dict[str, str] | None = None,
        extra: tuple[Path, ...] = (),
        playwright: Callable[[Mapping[str, str]], str | None] = no_playwright,
        debian: Path | None = None,
    ) -> Chromium:
        search = os.pathsep.join(str(folder) for folder in (tmp_path / "bin", *extra))
        environ = {"PATH": search, **(env or {})}
        return find_chromium(environ, playwright_path=playwright, debian=debian or tmp_path / "no-debian")

    return find


def test_the_environment_variable_comes_first_and_is_used_as_named(tmp_path, place):
    chosen = binary(tmp_path / "elsewhere" / "my-chrome")
    binary(tmp_path / "bin" / "chromium")
    found = place(
        {ENV_VAR: str(chosen)},
        playwright=playwright_at(binary(tmp_path / "pw" / "chrome")),
        debian=binary(tmp_path / "debian" / "chromium"),
    )
    assert found == Chromium(chosen, f"from ${ENV_VAR}")
    assert str(found) == f"{chosen} (from ${ENV_VAR})"


def test_the_environment_variable_may_name_a_command_on_path(tmp_path, place):
    chrome = binary(tmp_path / "bin" / "my-chrome")
    assert place({ENV_VAR: "my-chrome"}).path == chrome


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda path: path, "does not exist"),
        (lambda path: (path.write_text("x"), path.chmod(0o644), path)[-1], "is not executable"),
        (lambda path: (path.mkdir(), path)[-1], "is not a file"),
    ],
    ids=["missing", "not-executable", "a-folder"],
)
def test_an_environment_variable_naming_no_executable_is_an_error_not_a_fall_back(tmp_path, place, make, why):
    named = make(tmp_path / "chromium-typo")
    binary(tmp_path / "bin" / "chromium")  # there, but never used instead
    with pytest.raises(ChromiumSettingError) as raised:
        place({ENV_VAR: str(named)}, debian=binary(tmp_path / "debian" / "chromium"))
    message = str(raised.value)
    assert f"{ENV_VAR}='{named}'" in message and why in message and "unset it" in message


@pytest.mark.parametrize("name", PATH_NAMES)
def test_each_chromium_or_chrome_name_is_found_on_path(tmp_path, place, name):
    installed = binary(tmp_path / "bin" / name)
    assert place(playwright=playwright_at(binary(tmp_path / "pw" / "chrome"))) == Chromium(installed, "on PATH")


def test_on_path_names_are_tried_in_order_whatever_the_folder_order(tmp_path, place):
    binary(tmp_path / "bin" / "google-chrome")
    chromium_later = binary(tmp_path / "later" / "chromium")
    assert place(extra=(tmp_path / "later",)).path == chromium_later


def test_debians_wrapper_on_path_gives_way_to_its_real_binary(tmp_path, place):
    real = binary(tmp_path / "usr" / "lib" / "chromium" / "chromium")
    script = wrapper(tmp_path / "usr" / "bin" / "chromium", runs=str(real))
    found = place(extra=(tmp_path / "usr" / "bin",))
    assert found == Chromium(real, f"the binary behind {script} on PATH")


def test_chromes_wrapper_behind_a_symlink_on_path_gives_way_to_chrome_beside_it(tmp_path, place):
    install = tmp_path / "opt" / "google" / "chrome"
    real = binary(install / "chrome")
    wrapper(install / "google-chrome", runs=str(real))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "google-chrome").symlink_to(install / "google-chrome")
    assert place().path == real


def test_a_wrapper_without_a_binary_beside_it_is_used_as_is(tmp_path, place):
    script = wrapper(tmp_path / "bin" / "chromium-browser", runs="/snap/bin/chromium")
    assert place() == Chromium(script, "on PATH")


def test_path_comes_before_playwrights_own_chromium_and_debians(tmp_path, place):
    on_path = binary(tmp_path / "bin" / "chrome")
    found = place(playwright=playwright_at(binary(tmp_path / "pw" / "chrome")), debian=binary(tmp_path / "deb"))
    assert found.path == on_path


def test_playwrights_own_chromium_comes_next_when_it_is_installed(tmp_path, place):
    own = binary(tmp_path / "pw" / "chromium-1255" / "chrome-linux64" / "chrome")
    debian = binary(tmp_path / "debian" / "chromium")
    assert place(playwright=playwright_at(own), debian=debian) == Chromium(own, "Playwright's own browser")
    # Not downloaded (the path Playwright names does not exist): on to Debian's.
    assert place(playwright=playwright_at(tmp_path / "pw" / "missing"), debian=debian) == Chromium(
        debian, "Debian's package"
    )


def test_nothing_found_is_one_line_naming_every_place_looked_and_what_to_install(tmp_path, place):
    with pytest.raises(ChromiumNotFound) as raised:
        place(playwright=playwright_at(tmp_path / "pw" / "chrome"), debian=tmp_path / "debian" / "chromium")
    message = str(raised.value)
    assert "\n" not in message
    for looked in (f"${ENV_VAR} (unset)", *PATH_NAMES, str(tmp_path / "pw" / "chrome"), str(tmp_path / "debian")):
        assert looked in message
    assert message.endswith(f"install one: {INSTALL}")
    with pytest.raises(ChromiumNotFound, match="Playwright not installed"):
        place()


def test_asking_playwright_where_its_chromium_is_downloads_nothing(tmp_path):
    pytest.importorskip("playwright.sync_api", reason=f"needs Playwright: {INSTALL}")
    folder = tmp_path / "ms-playwright"  # Playwright's own variable for where its browsers live
    path = chromium.playwright_executable({**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(folder)})
    assert path is not None and Path(path).is_relative_to(folder)
    assert not folder.exists(), "asking for the path created Playwright's browser folder"


def test_without_chromium_the_ui_tests_skip_with_the_whole_message_and_the_header_says_it(monkeypatch):
    missing = ChromiumNotFound(f"no Chromium found (looked at: ...); install one: {INSTALL}")

    def nothing() -> Chromium:
        raise missing

    monkeypatch.setattr(browser, "default_chromium", nothing)
    monkeypatch.setattr(chromium, "default_chromium", nothing)
    with pytest.raises(pytest.skip.Exception, match=r"the browser tests need Chromium: no Chromium found .*apt-get"):
        browser.chromium_or_skip()
    assert chromium.report_line() == f"chromium: none ({missing})"


def test_a_bad_environment_variable_is_an_error_for_the_ui_tests_too(monkeypatch):
    def bad() -> Chromium:
        raise ChromiumSettingError(f"{ENV_VAR}='/x' names no executable Chromium")

    monkeypatch.setattr(browser, "default_chromium", bad)
    monkeypatch.setattr(chromium, "default_chromium", bad)
    with pytest.raises(ChromiumSettingError):
        browser.chromium_or_skip()
    assert chromium.report_line().startswith(f"chromium: error ({ENV_VAR}='/x'")


def test_the_header_names_the_chromium_used_and_where_it_came_from(monkeypatch):
    monkeypatch.setattr(chromium, "default_chromium", lambda: Chromium(chromium.DEBIAN_CHROMIUM, "Debian's package"))
    assert chromium.report_line() == "chromium: /usr/lib/chromium/chromium (Debian's package)"
