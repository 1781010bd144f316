"""Copying the recipes never follows a symbolic link in the user's folder.

A link where a recipe (or its ``.new.ipynb``, or the manifest) goes is the user's: it is not
read, not written through, not replaced, and the recipe goes beside it. Each test plants a link
that points outside the workspace and checks that nothing appears or changes at its target.
The workspace folder itself may be a link to a folder; one that points nowhere is refused, in
one line from ``zen-nb lab``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from zen_nb import lab, recipes

from test_recipes import notebook, outcome, save, ship, upgrade


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    return ship(tmp_path / "share", a=notebook("A"), b=notebook("B"))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the workspace, where a planted link points."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def assert_link_kept(link: Path, target: Path) -> None:
    assert link.is_symlink(), f"{link} was replaced"
    assert link.readlink() == target


def test_a_link_that_points_nowhere_where_a_recipe_goes_is_kept_and_nothing_is_written_at_its_target(
    shipped, workspace, outside
):
    planted = outside / "planted.ipynb"
    (workspace / "a.ipynb").symlink_to(planted)
    folder = recipes.copy_recipes(shipped, workspace)
    assert not planted.exists() and list(outside.iterdir()) == []
    assert_link_kept(workspace / "a.ipynb", planted)
    assert outcome(folder) == (["b.ipynb"], [], {"a.ipynb": "a.new.ipynb"}, [])
    assert (workspace / "a.new.ipynb").read_bytes() == (shipped / "a.ipynb").read_bytes()
    assert not (workspace / "a.new.ipynb").is_symlink()
    assert folder.summary_lines() == [
        "  copied here: b.ipynb",
        "  a.ipynb is a symbolic link, left as it is (zen-nb lab never writes through a link); "
        "the recipe is beside it: a.new.ipynb",
    ]
    again = recipes.copy_recipes(shipped, workspace)  # nothing new shipped: nothing to say
    assert outcome(again) == ([], [], {}, ["a.ipynb", "b.ipynb"]) and again.summary_lines() == []
    assert not planted.exists()


def test_a_link_planted_over_an_untouched_copy_is_not_replaced_on_upgrade(shipped, workspace, outside):
    recipes.copy_recipes(shipped, workspace)
    planted = outside / "a.ipynb"
    planted.write_bytes((workspace / "a.ipynb").read_bytes())  # what the link points at equals the old copy
    (workspace / "a.ipynb").unlink()
    (workspace / "a.ipynb").symlink_to(planted)
    before = planted.read_bytes()
    upgrade(shipped, "a")
    folder = recipes.copy_recipes(shipped, workspace)
    assert_link_kept(workspace / "a.ipynb", planted)
    assert planted.read_bytes() == before
    assert outcome(folder) == ([], [], {"a.ipynb": "a.new.ipynb"}, ["b.ipynb"])


def test_a_link_that_points_nowhere_where_the_new_version_goes_is_kept(shipped, workspace, outside):
    recipes.copy_recipes(shipped, workspace)
    save(workspace / "a.ipynb", notebook("A", code="print('mine')"))  # the user's own edit
    planted = outside / "planted.new.ipynb"
    (workspace / "a.new.ipynb").symlink_to(planted)
    upgrade(shipped, "a")
    folder = recipes.copy_recipes(shipped, workspace)
    assert not planted.exists() and list(outside.iterdir()) == []
    assert_link_kept(workspace / "a.new.ipynb", planted)
    assert outcome(folder) == ([], [], {"a.ipynb": "a.new.new.ipynb"}, ["b.ipynb"])
    assert (workspace / "a.new.new.ipynb").read_bytes() == (shipped / "a.ipynb").read_bytes()


def test_a_link_in_the_manifests_place_is_neither_read_nor_written_through(shipped, workspace, outside):
    planted = outside / "planted.json"
    manifest = workspace / recipes.MANIFEST_NAME
    manifest.symlink_to(planted)
    folder = recipes.copy_recipes(shipped, workspace)
    assert outcome(folder)[0] == ["a.ipynb", "b.ipynb"]
    assert not planted.exists() and list(outside.iterdir()) == []
    assert_link_kept(manifest, planted)
    # A manifest planted outside is not trusted either: the copies are judged without it.
    planted.write_text(json.dumps({"format": 1, "files": {"a.ipynb": {"fingerprint": "cells:0"}}}))
    assert recipes.read_manifest(workspace) == {}


def test_a_workspace_that_is_a_link_to_a_folder_is_used(shipped, tmp_path, outside):
    link = tmp_path / "moved-workspace"
    link.symlink_to(outside)
    folder = recipes.copy_recipes(shipped, link)
    assert outcome(folder)[0] == ["a.ipynb", "b.ipynb"]
    assert (outside / "a.ipynb").read_bytes() == (shipped / "a.ipynb").read_bytes()


def test_a_workspace_that_is_a_link_to_nowhere_is_refused_with_the_fix(shipped, tmp_path):
    link = tmp_path / "workspace"
    link.symlink_to(tmp_path / "gone" / "recipes")
    with pytest.raises(recipes.WorkspaceUnusable, match="symbolic link to .*gone/recipes.*pass --dir") as refused:
        recipes.copy_recipes(shipped, link)
    assert str(link) in str(refused.value)
    assert not (tmp_path / "gone").exists()


def test_zen_nb_lab_says_so_in_one_line_when_the_workspace_links_nowhere(shipped, tmp_path, monkeypatch, capsys):
    link = tmp_path / "recipes"
    link.symlink_to(tmp_path / "gone")
    monkeypatch.setattr(recipes, "source_recipes", lambda: None)  # as from a wheel, not a checkout
    monkeypatch.setattr(recipes, "installed_recipes", lambda: shipped)
    monkeypatch.setattr(recipes, "default_workspace", lambda: link)

    def no_lab(*args, **kwargs):  # JupyterLab must not start: the refusal comes before it
        raise AssertionError("zen-nb lab went on to start JupyterLab")

    monkeypatch.setattr(lab, "_serve", no_lab)
    args = argparse.Namespace(dir=None, port=None, sandbox_port=0, db=None, no_browser=True)
    assert lab.run_lab(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("zen-nb lab: ") and err.count("\n") == 1, err
    assert str(link) in err and "--dir" in err
    assert not (tmp_path / "gone").exists()
