"""A trainee of the exercise tests: a tenant of its own, its ``ZenClient``, and its check and prepare calls.

The trainee works as in a notebook, with the client; ``check`` and ``prepare`` are the sandbox's
``/_sandbox/class/exercises/{name}/...`` with the trainee's own token, their answers returned as JSON.
"""

from __future__ import annotations

from typing import Any

import requests

from zen_nb import ZenClient
from zen_nb.exercise_catalog import FLOW_SOURCE, FLOW_TARGET

from helpers import Api, client_for

EXERCISES_PATH = "/_sandbox/class/exercises"
STRIPE_TARGET = {"id": FLOW_TARGET, "type": "stripe"}


class Trainee:
    """One tenant as a trainee: ``client`` for the work, :meth:`check` and :meth:`prepare` for the exercises."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client: ZenClient = client_for(api, ZEN_API_TOKEN=api.token, ZEN_TENANT_ID=api.tenant_id)

    def call(self, name: str, action: str, token: str | None = ...) -> requests.Response:  # type: ignore[assignment]
        """POST ``.../{name}/{action}`` with the trainee's token (or ``token``; None: no header)."""
        token = self.api.token if token is ... else token
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return requests.post(f"{self.api.base_url}{EXERCISES_PATH}/{name}/{action}", headers=headers, timeout=30)

    def check(self, name: str) -> dict[str, Any]:
        response = self.call(name, "check")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"exercise", "passed", "message", "hint", "passedAt", "checks"}, body
        assert body["message"].startswith("✓ " if body["passed"] else "✗ "), body
        assert (body["hint"] is None) == body["passed"], body
        return body

    def message(self, name: str) -> str:
        """The check's message, and its hint on the next line when it did not pass (as a cell shows them)."""
        body = self.check(name)
        return body["message"] + (f"\nHint: {body['hint']}" if body["hint"] else "")

    def prepare(self, name: str) -> dict[str, Any]:
        response = self.call(name, "prepare")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"exercise", "prepared", "message"}, body
        return body

    def create_invoice_flow(self, name: str, **kwargs: Any) -> Any:
        """The task's flow (source and target of the catalog) under ``name``."""
        return self.client.create_flow(name, FLOW_SOURCE, kwargs.pop("target", STRIPE_TARGET), **kwargs)

    def close(self) -> None:
        self.client.close()
