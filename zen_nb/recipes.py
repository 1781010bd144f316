"""Where the recipe notebooks are, for ``zen-nb lab``, and how an installed copy is kept current.

They ship in one of two places: a source checkout's ``notebooks/`` (an editable install, as
the README's first command makes), or, from a wheel, read-only under
``<prefix>/share/zen_nb/recipes``. Either way they are copied into a workspace of the user's own
(in the user data directory) to be run and edited: JupyterLab autosaves what it has open, so a
recipe run from the checkout itself would have its outputs, or a failed run, written into a
tracked file. Every ``zen-nb lab`` brings the workspace up to the shipped version without ever
losing what the user wrote (the same for the training session's notebooks and guide in its
``training/`` folder, :data:`SHIPPED`). Who edits the recipes themselves passes
``--dir notebooks``, which opens that folder in place:

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

A symbolic link in the workspace is never followed: not read, not written through, not replaced
(zen-nb lab writes regular files only, so a link is something the user made). A link where a
recipe goes, even one that points nowhere, is the user's own, so the recipe is written beside it;
a link in the manifest's place leaves the manifest unsaved. The workspace folder itself may be a link to a
folder (a data directory moved to another disk); one that points nowhere is refused with the fix.
"""

from __future__ import annotations

import errno
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
# What a workspace gets, relative to the shipped folder: the recipes, and the training session's
# exercise notebooks with the trainer's guide in ``training/`` (pyproject.toml's data-files ship the same).
SHIPPED = ("*.ipynb", "training/*.ipynb", "training/*.md")

Records = dict[str, dict[str, str]]  # workspace file name -> {"fingerprint": ..., "zen_nb": ...}


class RecipesNotFound(RuntimeError):
    """No recipe notebooks here: neither a source checkout nor an installed copy."""


class WorkspaceUnusable(RecipesNotFound):
    """The recipes cannot be copied into the workspace (a link that points nowhere, no permission...).

    A kind of :class:`RecipesNotFound`: either way there is no folder of recipes to open, and
    the message names the path and what to do.
    """


@dataclass
class RecipeFolder:
    """The folder JupyterLab opens, and what was done to get it ready (file names, sorted)."""

    path: Path
    copied: list[str] = field(default_factory=list)  # was not there: new, or deleted by the user
    updated: list[str] = field(default_factory=list)  # an untouched copy, replaced by the new version
    kept: dict[str, Path] = field(default_factory=dict)  # the user's own copy -> the new version beside it
    unchanged: list[str] = field(default_factory=list)  # nothing to do (current, or the user's with nothing new)
    links: list[str] = field(default_factory=list)  # symbolic links where a recipe goes: never followed

    def summary_lines(self) -> list[str]:
        """The banner's lines about what changed in the folder; none when nothing did."""
        lines = []
        if self.copied:
            lines.append(f"  copied here: {', '.join(self.copied)}")
        if self.updated:
            lines.append(f"  updated to the new version (you had not changed them): {', '.join(self.updated)}")
        for name, new in self.kept.items():
            if name in self.links:
                lines.append(
                    f"  {name} is a symbolic link, left as it is (zen-nb lab never writes through a link); "
                    f"the recipe is beside it: {new.name}"
                )
            else:
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


_NO_LINK = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # O_NONBLOCK: a FIFO does not hang the read


def _read_no_link(path: Path) -> bytes:
    """The bytes of the file at ``path``, never through a symbolic link (an :class:`OSError` for one)."""
    if path.is_symlink():  # O_NOFOLLOW refuses one too; this is for systems without it
        raise OSError(errno.ELOOP, "a symbolic link is not followed", str(path))
    fd = os.open(path, os.O_RDONLY | _NO_LINK)
    with os.fdopen(fd, "rb") as file:
        return file.read()


def _present(path: Path) -> bool:
    """Whether anything is at ``path``, a symbolic link that points nowhere included."""
    return os.path.lexists(path)


def _file_fingerprint(path: Path) -> str | None:
    """The fingerprint of the file at ``path``; None when it cannot be read at all, or is a link."""
    try:
        return fingerprint(_read_no_link(path))
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
        manifest = json.loads(_read_no_link(workspace / MANIFEST_NAME))
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
    if path.is_symlink():
        return  # the user's link: not replaced, and not written through
    with suppress(OSError):
        if _read_no_link(path) == data:
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
        if not _present(target):
            self._write(name, data, shipped)
            folder.copied.append(name)
            return
        if target.is_symlink():
            folder.links.append(name)
        current = _file_fingerprint(target)  # None for a link: never read, so the user's own
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
        present = _present(target)
        current = _file_fingerprint(target) if present else None
        if current == shipped:
            self._record(new_name, shipped)
        elif not present or (current is not None and current == recorded):
            self._write(new_name, data, shipped)
        else:
            return self.beside(new_name, data, shipped)  # the user works in that one too: keep it
        return target


def shipped_files(source: Path) -> list[Path]:
    """The files of ``source`` that a workspace gets (:data:`SHIPPED`), in a stable order."""
    return sorted({path for pattern in SHIPPED for path in source.glob(pattern) if path.is_file()})


def _make_subfolder(workspace: Path, name: str) -> None:
    """``workspace/name`` as a real folder; a link there is the user's own and is not written through."""
    folder = workspace / name
    if folder.is_symlink():
        raise OSError(errno.ELOOP, "a symbolic link is not followed", str(folder))
    folder.mkdir(exist_ok=True)


def copy_recipes(source: Path, workspace: Path) -> RecipeFolder:
    """Bring ``workspace`` up to the notebooks of ``source``, keeping the user's own versions (see above).

    :class:`WorkspaceUnusable` names the path and the fix when the workspace cannot be written.
    """
    if workspace.is_symlink() and not workspace.exists():
        raise WorkspaceUnusable(
            f"the recipes' folder {workspace} is a symbolic link to {os.readlink(workspace)}, which does not "
            "exist, and zen-nb lab does not create folders through a link: create that folder, or remove the "
            "link (zen-nb lab then makes the folder), or pass --dir a folder of notebooks"
        )
    folder = RecipeFolder(workspace)
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        copier = _Copier(workspace)
        for shipped in shipped_files(source):
            name = shipped.relative_to(source).as_posix()
            if "/" in name:
                _make_subfolder(workspace, name.rpartition("/")[0])
            data = shipped.read_bytes()
            copier.place(name, data, fingerprint(data), folder)
    except OSError as error:
        where = error.filename or workspace
        raise WorkspaceUnusable(
            f"cannot copy the recipes into {workspace}: {error.strerror or error} ({where}); make that folder "
            "writable, or pass --dir a folder of notebooks"
        ) from None
    _write_manifest(workspace, copier.records)
    return folder


def locate(explicit: Path | None = None, workspace: Path | None = None) -> RecipeFolder:
    """The folder to open: ``explicit`` in place if given, else a workspace copy of the shipped recipes.

    The shipped ones are the checkout's ``notebooks/`` when this package runs from one, else a
    wheel's installed copy.
    """
    if explicit is not None:
        if not explicit.is_dir():
            raise RecipesNotFound(f"{explicit} is not a folder: pass --dir a folder of notebooks")
        return RecipeFolder(explicit.resolve())
    shipped = source_recipes() or installed_recipes()
    if shipped is not None:
        return copy_recipes(shipped, workspace or default_workspace())
    raise RecipesNotFound(
        "the recipe notebooks are not installed with this copy of zen_nb: reinstall it from a wheel or "
        f"a source checkout ({code(INSTALL_LAB)}), or pass --dir with a folder holding the "
        "notebooks/ of the zen_nb source"
    )
