"""The recipe form's reading of flows decides camelCase once per key shape, and is still right item by item.

``dialects._camel_if_needed`` remembers the key shapes (field names, in order) it found free of
snake_case, so a 100,000-flow load checks every key of one flow per shape, not of every flow
(benchmarks/README.md: it was most of the dialect's cost in ``load_flows``). What must not change:
a page that mixes camelCase and snake_case flows (a service half-way through a rename) reads each
flow right, whatever came first, in ``list_flows`` and in ``load_flows`` alike; a nested
``retryPolicy`` is read by its own shape; what the client returns is a copy; the memory of shapes
stays bounded. Served over HTTP by a small local server (``helpers.serving``): the sandbox only
speaks camelCase.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_dialects import canned

from zen_nb import ZenClient, ZenConfig, dialects, load_flows

from helpers import serving, url_of

PLANE = "plane_dev_us_east_1"
FLOWS_PATH = f"/tenants/tnt_a/clusters/{PLANE}/delivery-flows"


def camel_flow(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"flow_{number:03d}",
        "name": f"flow-{number:03d}",
        "source": "ingester_stripe",
        "target": {"id": "dest_a", "type": "stripe"},
        "status": "active",
        "createdAt": f"2026-01-01T00:00:{number:02d}Z",
        "updatedAt": f"2026-01-01T00:01:{number:02d}Z",
        **extra,
    }


def snake_flow(number: int, **extra: Any) -> dict[str, Any]:
    """The same flow as :func:`camel_flow`, as a snake_case service writes it, in the same key order."""
    flow = camel_flow(number, **extra)
    flow["created_at"] = flow.pop("createdAt")
    flow["updated_at"] = flow.pop("updatedAt")
    return flow


def recipe_client(base: str) -> ZenClient:
    env = {"ZEN_API_BASE": base, "ZEN_API_TOKEN": "tok-secret-xyz", "ZEN_TENANT_ID": "tnt_a"}
    env |= {"ZEN_PLANE_ID": PLANE, "ZEN_ADAPTER_ID": "adapter_x"}
    return ZenClient(ZenConfig(environ=env), retry=0)


def serve_pages(pages: list[list[dict[str, Any]]]) -> Any:
    def page(query: dict[str, str]) -> dict[str, Any]:
        number = int(query.get("cursor", "0"))
        more = number + 1 < len(pages)
        return {"deliveryFlows": pages[number], "hasMore": more, "nextCursor": str(number + 1) if more else None}

    return serving(canned({("GET", FLOWS_PATH): page}, []))


@pytest.mark.parametrize("camel_first", [True, False], ids=["camel-first", "snake-first"])
def test_a_page_mixing_camel_and_snake_case_flows_reads_every_flow_in_camel_case(camel_first):
    first, second = (camel_flow, snake_flow) if camel_first else (snake_flow, camel_flow)
    pages = [
        [first(0), second(1), first(2), second(3)],  # mixed within a page
        [second(4), second(5)],  # a page all of the other shape
        [first(6, description="kept"), second(7, description="kept too")],  # shapes not seen before
    ]
    with serve_pages(pages) as server, recipe_client(url_of(server)) as client:
        flows = client.list_flows()
        frame = load_flows(client, progress=False)
    assert [flow.id for flow in flows] == [f"flow_{n:03d}" for n in range(8)]
    for number, flow in enumerate(flows):
        assert "created_at" not in flow and "updated_at" not in flow
        assert flow["createdAt"] == f"2026-01-01T00:00:{number:02d}Z"
        assert flow["updatedAt"] == f"2026-01-01T00:01:{number:02d}Z"
    assert frame["created_at"].notna().all() and frame["updated_at"].notna().all()
    assert list(frame["created_at"].dt.second) == list(range(8))
    assert list(frame["description"].fillna("-")) == ["-"] * 6 + ["kept", "kept too"]


def test_a_snake_case_retry_policy_inside_a_flow_of_a_known_shape_is_read_in_camel_case():
    known = camel_flow(0, retryPolicy={"maxAttempts": 3, "backoffSeconds": 10})
    nested_snake = camel_flow(1, retryPolicy={"max_attempts": 5, "backoff_seconds": 30})
    with serve_pages([[known, nested_snake]]) as server, recipe_client(url_of(server)) as client:
        flows = client.list_flows()
    assert [flow["retryPolicy"] for flow in flows] == [
        {"maxAttempts": 3, "backoffSeconds": 10},
        {"maxAttempts": 5, "backoffSeconds": 30},
    ]


def test_a_flow_read_is_a_copy_even_when_its_shape_is_known():
    item = camel_flow(0, retryPolicy={"maxAttempts": 3})
    reader = dialects.Dialect()
    reader.read_flow(camel_flow(1, retryPolicy={"maxAttempts": 1}))  # the shapes are known now
    flow = reader.read_flow(item)
    flow["name"] = "changed"
    flow["retryPolicy"]["maxAttempts"] = 9
    assert item["name"] == "flow-000" and item["retryPolicy"] == {"maxAttempts": 3}


def test_the_memory_of_key_shapes_stays_bounded():
    reader = dialects.Dialect()
    for number in range(dialects._MAX_SHAPES * 2 + 3):
        flow = reader.read_flow({f"field{number}": 1, "createdAt": "x"})
        assert flow == {f"field{number}": 1, "createdAt": "x"}
    assert 0 < len(dialects._CAMEL_SHAPES) <= dialects._MAX_SHAPES
    assert reader.read_flow({"field_one": 1}) == {"fieldOne": 1}  # snake_case shapes are never remembered
    assert ("field_one",) not in dialects._CAMEL_SHAPES
