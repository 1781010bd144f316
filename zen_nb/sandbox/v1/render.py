"""Rows as the v1 API shows them: snake_case, the plane as ``cluster_id``, the v1 status words.

Each function renders one row of the data layer into the dict its model in ``models.py``
describes; the recipe form's renderers (camelCase) are in the recipe routes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..data.flows import RetryPolicy
from ..data.targets import target_config, target_status

# An attempt's error code in words (v1 ``error_message``); a code not listed is shown as it is.
_ERROR_MESSAGES = {
    "timeout": "the destination did not answer within 10 s",
    "connection_refused": "the destination refused the connection",
    "connection_reset": "the destination reset the connection",
    "connection_error": "the destination could not be reached",
    "interrupted": "the sandbox stopped while the attempt was being made",
    "flow_deleted": "the flow was deleted before the attempt was made",
    "expired": "the flow stayed paused past the retention period",
    "target_not_found": "the destination no longer exists",
    "target_disabled": "the destination is disabled",
    "event_not_found": "the event no longer exists",
    "invalid_url": "the destination's URL is refused",
    "destination_not_loopback": "the sandbox delivers to loopback only",
    "delivery_error": "the sandbox failed to make the attempt",
}


def error_message(row: Any) -> str | None:
    """Why a failed attempt failed, in words: its error code's, or the HTTP status the destination answered."""
    if row["stored_status"] != "failed":
        return None
    code = row["error_code"]
    if code is not None:
        return _ERROR_MESSAGES.get(code, code)
    if row["response_status"] is not None:
        return f"the destination answered HTTP {row['response_status']}"
    return "the attempt failed"


def retry_policy_json(policy: RetryPolicy) -> dict[str, Any] | None:
    """``config.retry_policy``: null when the flow follows the sandbox's schedule."""
    if not policy.is_set:
        return None
    return {"max_attempts": policy.max_attempts, "backoff_seconds": policy.backoff_seconds}


def flow_json(row: Any, target: dict[str, str]) -> dict[str, Any]:
    """A flow, with its (first) target as ``destination_id``/``destination_type``."""
    return {
        "id": row["id"],
        "name": row["name"],
        "source_id": row["source"],
        "destination_id": target["id"],
        "destination_type": target["type"],
        "cluster_id": row["plane_id"],
        "status": row["status"],
        "description": row["description"],
        "config": {"retry_policy": retry_policy_json(RetryPolicy.of(row))},
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def destination_json(row: sqlite3.Row) -> dict[str, Any]:
    """A destination (target), its status as of now and its config echoed, as on the recipe form."""
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "url": row["url"],
        "status": target_status(row),
        "config": target_config(row),
        "cluster_id": row["plane_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def delivery_json(row: Any) -> dict[str, Any]:
    """An attempt as a v1 delivery (``data.v1_deliveries`` computed its status)."""
    return {
        "id": row["id"],
        "event_id": row["event_id"],
        "destination_id": row["target_id"],
        "flow_id": row["flow_id"],
        "cluster_id": row["plane_id"],
        "status": row["v1_status"],
        "response_code": row["response_status"],
        "attempt_number": row["attempt_number"],
        "trigger": row["trigger"],
        "attempted_at": row["created_at"],
        "latency_ms": row["latency_ms"],
        "error_code": row["error_code"],
        "error_message": error_message(row),
    }
