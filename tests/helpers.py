"""Helpers shared by the tests, each in one place.

An HTTP client for a tenant (:class:`Api`), the sandbox's admin surface (:func:`admin`), a
``ZenClient`` on the sandbox (:func:`client_for`), the error-shape check, polling with a deadline,
an HTTP server on loopback, and ``pytest`` in a new process. Fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import requests

from zen_nb import ZenClient, ZenConfig
from zen_nb import sandbox as sandbox_pkg

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent

# The five variables of a configuration, in the order the contract lists them.
ZEN_VARIABLES = ("ZEN_API_BASE", "ZEN_API_TOKEN", "ZEN_TENANT_ID", "ZEN_PLANE_ID", "ZEN_ADAPTER_ID")

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
# What the sandbox adds to each on the recipe form: when the delivery's next automatic attempt is due.
SANDBOX_ATTEMPT_FIELDS = ATTEMPT_FIELDS | {"nextAttemptAt"}


class Api:
    """A thin HTTP helper for tests: paths relative to the demo tenant, the bearer token set."""

    def __init__(self, box: sandbox_pkg.Sandbox, token: str | None = None, tenant_id: str | None = None) -> None:
        self.box = box
        self.base_url = box.base_url
        self.tenant_id = tenant_id or box.tenant_id
        self.plane_id = box.plane_id
        self.token = token or box.token
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

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
            items += list_items(body)
            if not body["hasMore"]:
                assert body["nextCursor"] is None
                return items
            cursor = body["nextCursor"]


def admin(target: sandbox_pkg.Sandbox | Api, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A request to the sandbox's admin surface, ``/_sandbox/{path}``, with its admin token.

    ``target`` is the sandbox, or an :class:`Api` on it.
    """
    box = target.box if isinstance(target, Api) else target
    headers = {"Authorization": f"Bearer {box.admin_token}"}
    return requests.request(method, f"{box.base_url}/_sandbox/{path}", headers=headers, timeout=30, **kwargs)


def admin_post(box: sandbox_pkg.Sandbox | Api, path: str, **kwargs: Any) -> requests.Response:
    """POST to the sandbox's admin surface with its admin token."""
    return admin(box, "POST", path, **kwargs)


def set_retry_schedule(api: Api, schedule: list[float]) -> None:
    """The sandbox's automatic retries from now on: ``schedule[n]`` seconds after attempt ``n + 1`` ends."""
    response = admin(api, "PUT", "delivery", json={"retrySchedule": schedule})
    assert response.status_code == 200, response.text
    assert response.json() == {"retrySchedule": schedule, "maxAttempts": len(schedule) + 1}


def set_outcome(api: Api, target: str, plane: str | None = None, **model: Any) -> dict[str, Any]:
    """How a simulated target answers from now on, e.g. ``successRate=0.0, failures=[503]``; the model set."""
    path = f"tenants/{api.tenant_id}/clusters/{plane or api.plane_id}/targets/{target}/outcome"
    response = admin(api, "PUT", path, json=model)
    assert response.status_code == 200, response.text
    return response.json()


def client_for(target: sandbox_pkg.Sandbox | Api, **env: str) -> ZenClient:
    """A client of the sandbox's demo tenant, built as a notebook would, with some ``ZEN_*`` values replaced."""
    box = target.box if isinstance(target, Api) else target
    return ZenClient(ZenConfig(environ={**box.env(), **env}))


PAGE_KEYS = {"hasMore", "nextCursor", "total"}  # total: on the first page of flows, targets, attempts
ERROR_KEYS = {"error", "code", "status", "message", "field", "request_id"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "field", "request_id"}
# The family's type name of each error status (contract section 4).
TYPE_NAMES = {
    400: "ValidationError",
    401: "Unauthorized",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    410: "GoneError",
    413: "PayloadTooLargeError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


def list_items(body: dict[str, Any], key: str | None = None) -> list[dict[str, Any]]:
    """The items of a recipe-form list page: under the one resource key beside the cursor fields (never ``data``).

    With ``key``, that key must be it.
    """
    assert "data" not in body, body
    (found,) = set(body) - PAGE_KEYS
    if key is not None:
        assert found == key, body
    assert isinstance(body[found], list), body
    return body[found]


def assert_error(response: requests.Response, status: int, code: str, field: str | None = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """The response is the recipe form's error shape with this status and code, and ids agree; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["error"] == TYPE_NAMES.get(status, "HTTPError"), body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["message"]
    assert body["request_id"].startswith("req_")
    assert body["request_id"] == response.headers["X-Request-Id"]
    if field is not ...:
        assert body["field"] == field, body
    return body


def assert_problem(response: requests.Response, status: int, code: str, field: str | None = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """The response is a v1 error: RFC 9457 problem details with this status and code; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    assert body["type"].startswith("https://docs.zen-mesh.io/errors/"), body
    assert body["status"] == status and body["code"] == code and body["detail"] and body["title"], body
    assert body["request_id"].startswith("req_") and body["request_id"] == response.headers["X-Request-Id"]
    if field is not ...:
        assert body["field"] == field, body
    return body


def wait_until(read: Callable[[], T], done: Callable[[T], bool], deadline: float, what: str) -> T:
    """Call ``read`` every 20 ms until ``done`` holds for its answer, and return that answer; after
    ``deadline`` seconds fail with ``what`` (a description of the expected state) and the last answer."""
    give_up = time.monotonic() + deadline
    while True:
        found = read()
        if done(found):
            return found
        if time.monotonic() > give_up:
            raise AssertionError(f"not within {deadline} s: {what}; last seen: {found!r}")
        time.sleep(0.02)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on a free loopback port that answers with ``handler`` on a thread; stopped afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def url_of(server: ThreadingHTTPServer) -> str:
    """The base URL of a server from :func:`serving`."""
    return f"http://127.0.0.1:{server.server_address[1]}"


def run_pytest(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` in a new process (its own sandbox, kernels and Jupyter folders)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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


def start_of_a_fresh_window(seconds_needed: float = 8.0, window: float = 60.0) -> None:
    """Wait, if need be, so that the next ``seconds_needed`` fall in one fixed window of the sandbox's limiters.

    The rate limiter and the join limiter count in windows aligned on Unix time: a test that counts
    requests up to a limit would see the count start again if its requests straddled a window's end.
    """
    left = window - time.time() % window
    if left < seconds_needed:
        time.sleep(left + 0.05)
