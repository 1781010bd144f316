"""Configuration: the five ``ZEN_*`` variables of a recipe, from the environment or given.

The token is a secret: it is kept out of ``repr``, ``str`` and every error, which only say
whether one is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from .errors import ZenConfigError
from .hints import SANDBOX_COMMAND, SETUP_FORM, START_SANDBOX_PYTHON, code
from .quoting import shell_word
from .vocabulary import ENV_ADAPTER_ID, ENV_API_BASE, ENV_API_TOKEN, ENV_PLANE_ID, ENV_TENANT_ID

VARIABLES = {
    "api_base": ENV_API_BASE,
    "api_token": ENV_API_TOKEN,
    "tenant_id": ENV_TENANT_ID,
    "plane_id": ENV_PLANE_ID,
    "adapter_id": ENV_ADAPTER_ID,
}

# Sets ZEN_API_TOKEN in bash or zsh from what is pasted, unseen and out of the shell's history.
ENV_API_KEY = "ZEN_API_KEY"  # another name of ZEN_API_TOKEN (the vendor's CLI reads this one), read when it is unset

_TOKEN_PROMPT_SHELL = f"read -rs {ENV_API_TOKEN} && export {ENV_API_TOKEN}"
_KEYWORD_OF = {variable: keyword for keyword, variable in VARIABLES.items()}

PLACEHOLDER_PREFIX = "replace-with-"
# What can be wrong with one variable (ZenConfigError.problems), for a form to mark the field and say how.
NOT_SET = "not set"
PLACEHOLDER = "still holds the recipe's placeholder"
NOT_A_URL = "must be an http:// or https:// URL with a host"
SANDBOX_HINT = (
    f"For the local sandbox, run {code(SANDBOX_COMMAND)} in a terminal and paste the export lines it prints, "
    f"or in Python: {code(START_SANDBOX_PYTHON)}."
)


@dataclass(frozen=True)
class ZenConfig:
    """Where the API is and who is calling: ``ZEN_API_BASE``, ``ZEN_API_TOKEN``, ``ZEN_TENANT_ID``,
    ``ZEN_PLANE_ID`` and ``ZEN_ADAPTER_ID``. ``ZenConfig()`` reads them from the environment;
    keyword arguments override single values. ``ZEN_API_KEY`` is read as the token when
    ``ZEN_API_TOKEN`` is unset (the vendor's CLI and v1 pages call it so)."""

    api_base: str = ""
    api_token: str = field(default="", repr=False)
    tenant_id: str = ""
    plane_id: str = ""
    adapter_id: str = ""

    def __init__(
        self,
        api_base: str | None = None,
        api_token: str | None = None,
        tenant_id: str | None = None,
        plane_id: str | None = None,
        adapter_id: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        source = os.environ if environ is None else environ
        given = {
            "api_base": api_base,
            "api_token": api_token,
            "tenant_id": tenant_id,
            "plane_id": plane_id,
            "adapter_id": adapter_id,
        }
        values = {
            name: (value if value is not None else source.get(VARIABLES[name], "")).strip()
            for name, value in given.items()
        }
        if not values["api_token"] and api_token is None:
            values["api_token"] = source.get(ENV_API_KEY, "").strip()  # the vendor's CLI's name for it
        values["api_base"] = values["api_base"].rstrip("/")
        _check(values)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ZenConfig:
        """The configuration of an environment (``os.environ`` by default)."""
        return cls(environ=environ)

    def as_env(self) -> dict[str, str]:
        """The five variables as a dict, e.g. for ``os.environ.update`` (it holds the token)."""
        return {VARIABLES[item.name]: getattr(self, item.name) for item in fields(self)}

    def export_lines(self) -> str:
        """The recipe's ``export`` lines for a shell, with these values but never the token.

        The token line keeps the recipe's placeholder, which ``ZenConfig`` refuses until it is
        replaced: printed lines end up in saved notebooks, logs and screen shares. Its comment
        says how to set the real one unseen and out of the shell's history. Each value is one
        shell word (single-quoted where needed), so a value with ``$(...)`` or a quote in it is
        exported as it is and never runs.
        """
        lines = [f"export {name}={shell_word(value)}" for name, value in self.as_env().items() if name != ENV_API_TOKEN]
        lines.insert(
            1,
            f"export {ENV_API_TOKEN}={PLACEHOLDER_PREFIX}your-api-token  # not shown: set yours unseen with "
            f"{_TOKEN_PROMPT_SHELL}",
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ZenConfig(api_base={self.api_base!r}, api_token=<set, hidden>, tenant_id={self.tenant_id!r}, "
            f"plane_id={self.plane_id!r}, adapter_id={self.adapter_id!r})"
        )

    __str__ = __repr__


def _check(values: dict[str, str]) -> None:
    """One error naming every missing or placeholder variable, and how to set them."""
    missing = [VARIABLES[name] for name, value in values.items() if not value]
    placeholders = [VARIABLES[name] for name, value in values.items() if value.startswith(PLACEHOLDER_PREFIX)]
    problems = []
    if missing:
        problems.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set")
    if placeholders:
        problems.append(
            f"{', '.join(placeholders)} still hold{'s' if len(placeholders) == 1 else ''} the recipe's placeholder"
        )
    base = values["api_base"]
    parts = urlsplit(base)
    bad_base = bool(base) and (parts.scheme not in ("http", "https") or not parts.netloc)
    if bad_base:
        problems.append(f"ZEN_API_BASE must be an http:// or https:// URL with a host (it is {base!r})")
    if problems:
        names = list(dict.fromkeys(missing + placeholders + (["ZEN_API_BASE"] if bad_base else [])))
        at_fault = {name: NOT_SET for name in missing}
        at_fault.update({name: PLACEHOLDER for name in placeholders})
        if bad_base:
            at_fault["ZEN_API_BASE"] = NOT_A_URL
        raise ZenConfigError(
            "The Zen Mesh configuration is incomplete: " + "; ".join(problems) + ".",
            fix=_setting_fix(names),
            problems=at_fault,
        )


def _setting_fix(names: list[str]) -> str:
    """How to set these variables, the token never in code.

    A token typed into a cell stays in IPython's history database (and in a saved notebook), and
    one typed into an ``export`` line stays in the shell's history: the token is entered in the
    form, or read unseen (by the shell's ``read -s`` or Python's getpass), never written out.
    """
    others = [name for name in names if name != ENV_API_TOKEN]
    token = ENV_API_TOKEN in names
    lines = [f'  export {name}="..."' for name in others]
    if token:
        lines.append(f"  {_TOKEN_PROMPT_SHELL}   (then paste the token and press Enter: it is neither shown nor kept)")
    fix = f"Set {'them' if len(names) > 1 else 'it'} in the shell that starts Jupyter:\n" + "\n".join(lines) + "\n"
    form = f"enter the token in the form of {code(SETUP_FORM)} or read it with Python's getpass"
    if others:
        fix += f'or in Python with os.environ["{others[0]}"] = "..." (or ZenConfig keywords such as '
        fix += f"{_KEYWORD_OF[others[0]]}=...)"
        fix += f", but never the token: a cell stays in IPython's history, so {form}. " if token else ". "
    else:
        fix += f"or {form}: never write it into a cell, whose code stays in IPython's history. "
    return fix + SANDBOX_HINT
