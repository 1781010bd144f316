"""``Sandbox.faults(...)``: fault rules from Python, in force for a ``with`` block only.

It speaks to the sandbox's own ``/_sandbox/faults`` over HTTP with the admin token, as any
other user of the sandbox would (the rules live in the server, which may be on another thread
or in another process), with the standard library only, so that importing the package stays
light. The admin token is sent, never shown: not in a repr, not in an error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any

# Python's names for a rule's fields, and the API's (faults.py).
CAMEL = {
    "latency_ms": "latencyMs",
    "latency_spread_ms": "latencySpreadMs",
    "after_commit": "afterCommit",
    "retry_after_seconds": "retryAfterSeconds",
}


class FaultRuleRefused(ValueError):
    """The sandbox refused a rule: the message is its answer (the field and the fix)."""


def rule_json(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule given in Python's names (``latency_ms=...``) or the API's (``latencyMs``), in the API's."""
    return {CAMEL.get(name, name): value for name, value in rule.items()}


class FaultRules:
    """The rules one ``with box.faults(...)`` added: in force inside the block, removed on exit.

    ``hits`` is the number of faults they have applied so far (read from the sandbox each time).
    """

    def __init__(self, base_url: str, admin_token: str, rules: list[dict[str, Any]]) -> None:
        self._base_url = base_url
        self._admin_token = admin_token
        self._specs = rules
        self.ids: list[str] = []

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self._base_url}/_sandbox/faults{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._admin_token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read()).get("message") or f"HTTP {error.code}"
            except (ValueError, AttributeError):  # not a JSON object: the status says enough
                message = f"HTTP {error.code}"
            raise FaultRuleRefused(f"the sandbox refused the fault rule: {message}") from None
        return json.loads(raw) if raw else None

    def add(self) -> FaultRules:
        """Put the rules in force (what entering the ``with`` does); on a refusal, none stays."""
        try:
            for spec in self._specs:
                self.ids.append(self._call("POST", "", spec)["id"])
        except BaseException:
            self.remove()
            raise
        return self

    def remove(self) -> None:
        """Take exactly these rules out of force (those already gone are skipped)."""
        listed = {rule["id"] for rule in self._call("GET", "")["rules"]}
        for rule_id in self.ids:
            if rule_id in listed:
                self._call("DELETE", f"/{rule_id}")
        self.ids = []

    @property
    def rules(self) -> list[dict[str, Any]]:
        """These rules as the sandbox shows them now, with their ``hits``."""
        return [rule for rule in self._call("GET", "")["rules"] if rule["id"] in self.ids]

    @property
    def hits(self) -> int:
        """How many faults these rules have applied so far."""
        return sum(rule["hits"] for rule in self.rules)

    def __enter__(self) -> FaultRules:
        return self.add()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<FaultRules {', '.join(self.ids) or '(not in force)'} at {self._base_url}>"
