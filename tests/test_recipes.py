"""An installed copy of the recipes: copied out, brought up to each new version, the user's own versions kept.

Every test works on real files in ``tmp_path``: a "shipped" folder plays the installed
``share/zen_nb/recipes``, a "workspace" folder the user's copy. The last one builds and installs
real wheels, twice, and upgrades a workspace between them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from zen_nb import __version__, recipes

from notebook_sandbox import NOTEBOOKS, ROOT

# What a wheel ships and a workspace gets: the recipes, then training/ (its notebooks and guide).
RECIPES = [path.relative_to(NOTEBOOKS).as_posix() for path in recipes.shipped_files(NOTEBOOKS)]
TOP_LEVEL = [name for name in RECIPES if "/" not in name]


def notebook(title: str, code: str = "print(1)") -> dict[str, Any]:
    """A small nbformat 4 notebook as JupyterLab saves it: a markdown cell and an executed code cell."""
    return {
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": [f"# {title}\n", "\n", "Read me."]},
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "code",
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}],
                "source": code.splitlines(keepends=True),
            },
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def save(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, indent=1) + "\n")


def ship(folder: Path, **notebooks: dict[str, Any]) -> Path:
    """Write a shipped folder: keyword ``a`` becomes ``a.ipynb``; returns the folder."""
    folder.mkdir(exist_ok=True)
    for name, content in notebooks.items():
        save(folder / f"{name}.ipynb", content)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too), by relative path."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def outcome(folder: recipes.RecipeFolder) -> tuple[list[str], list[str], dict[str, str], list[str]]:
    return folder.copied, folder.updated, {name: path.name for name, path in folder.kept.items()}, folder.unchanged


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    return ship(tmp_path / "share", a=notebook("A"), b=notebook("B"))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


def upgrade(shipped: Path, *names: str) -> None:
    """A new version ships: the markdown of each named recipe changes."""
    for name in names:
        path = shipped / f"{name}.ipynb"
        content = json.loads(path.read_text())
        content["cells"][0]["source"].append(" New in this version.")
        save(path, content)


def test_the_first_copy_copies_every_recipe_and_records_what_it_copied(shipped, workspace):
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == (["a.ipynb", "b.ipynb"], [], {}, [])
    assert folder.summary_lines() == ["  copied here: a.ipynb, b.ipynb"]
    for name in ("a.ipynb", "b.ipynb"):
        assert (workspace / name).read_bytes() == (shipped / name).read_bytes()
    manifest = json.loads((workspace / recipes.MANIFEST_NAME).read_text())
    assert manifest["format"] == 1
    assert manifest["files"] == {
        name: {"fingerprint": recipes.fingerprint((shipped / name).read_bytes()), "zen_nb": __version__}
        for name in ("a.ipynb", "b.ipynb")
    }
    assert sorted(path.name for path in workspace.iterdir()) == [recipes.MANIFEST_NAME, "a.ipynb", "b.ipynb"]


def test_a_rerun_with_nothing_new_shipped_touches_nothing_and_says_nothing(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    edited = notebook("A", code="print('mine')")
    save(workspace / "a.ipynb", edited)  # the user's own edit of the current version: nothing new to offer
    before = snapshot(workspace)
    for _ in range(2):
        folder = recipes.copy_recipes(shipped, workspace)
        assert outcome(folder) == ([], [], {}, ["a.ipynb", "b.ipynb"])
        assert folder.summary_lines() == []
        assert snapshot(workspace) == before


def test_an_upgrade_replaces_an_untouched_copy(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    upgrade(shipped, "a")
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], ["a.ipynb"], {}, ["b.ipynb"])
    assert folder.summary_lines() == ["  updated to the new version (you had not changed them): a.ipynb"]
    assert (workspace / "a.ipynb").read_bytes() == (shipped / "a.ipynb").read_bytes()
    assert not (workspace / "a.new.ipynb").exists()
    assert recipes.copy_recipes(shipped, workspace).summary_lines() == []


def test_an_upgrade_replaces_a_copy_that_was_only_run(shipped, workspace):
    """Opened and run in JupyterLab: new outputs, counts and metadata, sources saved as one string."""
    recipes.copy_recipes(shipped, workspace)
    run = json.loads((workspace / "a.ipynb").read_text())
    run["metadata"]["language_info"] = {"name": "python", "version": "3.11.7"}
    for cell in run["cells"]:
        cell["metadata"] = {"collapsed": False, "execution": {"iopub.status.busy": "2026-01-15T10:30:00.123Z"}}
        cell["source"] = "".join(cell["source"])
    run["cells"][1].update(execution_count=7, outputs=[{"output_type": "stream", "name": "stdout", "text": "2\n"}])
    save(workspace / "a.ipynb", run)
    assert recipes.copy_recipes(shipped, workspace).summary_lines() == []  # same version: its outputs stay
    assert json.loads((workspace / "a.ipynb").read_text()) == run

    upgrade(shipped, "a")
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], ["a.ipynb"], {}, ["b.ipynb"])
    assert (workspace / "a.ipynb").read_bytes() == (shipped / "a.ipynb").read_bytes()


def test_an_upgrade_keeps_an_edited_copy_and_writes_the_new_version_beside_it(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    edited = json.loads((workspace / "b.ipynb").read_text())
    edited["cells"][1]["source"] = ["print('my own')\n"]
    save(workspace / "b.ipynb", edited)
    mine = (workspace / "b.ipynb").read_bytes()
    upgrade(shipped, "a", "b")

    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], ["a.ipynb"], {"b.ipynb": "b.new.ipynb"}, [])
    assert folder.kept["b.ipynb"] == workspace / "b.new.ipynb"
    assert folder.summary_lines() == [
        "  updated to the new version (you had not changed them): a.ipynb",
        "  kept your own version of b.ipynb; the new version is beside it: b.new.ipynb",
    ]
    assert (workspace / "b.ipynb").read_bytes() == mine
    assert (workspace / "b.new.ipynb").read_bytes() == (shipped / "b.ipynb").read_bytes()
    assert sorted(path.name for path in workspace.glob("*.ipynb")) == ["a.ipynb", "b.ipynb", "b.new.ipynb"]
    assert recipes.copy_recipes(shipped, workspace).summary_lines() == []  # said once per version


def test_the_new_version_beside_a_kept_copy_follows_the_same_rules(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    save(workspace / "b.ipynb", notebook("B", code="print('my own')"))
    upgrade(shipped, "b")
    recipes.copy_recipes(shipped, workspace)

    upgrade(shipped, "b")  # b.new.ipynb untouched (only run): overwritten with the next version
    run = json.loads((workspace / "b.new.ipynb").read_text())
    run["cells"][1]["execution_count"] = 3
    save(workspace / "b.new.ipynb", run)
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], [], {"b.ipynb": "b.new.ipynb"}, ["a.ipynb"])
    assert (workspace / "b.new.ipynb").read_bytes() == (shipped / "b.ipynb").read_bytes()

    save(workspace / "b.new.ipynb", notebook("B", code="print('merging')"))  # now the user works in it too
    merging = (workspace / "b.new.ipynb").read_bytes()
    upgrade(shipped, "b")
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], [], {"b.ipynb": "b.new.new.ipynb"}, ["a.ipynb"])
    assert (workspace / "b.new.ipynb").read_bytes() == merging
    assert (workspace / "b.new.new.ipynb").read_bytes() == (shipped / "b.ipynb").read_bytes()

    (workspace / "b.new.new.ipynb").unlink()  # dismissed: not written again for this version
    assert recipes.copy_recipes(shipped, workspace).summary_lines() == []
    assert not (workspace / "b.new.new.ipynb").exists()


def test_a_deleted_recipe_is_copied_again(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    (workspace / "a.ipynb").unlink()
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == (["a.ipynb"], [], {}, ["b.ipynb"])
    assert folder.summary_lines() == ["  copied here: a.ipynb"]
    assert (workspace / "a.ipynb").read_bytes() == (shipped / "a.ipynb").read_bytes()


def test_a_new_recipe_is_added(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    ship(shipped, c=notebook("C"))
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == (["c.ipynb"], [], {}, ["a.ipynb", "b.ipynb"])
    assert folder.summary_lines() == ["  copied here: c.ipynb"]
    assert "c.ipynb" in json.loads((workspace / recipes.MANIFEST_NAME).read_text())["files"]


def test_a_workspace_without_a_manifest_keeps_every_copy_that_differs_from_the_shipped_one(shipped, workspace):
    """Made by the version before the manifest: only a copy equal to the shipped one is known untouched."""
    workspace.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        shutil.copyfile(shipped / name, workspace / name)
    old_b = (workspace / "b.ipynb").read_bytes()
    upgrade(shipped, "b")  # b's copy may be untouched, but nothing says so: it is kept

    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], [], {"b.ipynb": "b.new.ipynb"}, ["a.ipynb"])
    assert (workspace / "b.ipynb").read_bytes() == old_b
    assert (workspace / "b.new.ipynb").read_bytes() == (shipped / "b.ipynb").read_bytes()
    assert recipes.copy_recipes(shipped, workspace).summary_lines() == []

    upgrade(shipped, "a")  # a was recorded as untouched on the way: now it is replaced
    assert outcome(recipes.copy_recipes(shipped, workspace))[1] == ["a.ipynb"]


def test_installed_recipes_are_copied_and_the_users_own_copies_kept(tmp_path):
    """Moved from test_lab.py: files that are not notebooks at all, and no manifest yet."""
    shipped = tmp_path / "share"
    shipped.mkdir()
    for name in ("00-a.ipynb", "01-b.ipynb"):
        (shipped / name).write_text("{}")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "01-b.ipynb").write_text('{"edited": true}')
    folder = recipes.copy_recipes(shipped, workspace)
    assert (folder.copied, folder.kept) == (["00-a.ipynb"], {"01-b.ipynb": workspace / "01-b.new.ipynb"})
    assert (workspace / "01-b.ipynb").read_text() == '{"edited": true}'
    assert recipes.copy_recipes(shipped, workspace).copied == []


@pytest.mark.parametrize(
    "corrupt",
    [b"", b'{"cells": [', b"\xff\xfe not text", b"[]", b'{"cells": {"a": 1}}', b'{"cells": [{"source": 1}]}'],
    ids=["empty", "cut-short", "not-utf8", "a-list", "cells-not-a-list", "a-cell-without-type"],
)
def test_a_corrupt_notebook_is_kept_as_the_users_own(shipped, workspace, corrupt):
    recipes.copy_recipes(shipped, workspace)
    (workspace / "b.ipynb").write_bytes(corrupt)
    assert outcome(recipes.copy_recipes(shipped, workspace)) == ([], [], {}, ["a.ipynb", "b.ipynb"])
    upgrade(shipped, "b")  # never an untouched copy, though the manifest knows what was copied there
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == ([], [], {"b.ipynb": "b.new.ipynb"}, ["a.ipynb"])
    assert (workspace / "b.ipynb").read_bytes() == corrupt
    assert (workspace / "b.new.ipynb").read_bytes() == (shipped / "b.ipynb").read_bytes()


def test_a_notebook_that_cannot_be_read_is_kept_as_the_users_own(shipped, workspace):
    workspace.mkdir()
    (workspace / "b.ipynb").mkdir()  # reading it fails with an OSError, as an unreadable file does
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == (["a.ipynb"], [], {"b.ipynb": "b.new.ipynb"}, [])
    assert (workspace / "b.ipynb").is_dir()


@pytest.mark.parametrize(
    "manifest",
    [b"", b"{not json", b"[]", b'{"format": 99, "files": {}}', b'{"format": 1, "files": []}', b'{"format": 1}'],
    ids=["empty", "not-json", "a-list", "another-format", "files-not-a-mapping", "no-files"],
)
def test_a_corrupt_manifest_does_not_stop_the_copy_and_is_rebuilt(shipped, workspace, manifest):
    recipes.copy_recipes(shipped, workspace)
    (workspace / recipes.MANIFEST_NAME).write_bytes(manifest)
    upgrade(shipped, "b")
    folder = recipes.copy_recipes(shipped, workspace)  # as without a manifest: b's old copy is kept
    assert outcome(folder) == ([], [], {"b.ipynb": "b.new.ipynb"}, ["a.ipynb"])
    rebuilt = json.loads((workspace / recipes.MANIFEST_NAME).read_text())
    assert sorted(rebuilt["files"]) == ["a.ipynb", "b.new.ipynb"]
    upgrade(shipped, "a")
    assert outcome(recipes.copy_recipes(shipped, workspace))[1] == ["a.ipynb"]


def test_a_bad_entry_in_the_manifest_is_dropped_and_the_rest_used(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    path = workspace / recipes.MANIFEST_NAME
    manifest = json.loads(path.read_text())
    manifest["files"]["b.ipynb"] = {"fingerprint": 42}
    path.write_text(json.dumps(manifest))
    upgrade(shipped, "a", "b")
    assert outcome(recipes.copy_recipes(shipped, workspace))[:3] == ([], ["a.ipynb"], {"b.ipynb": "b.new.ipynb"})


def test_the_users_other_files_are_left_alone(shipped, workspace):
    recipes.copy_recipes(shipped, workspace)
    save(workspace / "my-analysis.ipynb", notebook("Mine"))
    (workspace / "notes.txt").write_text("flows to check\n")
    (workspace / "data").mkdir()
    (workspace / "data" / "a.ipynb").write_text("not a recipe, though it has a recipe's name")
    (workspace / ".ipynb_checkpoints").mkdir()
    (workspace / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    others = {name: data for name, data in snapshot(workspace).items() if name not in ("a.ipynb", "b.ipynb")}
    others.pop(recipes.MANIFEST_NAME)

    upgrade(shipped, "a", "b")
    ship(shipped, c=notebook("C"))
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder) == (["c.ipynb"], ["a.ipynb", "b.ipynb"], {}, [])
    after = snapshot(workspace)
    assert {name: after[name] for name in others} == others
    assert sorted(set(after) - set(others)) == [recipes.MANIFEST_NAME, "a.ipynb", "b.ipynb", "c.ipynb"]


def test_a_training_subfolder_is_copied_as_a_folder_and_kept_up_to_date_by_the_same_rules(shipped, workspace):
    ship(shipped / "training", t1=notebook("T1"))
    (shipped / "training" / "README.md").write_text("# The trainer's guide\n")
    (shipped / "training" / "scratch.txt").write_text("not shipped\n")
    folder = recipes.copy_recipes(shipped, workspace)
    assert folder.copied == ["a.ipynb", "b.ipynb", "training/README.md", "training/t1.ipynb"]
    assert (workspace / "training" / "t1.ipynb").read_bytes() == (shipped / "training" / "t1.ipynb").read_bytes()
    assert not (workspace / "training" / "scratch.txt").exists()

    mine = json.loads((workspace / "training" / "t1.ipynb").read_text())
    mine["cells"][1]["source"] = ["print('my answer')\n"]
    save(workspace / "training" / "t1.ipynb", mine)
    upgrade(shipped / "training", "t1")
    folder = recipes.copy_recipes(shipped, workspace)
    assert {name: path.name for name, path in folder.kept.items()} == {"training/t1.ipynb": "t1.new.ipynb"}
    assert json.loads((workspace / "training" / "t1.ipynb").read_text()) == mine


def test_a_link_where_the_training_folder_goes_is_not_written_through(shipped, workspace, tmp_path):
    ship(shipped / "training", t1=notebook("T1"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    workspace.mkdir()
    (workspace / "training").symlink_to(elsewhere)
    with pytest.raises(recipes.WorkspaceUnusable, match="training"):
        recipes.copy_recipes(shipped, workspace)
    assert list(elsewhere.iterdir()) == []


def test_the_fingerprint_is_what_the_user_authors():
    base = notebook("A")
    run = json.loads(json.dumps(base))
    run["metadata"]["widgets"] = {"state": {}}
    run["cells"][1].update(execution_count=9, outputs=[], metadata={"scrolled": True})
    run["cells"][0]["source"] = "".join(run["cells"][0]["source"])
    retyped = json.loads(json.dumps(base))
    retyped["cells"][0]["cell_type"] = "raw"
    edited = notebook("A", code="print(2)")

    def fp(content: dict[str, Any]) -> str:
        return recipes.fingerprint(json.dumps(content).encode())

    assert fp(run) == fp(base) == recipes.fingerprint(json.dumps(base, indent=4).encode())
    assert len({fp(base), fp(retyped), fp(edited), recipes.fingerprint(b"{}")}) == 4


def test_the_summary_of_a_folder_opened_in_place_is_empty(tmp_path):
    assert recipes.locate(tmp_path).summary_lines() == []
    assert recipes.locate(recipes.source_recipes()).summary_lines() == []


def test_a_checkout_s_workspace_says_what_it_copied_once_then_nothing(tmp_path):
    first = recipes.locate(workspace=tmp_path)
    assert first.summary_lines()[0].startswith("  copied here: 00-setup-environment.ipynb, ")
    assert recipes.locate(workspace=tmp_path).summary_lines() == []


LOCATE = """\
import json, sys
from pathlib import Path
from zen_nb import recipes
workspace = Path(sys.argv[1])
folder = recipes.locate(workspace=workspace)
print(json.dumps({
    "source": str(recipes.source_recipes()), "path": str(folder.path),
    "copied": folder.copied, "updated": folder.updated, "unchanged": folder.unchanged,
    "kept": {name: str(path) for name, path in folder.kept.items()}, "summary": folder.summary_lines(),
    "manifest": json.loads((workspace / recipes.MANIFEST_NAME).read_text()),
}))
"""


@pytest.mark.slow
def test_a_wheel_ships_the_recipes_and_an_installed_copy_finds_them(tmp_path):
    """Built and installed for real (no dependencies), then upgraded by a second wheel whose recipes differ.

    The recipes land in share/ and are copied out to run; after the upgrade the untouched copy
    and the one that was only run are replaced, the edited one is kept with the new version beside it.
    """
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("zen_nb", "notebooks"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    workspace = tmp_path / "workspace"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def build_and_install(dist: Path) -> None:
        subprocess.run([*pip, "wheel", "--no-deps", "-w", str(dist), str(source)], check=True, timeout=300)
        (wheel,) = dist.glob("zen_nb-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            marker = "/share/zen_nb/recipes/"
            shipped = sorted(name.split(marker, 1)[1] for name in archive.namelist() if marker in name)
        assert shipped == RECIPES
        install = [*pip, "--python", str(python), "install", "--no-deps", "--force-reinstall", str(wheel)]
        subprocess.run(install, check=True, timeout=300)

    def locate() -> dict[str, Any]:
        found = subprocess.run(
            [str(python), "-c", LOCATE, str(workspace)], cwd=elsewhere, capture_output=True, text=True, timeout=120
        )
        assert found.returncode == 0, found.stderr
        return json.loads(found.stdout)

    build_and_install(tmp_path / "dist-1")
    first = locate()
    assert (first["source"], first["path"], first["copied"]) == ("None", str(workspace), RECIPES)
    assert sorted(path.name for path in workspace.glob("*.ipynb")) == TOP_LEVEL
    assert any(name.startswith("training/") for name in RECIPES), "the training notebooks are not shipped"
    for name in RECIPES:
        assert (workspace / name).read_bytes() == (NOTEBOOKS / name).read_bytes()
    assert {entry["zen_nb"] for entry in first["manifest"]["files"].values()} == {__version__}

    edited, untouched, run, same = RECIPES[7], RECIPES[3], RECIPES[5], RECIPES[0]
    mine = json.loads((workspace / edited).read_text())
    code = next(cell for cell in mine["cells"] if cell["cell_type"] == "code")
    code["source"] = ["# my own version\n", *code["source"]]
    (workspace / edited).write_text(json.dumps(mine, indent=1))
    ran = json.loads((workspace / run).read_text())
    for cell in ran["cells"]:
        if cell["cell_type"] == "code":
            cell.update(execution_count=(cell["execution_count"] or 0) + 40, outputs=[])
    (workspace / run).write_text(json.dumps(ran, indent=1))

    version = "99.0.0"  # the second wheel: a newer zen_nb whose recipes changed
    vocabulary = source / "zen_nb" / "vocabulary.py"  # the one place the version is written
    text = vocabulary.read_text()
    assert text.count(f'"{__version__}"') == 1
    vocabulary.write_text(text.replace(f'"{__version__}"', f'"{version}"'))
    for name in (edited, untouched, run):
        content = json.loads((source / "notebooks" / name).read_text())
        markdown = next(cell for cell in content["cells"] if cell["cell_type"] == "markdown")
        markdown["source"].append("\n\nNew in this version.")
        (source / "notebooks" / name).write_text(json.dumps(content, indent=1) + "\n")
    build_and_install(tmp_path / "dist-2")
    second = locate()

    new = workspace / edited.replace(".ipynb", ".new.ipynb")
    assert (second["copied"], second["updated"], second["kept"]) == ([], sorted([untouched, run]), {edited: str(new)})
    assert same in second["unchanged"]
    assert f"  kept your own version of {edited}; the new version is beside it: {new.name}" in second["summary"]
    assert json.loads((workspace / edited).read_text()) == mine
    for name, copy in ((untouched, untouched), (run, run), (edited, new.name)):
        assert (workspace / copy).read_bytes() == (source / "notebooks" / name).read_bytes()
    files = second["manifest"]["files"]
    assert files[untouched]["zen_nb"] == files[new.name]["zen_nb"] == version
    assert files[same]["zen_nb"] == __version__
    assert locate()["summary"] == []
