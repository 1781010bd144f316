"""``Sandbox.advance_clock(...)``: the delivery clock from Python, with the sandbox's admin token.

It speaks to ``/_sandbox/clock`` over HTTP, as ``fault_switch.py`` speaks to ``/_sandbox/faults``
(the queue lives in the server, which may be on another thread or in another process), with the
standard library only, so that importing the package stays light. The token is sent, never shown.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ClockRefused(ValueError):
    """The sandbox refused to advance its clock: the message is its answer (the field and the fix)."""


def advance_clock(base_url: str, admin_token: str, seconds: float, tenant_id: str | None = None) -> dict[str, Any]:
    """``POST /_sandbox/clock``: every tenant's deliveries, or ``tenant_id``'s; the sandbox's answer."""
    body: dict[str, Any] = {"advanceSeconds": seconds}
    if tenant_id is not None:
        body["tenantId"] = tenant_id
    request = urllib.request.Request(f"{base_url}/_sandbox/clock", data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {admin_token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("message") or f"HTTP {error.code}"
        except (ValueError, AttributeError):  # not a JSON object: the status says enough
            message = f"HTTP {error.code}"
        raise ClockRefused(f"the sandbox did not advance its delivery clock: {message}") from None
