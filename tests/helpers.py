"""Helpers shared by the tests: an HTTP client for the demo tenant, and the error-shape check."""

from __future__ import annotations

from typing import Any

import requests

from zen_nb import sandbox as sandbox_pkg

# The fields of a delivery attempt, as the contract lists them.
ATTEMPT_FIELDS = {
    "id",
    "flowId",
    "eventId",
    "targetId",
    "attemptNumber",
    "trigger",
    "status",
    "responseStatus",
    "errorCode",
    "latencyMs",
    "createdAt",
}


class Api:
    """A thin HTTP helper for tests: paths relative to the demo tenant, the bearer token set."""

    def __init__(self, box: sandbox_pkg.Sandbox, token: str | None = None, tenant_id: str | None = None) -> None:
        self.box = box
        self.base_url = box.base_url
        self.tenant_id = tenant_id or box.tenant_id
        self.plane_id = box.plane_id
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or box.token}"

    def url(self, path: str = "") -> str:
        """``path`` under ``/tenants/{tenantId}``; ``{plane}`` stands for the demo plane's path."""
        path = path.replace("{plane}", f"clusters/{self.plane_id}")
        return f"{self.base_url}/tenants/{self.tenant_id}" + (f"/{path}" if path else "")

    def request(self, method: str, path: str = "", **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_flow(
        self,
        name: str,
        source: str = "ingester_stripe",
        target: str = "dest_stripe_prod_us_east_1",
        target_type: str = "stripe",
        **extra: Any,
    ) -> requests.Response:
        body = {"name": name, "source": source, "target": {"id": target, "type": target_type}, **extra}
        return self.post("{plane}/delivery-flows", json=body)

    def all_pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list, following ``nextCursor``."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            response = self.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["data"]
            if not body["hasMore"]:
                assert body["nextCursor"] is None
                return items
            cursor = body["nextCursor"]


def admin_post(box: sandbox_pkg.Sandbox, path: str, **kwargs: Any) -> requests.Response:
    """POST to the sandbox's admin surface with its admin token."""
    headers = {"Authorization": f"Bearer {box.admin_token}"}
    return requests.post(f"{box.base_url}/_sandbox/{path}", headers=headers, timeout=30, **kwargs)


def assert_error(response: requests.Response, status: int, code: str, field: str | None = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """The response is the contract's error shape with this status and code, and ids agree."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "requestId"}, body
    assert set(body["error"]) == {"status", "code", "message", "field"}, body
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert body["requestId"].startswith("req_")
    assert body["requestId"] == response.headers["X-Request-Id"]
    if field is not ...:
        assert body["error"]["field"] == field, body
    return body["error"]


def dtypes_as_printed(frame: Any) -> dict[str, str]:
    """Each column's dtype as ``frame.dtypes`` prints it, but "string" only for exactly
    ``pd.StringDtype("python")`` with ``<NA>``: any other string dtype (pyarrow's, or the NaN-valued
    ``str``) shows its repr, storage and missing value included, so a test cannot pass by accident."""
    import pandas as pd  # only the frame tests need it

    def name(dtype: object) -> str:
        if isinstance(dtype, pd.StringDtype) and not (dtype.storage == "python" and dtype.na_value is pd.NA):
            return repr(dtype)
        return str(dtype)

    return {column: name(dtype) for column, dtype in frame.dtypes.items()}
