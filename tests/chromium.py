"""Which Chromium the browser tests drive, found the same way on every machine, and said.

Looked for in this order, the first found used:

1. ``$ZEN_NB_CHROMIUM``, an executable's path (or a command on PATH), used exactly as named. A
   value that names no executable is an error, never a silent fall-back to another browser.
   Playwright has no variable of its own for a browser's executable (``PLAYWRIGHT_BROWSERS_PATH``
   is the folder of its downloads, and 3. honours it);
2. Chromium or Chrome on PATH (:data:`PATH_NAMES`). A wrapper script there (Debian's
   ``/usr/bin/chromium`` prints a shell warning on some machines) gives way to the real binary of
   the same install when one is found beside it; a PATH browser of any other layout is used as is;
3. a browser that Playwright itself installed (``playwright install chromium``): only its path is
   asked for, which never downloads anything;
4. Debian's binary, :data:`DEBIAN_CHROMIUM`, for a PATH without ``/usr/bin``.

When none is found, :class:`ChromiumNotFound` says in one line every place looked and what to
install, which the browser tests give as their skip reason.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "ZEN_NB_CHROMIUM"
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
DEBIAN_CHROMIUM = Path("/usr/lib/chromium/chromium")
INSTALL = "apt-get install -y chromium && pip install playwright"


class ChromiumNotFound(Exception):
    """No browser in any of the places looked; the message names them all and what to install."""


class ChromiumSettingError(Exception):
    """``$ZEN_NB_CHROMIUM`` names no executable: said, rather than quietly using another browser."""


@dataclass(frozen=True)
class Chromium:
    """A browser found: its executable and, in words, where it came from."""

    path: Path
    source: str

    def __str__(self) -> str:
        return f"{self.path} ({self.source})"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _is_script(path: Path) -> bool:
    """Whether ``path`` is a script (``#!``) rather than a binary, as launch wrappers are."""
    try:
        with path.open("rb") as file:
            return file.read(2) == b"#!"
    except OSError:
        return False


def binary_behind(wrapper: Path) -> Path | None:
    """The real binary of the install a wrapper script belongs to, if one is found; else None.

    Debian's ``/usr/bin/chromium`` runs ``/usr/lib/chromium/chromium`` (``<prefix>/lib/NAME/NAME``);
    Chrome's ``/opt/google/chrome/google-chrome`` (behind ``/usr/bin/google-chrome``) runs
    ``chrome`` beside it.
    """
    real = wrapper.resolve()
    if not _is_script(real):
        return None
    folder = real.parent
    if folder.name == "bin":
        candidates = [folder.parent / lib / real.name / real.name for lib in ("lib", "lib64")]
    else:
        candidates = [folder / "chrome", folder / "chromium"]
    for candidate in candidates:
        if candidate != real and _executable(candidate) and not _is_script(candidate):
            return candidate
    return None


def _label(path: Path) -> str:
    return "Debian's package" if path == DEBIAN_CHROMIUM else ""


def _from_env(value: str, search_path: str) -> Chromium:
    named = shutil.which(value, path=search_path) if os.sep not in value else value
    path = Path(named) if named else Path(value)
    if not _executable(path):
        why = "is not executable" if path.is_file() else "does not exist" if not path.exists() else "is not a file"
        raise ChromiumSettingError(
            f"{ENV_VAR}={value!r} names no executable Chromium ({path} {why}): "
            f"set it to a Chromium or Chrome binary, or unset it to search PATH, Playwright's browsers "
            f"and {DEBIAN_CHROMIUM}"
        )
    return Chromium(path, ", ".join(filter(None, [f"from ${ENV_VAR}", _label(path)])))


def _on_path(search_path: str) -> Chromium | None:
    for name in PATH_NAMES:
        found = shutil.which(name, path=search_path)
        if not found:
            continue
        path = Path(found)
        real = binary_behind(path)
        if real is not None:
            return Chromium(real, ", ".join(filter(None, [_label(real), f"the binary behind {path} on PATH"])))
        return Chromium(path, ", ".join(filter(None, [_label(path), "on PATH"])))
    return None


def playwright_executable(environ: Mapping[str, str]) -> str | None:
    """Where Playwright's own Chromium is, or would be, installed (None without Playwright).

    Only the path is asked for: nothing is downloaded. Asked in a child process with ``environ``,
    so that ``PLAYWRIGHT_BROWSERS_PATH`` there is honoured and a Playwright already running in
    the caller (the sync API cannot start inside another) is no obstacle.
    """
    code = (
        "from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as p: print(p.chromium.executable_path)"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=dict(environ)
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def find_chromium(
    environ: Mapping[str, str] | None = None,
    playwright_path: Callable[[Mapping[str, str]], str | None] = playwright_executable,
    debian: Path = DEBIAN_CHROMIUM,
) -> Chromium:
    """The browser to use, looked for in the order of this module's docstring, in ``environ``.

    Raises :class:`ChromiumSettingError` for a bad ``$ZEN_NB_CHROMIUM`` and
    :class:`ChromiumNotFound` when there is none anywhere.
    """
    env = os.environ if environ is None else environ
    search_path = env.get("PATH", os.defpath)
    if env.get(ENV_VAR):
        return _from_env(env[ENV_VAR], search_path)
    found = _on_path(search_path)
    if found is not None:
        return found
    looked = [f"${ENV_VAR} (unset)", f"PATH ({', '.join(PATH_NAMES)})"]
    own = playwright_path(env)
    if own and _executable(Path(own)):
        return Chromium(Path(own), "Playwright's own browser")
    looked.append(f"Playwright's own browser ({f'not at {own}' if own else 'Playwright not installed'})")
    if _executable(debian):
        return Chromium(debian, "Debian's package")
    looked.append(str(debian))
    raise ChromiumNotFound(f"no Chromium found (looked at: {'; '.join(looked)}); install one: {INSTALL}")


@functools.lru_cache(maxsize=1)
def _outcome() -> Chromium | Exception:
    try:
        return find_chromium()
    except (ChromiumNotFound, ChromiumSettingError) as problem:
        return problem


def default_chromium() -> Chromium:
    """:func:`find_chromium` for this process's environment, looked for once per run (header and tests agree)."""
    outcome = _outcome()
    if isinstance(outcome, Exception):
        raise type(outcome)(str(outcome))
    return outcome


def report_line() -> str:
    """The line for pytest's header: the browser used, or why there is none."""
    try:
        return f"chromium: {default_chromium()}"
    except ChromiumNotFound as missing:
        return f"chromium: none ({missing})"
    except ChromiumSettingError as bad:
        return f"chromium: error ({bad})"
