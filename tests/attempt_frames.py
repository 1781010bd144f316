"""Small attempt histories written by hand, as ``load_attempts()`` frames (the same columns and dtypes).

Each row is ``(flow, event, target, number, status, response_status, error_code, latency_ms, at)``
with ``at`` a time of 2026-11-02 (``"10:59:58"``); the frame is built by ``zen_nb.frames``'
own page reader from the attempt JSON those rows stand for, so its dtypes are the loader's.
"""

from __future__ import annotations

import pandas as pd

from zen_nb.frames import ATTEMPT_COLUMNS, _append_attempts, _attempt_frame

DAY = "2026-11-02"

# Three flows to three targets. f1: every event delivered, after retries; f2: one delivered, one
# still pending after a 429; f3: a target that refuses every connection, never a success.
HISTORY = [
    ("f1", "e1", "t1", 1, "failed", 500, None, 100, "10:59:58"),
    ("f1", "e1", "t1", 2, "succeeded", 200, None, 40, "11:00:03"),  # 5 s later, in the next hour
    ("f1", "e2", "t1", 1, "succeeded", 200, None, 20, "10:10:00"),
    ("f1", "e3", "t1", 1, "failed", None, "timeout", 10000, "11:05:00"),
    ("f1", "e3", "t1", 2, "failed", 503, None, 60, "11:05:30"),
    ("f1", "e3", "t1", 3, "succeeded", 200, None, 80, "11:07:30"),  # 150 s after the first
    ("f2", "e1", "t2", 1, "succeeded", 200, None, 300, "10:00:01"),  # e1 again: another delivery
    ("f2", "e4", "t2", 1, "failed", 429, None, 200, "10:30:00"),
    ("f2", "e4", "t2", 2, "pending", None, None, None, "10:30:05"),
    ("f3", "e5", "t3", 1, "failed", None, "connection_refused", 3, "10:20:00"),
    ("f3", "e5", "t3", 2, "failed", None, "connection_refused", None, "10:20:05"),  # no latency
    ("f3", "e6", "t3", 1, "failed", None, "connection_refused", 5, "11:30:00"),
]
#: the flows of HISTORY, shaped as the columns of load_flows() that the metrics read
FLOWS = pd.DataFrame(
    {
        "id": pd.array(["f1", "f2", "f3"], dtype="string[python]"),
        "name": pd.array(["billing", "alerts", "archive"], dtype="string[python]"),
        "target_id": pd.array(["t1", "t2", "t3"], dtype="string[python]"),
        "target_type": pd.Categorical(["http", "slack", "http"], categories=["http", "s3", "slack", "stripe"]),
    }
)


def at(clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"{DAY}T{clock}Z")


def attempts(rows: list[tuple] = HISTORY) -> pd.DataFrame:
    """The rows as a load_attempts() frame, in the order given (ids att_1, att_2, ...)."""
    page = []
    for number, (flow, event, target, attempt, status, code, error, latency, clock) in enumerate(rows, 1):
        page.append(
            {
                "id": f"att_{number}",
                "flowId": flow,
                "eventId": event,
                "targetId": target,
                "attemptNumber": attempt,
                "trigger": "initial" if attempt == 1 else "automatic",
                "status": status,
                "responseStatus": code,
                "errorCode": error,
                "latencyMs": latency,
                "createdAt": f"{DAY}T{clock}.000Z",
            }
        )
    columns: dict[str, list] = {name: [] for name in ATTEMPT_COLUMNS}
    _append_attempts(columns, page)
    return _attempt_frame(columns)


#: three flows of the demo plane, from two ingesters to three target types: the simulated histories' fleet
FLEET = [
    ("invoices", "ingester_stripe", "dest_stripe_prod_us_east_1"),
    ("alerts", "ingester_stripe", "dest_slack_payments_alerts"),
    ("orders", "ingester_shopify", "dest_http_orders_webhook"),
]


def create_fleet(client) -> None:
    """Create :data:`FLEET` on the client's plane."""
    for name, source, target in FLEET:
        client.create_flow(name, source, target)
