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
from .hints import SANDBOX_COMMAND, START_SANDBOX_PYTHON, code
from .vocabulary import ENV_ADAPTER_ID, ENV_API_BASE, ENV_API_TOKEN, ENV_PLANE_ID, ENV_TENANT_ID

VARIABLES = {
    "api_base": ENV_API_BASE,
    "api_token": ENV_API_TOKEN,
    "tenant_id": ENV_TENANT_ID,
    "plane_id": ENV_PLANE_ID,
    "adapter_id": ENV_ADAPTER_ID,
}

PLACEHOLDER_PREFIX = "replace-with-"
SANDBOX_HINT = (
    f"For the local sandbox, run {code(SANDBOX_COMMAND)} in a terminal and paste the export lines it prints, "
    f"or in Python: {code(START_SANDBOX_PYTHON)}."
)


@dataclass(frozen=True)
class ZenConfig:
    """Where the API is and who is calling: ``ZEN_API_BASE``, ``ZEN_API_TOKEN``, ``ZEN_TENANT_ID``,
    ``ZEN_PLANE_ID`` and ``ZEN_ADAPTER_ID``. ``ZenConfig()`` reads them from the environment;
    keyword arguments override single values."""

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
        replaced: printed lines end up in saved notebooks, logs and screen shares.
        """
        lines = [f'export {name}="{value}"' for name, value in self.as_env().items() if name != "ZEN_API_TOKEN"]
        lines.insert(1, f'export ZEN_API_TOKEN="{PLACEHOLDER_PREFIX}your-api-token"  # not shown: paste yours')
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
        names = missing + placeholders + (["ZEN_API_BASE"] if bad_base else [])
        example = "\n".join(f'  export {name}="..."' for name in names)
        raise ZenConfigError(
            "The Zen Mesh configuration is incomplete: " + "; ".join(problems) + ".",
            fix=f"Set them in the shell that starts Jupyter:\n{example}\nor in Python with os.environ[...] = ..., "
            f"or pass them to ZenConfig as keywords (api_base=..., tenant_id=...). {SANDBOX_HINT}",
        )
