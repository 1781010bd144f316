"""Every list of the sandbox carries its items under the resource's key, never ``data``.

The vendor's "List Planes" recipe iterates ``plane_list['clusters']``; the contract (section 3)
gives every list the same rule. Each list of the recipe form is read here over HTTP, on its
first page and (with ``limit=1``) on a page with a cursor; the sandbox's own lists follow it too.
"""

from __future__ import annotations

import pytest
import requests

from helpers import Api, admin, admin_post, list_items

# (path under the demo tenant, the list's key); each has at least two items on the seed after setup.
RECIPE_LISTS = [
    ("clusters", "clusters"),
    ("{plane}/adapters", "adapters"),
    ("{plane}/ingesters", "ingesters"),
    ("{plane}/destinations", "destinations"),
    ("{plane}/targets", "destinations"),  # the alias of /destinations: the same list
    ("{plane}/delivery-flows", "deliveryFlows"),
    ("{plane}/delivery-attempts", "deliveryAttempts"),
]


def _history(api: Api) -> None:
    """Two flows and their attempts, so that every list has more than one page of one."""
    for name in ("first-flow", "second-flow"):
        assert api.create_flow(name).status_code == 201
    response = admin_post(api.box, "simulate", json={"events": 4, "days": 1, "seed": 7})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("path", "key"), RECIPE_LISTS, ids=[path for path, _ in RECIPE_LISTS])
def test_each_recipe_list_is_under_its_resource_key_on_every_page(api: Api, path: str, key: str) -> None:
    _history(api)
    first = api.get(path, params={"limit": 1})
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) - {"total"} == {key, "hasMore", "nextCursor"}, body  # total: the first page only
    assert len(body[key]) == 1 and body["hasMore"] is True
    second = api.get(path, params={"limit": 1, "cursor": body["nextCursor"]}).json()
    assert set(second) == {key, "hasMore", "nextCursor"}, second
    assert list_items(second, key) != body[key]


def test_the_class_lists_are_under_trainees_and_exercises(api: Api) -> None:
    added = admin_post(api.box, "class/trainees", json={"names": ["ada", "grace"]})
    assert added.status_code == 201, added.text
    assert set(added.json()) == {"trainees"} and len(added.json()["trainees"]) == 2
    listed = admin(api, "GET", "class/trainees")
    assert listed.status_code == 200, listed.text
    assert set(listed.json()) == {"trainees"}
    assert [row["trainee"] for row in listed.json()["trainees"]] == ["ada", "grace"]
    exercises = requests.get(f"{api.base_url}/_sandbox/class/exercises", timeout=30)
    assert exercises.status_code == 200 and set(exercises.json()) == {"exercises"} and exercises.json()["exercises"]


def test_planes_are_ready_as_the_list_planes_recipe_reads_them(api: Api) -> None:
    planes = api.get("clusters").json()["clusters"]
    assert planes and {plane["status"] for plane in planes} == {"ready"}
    assert api.get("{plane}").json()["status"] == "ready"
