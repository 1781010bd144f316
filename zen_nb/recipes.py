"""Where the recipe notebooks are, for ``zen-nb lab``.

In a source checkout (an editable install) they are the repository's ``notebooks/``, opened in
place so that edits land in the repository. A wheel installs them read-only under
``<prefix>/share/zen_nb/recipes``; they are then copied into a folder of the user's own (in the
user data directory) where they can be run and edited, and a later copy never overwrites a
notebook the user already has.
"""

from __future__ import annotations

import shutil
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

SHARE_SUBDIR = Path("share", "zen_nb", "recipes")


class RecipesNotFound(RuntimeError):
    """No recipe notebooks here: neither a source checkout nor an installed copy."""


@dataclass
class RecipeFolder:
    """The folder JupyterLab opens, and what was done to get it ready."""

    path: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _has_notebooks(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.ipynb"))


def source_recipes() -> Path | None:
    """``notebooks/`` of the source checkout this package runs from, if it does."""
    folder = Path(__file__).resolve().parent.parent / "notebooks"
    return folder if _has_notebooks(folder) else None


def installed_recipes() -> Path | None:
    """The read-only copy a wheel installed (``share/zen_nb/recipes`` under an install prefix)."""
    prefixes = [sys.prefix, sysconfig.get_path("data")]
    if site.ENABLE_USER_SITE and site.USER_BASE:
        prefixes.append(site.USER_BASE)
    for prefix in dict.fromkeys(prefixes):
        folder = Path(prefix) / SHARE_SUBDIR
        if _has_notebooks(folder):
            return folder
    return None


def default_workspace() -> Path:
    """Where the installed recipes are copied to be run and edited: the user data directory."""
    from platformdirs import user_data_path

    return user_data_path("zen-nb", appauthor=False) / "recipes"


def copy_recipes(source: Path, workspace: Path) -> RecipeFolder:
    """Copy the notebooks of ``source`` into ``workspace``, keeping any the user already has there."""
    workspace.mkdir(parents=True, exist_ok=True)
    folder = RecipeFolder(workspace)
    for notebook in sorted(source.glob("*.ipynb")):
        destination = workspace / notebook.name
        if destination.exists():
            folder.kept.append(notebook.name)
        else:
            shutil.copyfile(notebook, destination)
            folder.copied.append(notebook.name)
    return folder


def locate(explicit: Path | None = None, workspace: Path | None = None) -> RecipeFolder:
    """The folder to open: ``explicit`` if given, else the checkout's, else a copy of the installed ones."""
    if explicit is not None:
        if not explicit.is_dir():
            raise RecipesNotFound(f"{explicit} is not a folder: pass --dir a folder of notebooks")
        return RecipeFolder(explicit.resolve())
    source = source_recipes()
    if source is not None:
        return RecipeFolder(source)
    installed = installed_recipes()
    if installed is not None:
        return copy_recipes(installed, workspace or default_workspace())
    raise RecipesNotFound(
        "the recipe notebooks are not installed with this copy of zen_nb: reinstall it from a wheel or "
        "a source checkout (pip install 'zen_nb[lab]'), or pass --dir with a folder holding the "
        "notebooks/ of the zen_nb source"
    )
