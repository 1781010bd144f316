"""The check of ``create-a-target``: an http target of the task's name on the task's plane and URL."""

from __future__ import annotations

import sqlite3

from ...exercise_catalog import PLANE_ID, TARGET_NAME, TARGET_URL
from ..data.exercise_reads import targets_named, targets_with_url
from .verdict import Verdict, shown

RECIPE = "recipe 01-create-a-target"


def check_create_a_target(db: sqlite3.Connection, tenant_id: str) -> Verdict:
    """Pass when the plane has an http target named TARGET_NAME that delivers to TARGET_URL."""
    named = targets_named(db, tenant_id, TARGET_NAME)
    here = next((row for row in named if row["plane_id"] == PLANE_ID), None)
    if here is not None:
        if here["type"] != "http":
            return Verdict.not_yet(
                f"target '{TARGET_NAME}' exists on {PLANE_ID} but is of type '{here['type']}', not 'http'",
                "a target's type cannot change: delete this target (client.delete_target) and create it again "
                f"as an http target with the task's URL ({RECIPE})",
            )
        if here["url"] != TARGET_URL:
            return Verdict.not_yet(
                f"target '{TARGET_NAME}' (http) exists on {PLANE_ID} but delivers to {shown(here['url'])}, "
                f"not to {TARGET_URL}",
                "a target's url can change: look at client.update_target, or compare your url with the task's "
                "character by character",
            )
        return Verdict.ok(f"target '{TARGET_NAME}' (http) exists on {PLANE_ID} and delivers to {TARGET_URL}")
    if named:
        return Verdict.not_yet(
            f"target '{TARGET_NAME}' exists on {named[0]['plane_id']}, not on {PLANE_ID}",
            f"a target belongs to one plane: create it on {PLANE_ID} (ZEN_PLANE_ID, or the plane argument "
            "of client.create_target)",
        )
    missing = f"there is no target named '{TARGET_NAME}' on {PLANE_ID}"
    same_url = targets_with_url(db, tenant_id, PLANE_ID, TARGET_URL)
    if same_url:
        return Verdict.not_yet(
            f"{missing}; target '{shown(same_url[0]['name'])}' delivers to the task's URL",
            f"the task's target is called '{TARGET_NAME}': rename yours (client.update_target) or create it again",
        )
    return Verdict.not_yet(missing, f"create an http target with client.create_target ({RECIPE})")
