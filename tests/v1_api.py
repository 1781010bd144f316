"""What the v1 tests share: a tenant's v1 API over HTTP (:class:`V1`), its lists followed page by
page, and the shapes of its answers (contract section 8, spec section 2)."""

from __future__ import annotations

from typing import Any

import requests

from helpers import Api

FLOW_KEYS = {
    "id", "name", "source_id", "destination_id", "destination_type", "cluster_id", "status", "description",
    "config", "created_at", "updated_at",
}  # fmt: skip
DESTINATION_KEYS = {"id", "name", "type", "url", "status", "config", "cluster_id", "created_at", "updated_at"}
DELIVERY_KEYS = {
    "id", "event_id", "destination_id", "flow_id", "cluster_id", "status", "response_code", "attempt_number",
    "trigger", "attempted_at", "latency_ms", "error_code", "error_message",
}  # fmt: skip
PAGE_KEYS = {"next_cursor", "has_more"}


class V1(Api):
    """A tenant's ``/v1/tenants/{tenantId}`` API: :class:`Api` on the v1 paths, with the bearer token
    (or ``X-API-Key``, with ``api_key``)."""

    def __init__(self, api: Api, api_key: bool = False) -> None:
        super().__init__(api.box, token=api.token, tenant_id=api.tenant_id)
        self.api = api
        if api_key:
            del self.session.headers["Authorization"]
            self.session.headers["X-API-Key"] = api.token

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/v1/tenants/{self.tenant_id}" + (f"/{path}" if path else "")

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def create_flow(self, name: str, **extra: Any) -> dict[str, Any]:
        body = {"name": name, "source_id": "ingester_stripe", "destination_id": "dest_stripe_prod_us_east_1", **extra}
        response = self.post("delivery-flows", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def all_pages(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        """Every item of a v1 list, following ``next_cursor``; each page's shape checked."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            response = self.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
            assert response.status_code == 200, response.text
            body = response.json()
            assert set(body) == PAGE_KEYS | {key}, body
            items += body[key]
            if not body["has_more"]:
                assert body["next_cursor"] is None
                return items
            cursor = body["next_cursor"]

    def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        return self.all_pages("deliveries", "deliveries", limit=100, **params)
