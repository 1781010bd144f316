"""What the fault tests share: adding a rule over HTTP, and a fixture that leaves no rule behind.

Fault rules live in the server's memory, not its database, so the ``api`` fixture's reset does
not clear them: :func:`faults` clears them before and after each test, on the session's sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from helpers import Api, admin

FLOWS = "/tenants/*/clusters/*/delivery-flows"


def flow_body(name: str) -> dict[str, Any]:
    """A valid create-flow body on the demo plane's seed."""
    return {"name": name, "source": "ingester_stripe", "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}}


def add_fault(api: Api, **rule: Any) -> dict[str, Any]:
    """Add a rule (in the API's camelCase) and return it; the test fails on anything but a 201."""
    response = admin(api, "POST", "faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()


def rule_now(api: Api, rule_id: str) -> dict[str, Any]:
    """One rule as GET /_sandbox/faults/{id} shows it now (its hits)."""
    response = admin(api, "GET", f"faults/{rule_id}")
    assert response.status_code == 200, response.text
    return response.json()


def clear_faults(api: Api) -> None:
    response = admin(api, "DELETE", "faults")
    assert response.status_code == 204, response.text
    assert admin(api, "PUT", "faults", json={"seed": None}).status_code == 200


def without_faults(api: Api) -> Iterator[Api]:
    """The body of each fault test module's ``faults`` fixture: the demo tenant's API on a reset
    sandbox with no fault rule, and none left after the test (a fixture imported from a helper
    module would shadow the test functions' parameter)."""
    clear_faults(api)
    yield api
    clear_faults(api)


def get_tenant(api: Api) -> requests.Response:
    """A fresh connection each time (a dropped one must not poison a pooled session)."""
    return requests.get(api.url(), headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
