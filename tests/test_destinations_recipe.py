"""Targets as the vendor's "Create a Target" recipe makes them: ``.../destinations``, ``config``, ``status``.

The recipe posts ``{name, type, config: {apiKey, webhookSecret}}`` to
``.../clusters/{planeId}/destinations`` and reads back ``status: "provisioning"``, which becomes
``active``. ``.../targets``, the kit's first spelling, stays an alias of every operation. A
target's ``config`` is any JSON object, bounded (50 keys, 16 KiB), echoed as sent (secrets
included, as the vendor's API does), and never quoted in an error.
"""

from __future__ import annotations

import json
import time

import pytest

from zen_nb.sandbox.data.targets import PROVISIONING_SECONDS

from helpers import Api, assert_error, list_items, wait_until

DESTINATIONS = "{plane}/destinations"
ALIAS = "{plane}/targets"
SECRET = "sk_live_unique_7b1f0c4e"  # a value that must come back in the answer and in no error
RECIPE_BODY = {
    "name": "stripe-productions-destination",
    "type": "stripe",
    "config": {"apiKey": SECRET, "webhookSecret": "whsec_unique_93ad"},
}


def test_the_recipes_target_is_provisioning_then_active_with_its_config_echoed(api: Api) -> None:
    created = api.post(DESTINATIONS, json=RECIPE_BODY)
    assert created.status_code == 201, created.text
    target = created.json()
    assert target["id"].startswith("dest_")
    assert (target["name"], target["type"], target["status"]) == (
        "stripe-productions-destination",
        "stripe",
        "provisioning",
    )
    assert target["config"] == RECIPE_BODY["config"]
    assert set(target) == {"id", "name", "type", "status", "url", "config", "createdAt", "updatedAt"}
    path = f"/tenants/{api.tenant_id}/clusters/{api.plane_id}/destinations/{target['id']}"
    assert created.headers["Location"] == path
    became = wait_until(
        lambda: api.get(f"{DESTINATIONS}/{target['id']}").json(),
        lambda body: body["status"] == "active",
        deadline=PROVISIONING_SECONDS + 30,
        what="the new target active",
    )
    assert became["config"] == RECIPE_BODY["config"] and became["updatedAt"] == target["updatedAt"]


def test_provisioning_lasts_about_the_window(api: Api) -> None:
    started = time.monotonic()
    target = api.post(DESTINATIONS, json=RECIPE_BODY).json()
    seen = api.get(f"{DESTINATIONS}/{target['id']}").json()["status"]
    if time.monotonic() - started < PROVISIONING_SECONDS:  # a slow machine may have passed the window already
        assert seen == "provisioning"
    time.sleep(PROVISIONING_SECONDS)
    assert api.get(f"{DESTINATIONS}/{target['id']}").json()["status"] == "active"


def test_the_seeds_targets_are_active_at_once(api: Api) -> None:
    targets = api.get(DESTINATIONS, params={"limit": 250}).json()["destinations"]
    assert targets and {target["status"] for target in targets} == {"active"}
    assert {json.dumps(target["config"]) for target in targets} == {"{}"}


def test_targets_is_an_alias_of_every_operation(api: Api) -> None:
    created = api.post(ALIAS, json={"name": "alias-made", "type": "slack", "config": {"channel": "#ops"}})
    assert created.status_code == 201, created.text
    target = created.json()
    assert created.headers["Location"].endswith(f"/destinations/{target['id']}")  # the canonical path
    assert api.get(f"{ALIAS}/{target['id']}").json() == api.get(f"{DESTINATIONS}/{target['id']}").json()
    assert api.get(ALIAS, params={"limit": 250}).json() == api.get(DESTINATIONS, params={"limit": 250}).json()
    first = api.get(ALIAS, params={"limit": 2}).json()
    second = api.get(DESTINATIONS, params={"limit": 2, "cursor": first["nextCursor"]})
    assert second.status_code == 200, "a cursor of one spelling pages the other: it is one list"
    assert list_items(second.json(), "destinations")[0]["id"] != first["destinations"][0]["id"]
    patched = api.patch(f"{ALIAS}/{target['id']}", json={"description": "via the alias"})
    assert patched.status_code == 200 and api.get(f"{DESTINATIONS}/{target['id']}").json()["description"] == (
        "via the alias"
    )
    assert_error(api.post(ALIAS, json={"name": "alias-made", "type": "slack"}), 409, "target_name_conflict")
    assert api.delete(f"{ALIAS}/{target['id']}").status_code == 204
    assert_error(api.get(f"{DESTINATIONS}/{target['id']}"), 404, "target_not_found")
    assert_error(api.delete(f"{DESTINATIONS}/{target['id']}"), 404, "target_not_found")


def test_a_config_at_its_bounds_is_kept_as_sent(api: Api) -> None:
    fifty = {f"key{n:02d}": n for n in range(50)}
    assert api.post(DESTINATIONS, json={"name": "fifty-keys", "type": "s3", "config": fifty}).json()["config"] == fifty
    filler = "x" * (16 * 1024 - len(json.dumps({"a": ""}, ensure_ascii=False)))
    exact = {"a": filler}
    assert len(json.dumps(exact, ensure_ascii=False).encode()) == 16 * 1024
    created = api.post(DESTINATIONS, json={"name": "sixteen-kib", "type": "s3", "config": exact})
    assert created.status_code == 201, created.text[:200]
    nested = {"auth": {"type": "basic", "password": SECRET}, "headers": [{"X-Token": SECRET}], "retries": 3.5}
    assert api.post(DESTINATIONS, json={"name": "nested", "type": "s3", "config": nested}).json()["config"] == nested


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({f"apiKey{n}": SECRET for n in range(51)}, "has 51 keys; a target's config holds at most 50"),
        ({"apiKey": SECRET * 800}, "bytes as JSON; a target's config holds at most 16384 bytes"),
        ([SECRET], "must be a JSON object"),
        (SECRET, "must be a JSON object"),
        (None, "cannot be null"),
    ],
    ids=["51 keys", "over 16 KiB", "an array", "a string", "null"],
)
def test_a_config_out_of_bounds_is_a_400_that_never_echoes_it(api: Api, config: object, words: str) -> None:
    response = api.post(DESTINATIONS, json={"name": "too-much", "type": "stripe", "config": config})
    error = assert_error(response, 400, "invalid_field", field="config")
    assert words in error["message"]
    assert SECRET not in response.text


@pytest.mark.parametrize("raw", ['{"apiKey": NaN}', '{"apiKey": Infinity}', '{"apiKey": "\\ud800"}'])
def test_a_config_that_could_not_be_sent_back_is_a_400(api: Api, raw: str) -> None:
    body = f'{{"name": "unsendable", "type": "stripe", "config": {raw}}}'
    response = api.post(DESTINATIONS, data=body, headers={"Content-Type": "application/json"})
    error = assert_error(response, 400, "invalid_field", field="config")
    assert "finite numbers" in error["message"]


def test_an_http_target_takes_its_url_from_config_when_it_has_no_url(api: Api) -> None:
    body = {"name": "recipe-webhook", "type": "http", "config": {"url": "http://127.0.0.1:9/hook", "token": SECRET}}
    target = api.post(DESTINATIONS, json=body).json()
    assert target["url"] == "http://127.0.0.1:9/hook" and target["config"] == body["config"]
    both = {**body, "name": "both-urls", "url": "http://127.0.0.1:9/other"}
    assert api.post(DESTINATIONS, json=both).json()["url"] == "http://127.0.0.1:9/other"  # url wins
    bad = api.post(DESTINATIONS, json={**body, "name": "bad-url", "config": {"url": "ftp://x", "token": SECRET}})
    assert_error(bad, 400, "invalid_field", field="config.url")
    assert SECRET not in bad.text
    neither = api.post(DESTINATIONS, json={"name": "no-url", "type": "http", "config": {"token": SECRET}})
    assert "config.url" in assert_error(neither, 400, "invalid_field", field="url")["message"]


def test_patch_sets_status_active_or_disabled_and_replaces_config(api: Api) -> None:
    target = api.post(DESTINATIONS, json=RECIPE_BODY).json()
    one = f"{DESTINATIONS}/{target['id']}"
    disabled = api.patch(one, json={"status": "disabled"})
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    time.sleep(PROVISIONING_SECONDS)
    assert api.get(one).json()["status"] == "disabled"  # a stored status: the window does not touch it
    assert api.patch(one, json={"status": "active"}).json()["status"] == "active"
    for refused in ("provisioning", "error", None):
        assert_error(api.patch(one, json={"status": refused}), 400, "invalid_field", field="status")
    replaced = api.patch(one, json={"config": {"apiKey": "sk_rotated"}}).json()
    assert replaced["config"] == {"apiKey": "sk_rotated"}
    assert api.patch(one, json={"config": {}}).json()["config"] == {}
    too_many = api.patch(one, json={"config": {f"k{n}": SECRET for n in range(51)}})
    assert_error(too_many, 400, "invalid_field", field="config")
    assert SECRET not in too_many.text
