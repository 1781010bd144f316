"""Where the recipe notebooks are, for ``zen-nb lab``, and how an installed copy is kept current.

In a source checkout (an editable install) they are the repository's ``notebooks/``, opened in
place so that edits land in the repository. A wheel installs them read-only under
``<prefix>/share/zen_nb/recipes``; they are copied into a workspace of the user's own (in the
user data directory) to be run and edited, and every ``zen-nb lab`` brings that workspace up to
the installed version without ever losing what the user wrote:

- a recipe missing from the workspace (new in this version, or deleted by the user) is copied;
- a copy the user has not changed is replaced by the shipped version ("updated");
- a copy the user changed is kept, and the shipped version is written beside it as
  ``<name>.new.ipynb`` (which sorts right after it), once per shipped version ("kept");
- nothing else in the workspace is touched, and nothing is ever deleted.

"Changed" means what the user can author: each cell's type and source text (a list of lines is
joined first). Outputs, execution counts and metadata are left out, since JupyterLab rewrites
them when a notebook is only opened and run. So a copy that was only run is untouched, and an
upgrade replaces it: it loses its outputs, which running it again brings back. While its sources
equal the shipped ones it is left as it is, outputs and all (a change of outputs alone is not an
upgrade). A file that cannot be read as a notebook is the user's own: it is kept.

Which copy is untouched is told by ``.zen-nb-recipes.json`` in the workspace, written atomically:
for every file copied there (``<name>.ipynb`` or ``<name>.new.ipynb``), the fingerprint of the
shipped version written and the zen_nb version that wrote it. Without a manifest (a workspace
made before there was one) or with an unreadable one, which is rebuilt, only a copy whose
fingerprint equals the shipped one counts as untouched; any other is kept as the user's own.

A ``.new.ipynb`` follows the same rules on later upgrades: overwritten while the user has not
changed it, kept otherwise (the next version then goes beside it, ``<name>.new.new.ipynb``).
Once a version has been written there, deleting or editing that file dismisses it: it is not
written again until another version ships.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import site
import sys
import sysconfig
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .hints import INSTALL_LAB, code

SHARE_SUBDIR = Path("share", "zen_nb", "recipes")
MANIFEST_NAME = ".zen-nb-recipes.json"
MANIFEST_FORMAT = 1
NEW_SUFFIX = ".new.ipynb"

Records = dict[str, dict[str, str]]  # workspace file name -> {"fingerprint": ..., "zen_nb": ...}


class RecipesNotFound(RuntimeError):
    """No recipe notebooks here: neither a source checkout nor an installed copy."""


@dataclass
class RecipeFolder:
    """The folder JupyterLab opens, and what was done to get it ready (file names, sorted)."""

    path: Path
    copied: list[str] = field(default_factory=list)  # was not there: new, or deleted by the user
    updated: list[str] = field(default_factory=list)  # an untouched copy, replaced by the new version
    kept: dict[str, Path] = field(default_factory=dict)  # the user's own copy -> the new version beside it
    unchanged: list[str] = field(default_factory=list)  # nothing to do (current, or the user's with nothing new)

    def summary_lines(self) -> list[str]:
        """The banner's lines about what changed in the folder; none when nothing did."""
        lines = []
        if self.copied:
            lines.append(f"  copied here: {', '.join(self.copied)}")
        if self.updated:
            lines.append(f"  updated to the new version (you had not changed them): {', '.join(self.updated)}")
        for name, new in self.kept.items():
            lines.append(f"  kept your own version of {name}; the new version is beside it: {new.name}")
        return lines


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


def fingerprint(data: bytes) -> str:
    """What a user authors in a notebook: its cells' types and sources, hashed.

    Not a notebook (corrupt, cut short): a hash of its bytes, which no notebook's equals.
    """
    try:
        cells = json.loads(data)["cells"]
        authored = []
        for cell in cells:
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            if not isinstance(cell["cell_type"], str) or not isinstance(source, str):
                raise TypeError("not a notebook cell")
            authored.append([cell["cell_type"], source])
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return "bytes:" + hashlib.sha256(data).hexdigest()
    return "cells:" + hashlib.sha256(json.dumps(authored).encode()).hexdigest()


def _file_fingerprint(path: Path) -> str | None:
    """The fingerprint of the file at ``path``; None when it cannot be read at all."""
    try:
        return fingerprint(path.read_bytes())
    except OSError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write through a hidden temporary file and a rename, so ``path`` is never half written."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as file:  # "x" and open(): a new file, with the umask's mode
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise


def read_manifest(workspace: Path) -> Records:
    """What was copied into ``workspace``; empty when there is no manifest or it cannot be read."""
    try:
        manifest = json.loads((workspace / MANIFEST_NAME).read_bytes())
        if manifest["format"] != MANIFEST_FORMAT:
            return {}
        return {
            name: {"fingerprint": entry["fingerprint"], "zen_nb": str(entry.get("zen_nb", "unknown"))}
            for name, entry in manifest["files"].items()
            if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return {}


def _write_manifest(workspace: Path, records: Records) -> None:
    """Save ``records`` when they differ from the file: a manifest that cannot be written only
    makes the next upgrade keep more copies as the user's own, so it does not stop the lab."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "about": "What zen-nb lab copied here, to tell the recipes you changed from the ones you did not.",
        "files": dict(sorted(records.items())),
    }
    data = (json.dumps(manifest, indent=1) + "\n").encode()
    path = workspace / MANIFEST_NAME
    with suppress(OSError):
        if path.read_bytes() == data:
            return
    with suppress(OSError):
        _write_atomically(path, data)


class _Copier:
    """One pass over the shipped notebooks, with the workspace's records."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.records = read_manifest(workspace)

    def _recorded(self, name: str) -> str | None:
        return self.records.get(name, {}).get("fingerprint")

    def _record(self, name: str, shipped: str) -> None:
        if self._recorded(name) != shipped:
            self.records[name] = {"fingerprint": shipped, "zen_nb": __version__}

    def _write(self, name: str, data: bytes, shipped: str) -> None:
        _write_atomically(self.workspace / name, data)
        self._record(name, shipped)

    def place(self, name: str, data: bytes, shipped: str, folder: RecipeFolder) -> None:
        """Bring the workspace's copy of recipe ``name`` to the shipped version, or write it beside."""
        target = self.workspace / name
        if not target.exists():
            self._write(name, data, shipped)
            folder.copied.append(name)
            return
        current = _file_fingerprint(target)
        if current == shipped:
            self._record(name, shipped)  # e.g. a copy made before there was a manifest
            folder.unchanged.append(name)
        elif self._recorded(name) == shipped:
            folder.unchanged.append(name)  # the user's own edit of this very version
        elif current is not None and current == self._recorded(name):
            self._write(name, data, shipped)
            folder.updated.append(name)
        else:
            new = self.beside(name, data, shipped)
            if new is None:
                folder.unchanged.append(name)
            else:
                folder.kept[name] = new

    def beside(self, name: str, data: bytes, shipped: str) -> Path | None:
        """Write the shipped version beside the user's own ``name``; None if this version was already."""
        new_name = name.removesuffix(".ipynb") + NEW_SUFFIX
        target = self.workspace / new_name
        recorded = self._recorded(new_name)
        if recorded == shipped:
            return None  # written there before: left as it is, deleted or edited
        current = _file_fingerprint(target) if target.exists() else None
        if current == shipped:
            self._record(new_name, shipped)
        elif not target.exists() or (current is not None and current == recorded):
            self._write(new_name, data, shipped)
        else:
            return self.beside(new_name, data, shipped)  # the user works in that one too: keep it
        return target


def copy_recipes(source: Path, workspace: Path) -> RecipeFolder:
    """Bring ``workspace`` up to the notebooks of ``source``, keeping the user's own versions (see above)."""
    workspace.mkdir(parents=True, exist_ok=True)
    folder = RecipeFolder(workspace)
    copier = _Copier(workspace)
    for notebook in sorted(source.glob("*.ipynb")):
        data = notebook.read_bytes()
        copier.place(notebook.name, data, fingerprint(data), folder)
    _write_manifest(workspace, copier.records)
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
        f"a source checkout ({code(INSTALL_LAB)}), or pass --dir with a folder holding the "
        "notebooks/ of the zen_nb source"
    )
