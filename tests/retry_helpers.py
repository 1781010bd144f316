"""What the bulk retry tests share: a flow whose deliveries all failed, and counts of the retries made.

A simulated target with success rate 0 fails every attempt; with the fast schedule
(:data:`deliveries.FAST`: four attempts within a fraction of a second) each delivery ends with no
retry left, so a plan finds them all undelivered. Setting the rate to 1 "fixes" the target.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from zen_nb import ZenClient

from deliveries import DEADLINE, STRIPE_STAGING, make_flow
from helpers import Api, client_for, set_outcome, wait_until

ATTEMPTS_EACH = 4  # the fast schedule's attempts of one delivery
# The retry calls, as fault rules match them: the batch call, and the single retry of one attempt.
BATCH_PATH = "/tenants/*/clusters/*/delivery-attempts/retry"
ONE_PATH = "/tenants/*/clusters/*/delivery-attempts/*/retry"


def private_journals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Plans made in this test keep their journals in a folder of its own (``ZEN_NB_STATE_DIR``)."""
    folder = tmp_path / "state"
    monkeypatch.setenv("ZEN_NB_STATE_DIR", str(folder))
    return folder


def failing_flow(api: Api, name: str, events: int, target: tuple[str, str] = STRIPE_STAGING) -> tuple[dict, ZenClient]:
    """A flow whose ``events`` deliveries have all failed their every attempt; and the tenant's client.

    The sandbox must have the fast schedule (the ``fast`` fixture).
    """
    set_outcome(api, target[0], successRate=0.0, latencyMs=1, latencySpread=0)
    flow = make_flow(api, name, target)
    client = client_for(api)
    for number in range(events):
        client.ingest_event("ingester_stripe", {"n": number})
    wait_until(
        lambda: client.list_attempts(flow=flow["id"]),
        lambda attempts: len(attempts) == events * ATTEMPTS_EACH and all(a.status == "failed" for a in attempts),
        DEADLINE * 3,
        f"{events} deliveries of {name} to fail {ATTEMPTS_EACH} times",
    )
    return flow, client


def fix_target(api: Api, target: tuple[str, str] = STRIPE_STAGING) -> None:
    """The target answers every attempt with a success from now on."""
    set_outcome(api, target[0], successRate=1.0, latencyMs=1, latencySpread=0)


def manual_retries(client: ZenClient, flow: dict[str, Any]) -> Counter[str]:
    """How many manual attempts each event of the flow has (an event retried once counts 1)."""
    return Counter(a.event_id for a in client.list_attempts(flow=flow["id"]) if a.trigger == "manual")


def settled(client: ZenClient, flow: dict[str, Any]) -> list[Any]:
    """The flow's attempts once none is pending."""
    return wait_until(
        lambda: client.list_attempts(flow=flow["id"]),
        lambda attempts: all(a.status != "pending" for a in attempts),
        DEADLINE,
        "every attempt to settle",
    )
