"""What the reliability suite shares: a private sandbox, fault rules as the suite uses them, and
the loop a careful user writes around a call that may raise after its retries.

Faults are global to a sandbox: a module of the suite starts its own (:func:`private_sandbox`,
on a database file), so that no other test's traffic draws from its rules and no rule of its
reaches another test. Rules are given a seed each and a ``retryAfterSeconds`` of 0 (urllib3 then
waits its own short backoff instead of a second per 429/503), so a run is quick.

Several client threads are realistic and four times quicker, but threads sharing a rule would
share its random sequence in whatever order their requests arrive. So each worker is a tenant
of its own (:func:`worker_tenants`) with rules of its own (the rule's ``tenant``), calling one
request after another: each tenant's sequence of faults, and so the whole run, repeats request
for request.

R2 (tests/test_reliability_crash.py, tests/test_reliability_secrets.py) may add functions at
the end of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import requests

from zen_nb import ZenClient, ZenConfig
from zen_nb import sandbox as sandbox_pkg
from zen_nb.errors import RateLimitedError, ServerError, ZenConnectionError
from zen_nb.sandbox.fault_switch import FaultRules
from zen_nb.vocabulary import ENV_ADAPTER_ID, ENV_API_BASE, ENV_API_TOKEN, ENV_PLANE_ID, ENV_TENANT_ID

from helpers import Api, admin_post, client_for

T = TypeVar("T")

FLOWS = "/tenants/*/clusters/*/delivery-flows"
ONE_FLOW = "/tenants/*/clusters/*/delivery-flows/*"
TARGETS = "/tenants/*/clusters/*/destinations"
ONE_TARGET = "/tenants/*/clusters/*/destinations/*"
ATTEMPTS = "/tenants/*/clusters/*/delivery-attempts"

# What a call may raise once the client's own retries are spent, and a user may call again for:
# a 5xx (a 503 five times, or a 500, which the client does not retry), a 429 five times, or no
# answer at all five times (dropped connections).
TRANSIENT = (ServerError, RateLimitedError, ZenConnectionError)
USER_TRIES = 6  # a user's calls of one create (each with the client's 5 tries): enough at 30 % faults
WORKERS = 4  # client threads, each a tenant of its own


@contextmanager
def private_sandbox(folder: Path) -> Iterator[sandbox_pkg.Sandbox]:
    """A sandbox of the caller's own, on a database file in ``folder``, with no rate limit in reach
    (its 429s are the fault rules' only); stopped on exit."""
    with sandbox_pkg.start(port=0, db=folder / "box.sqlite3", rate_limit=(1_000_000, 1)) as box:
        yield box


def user_client(box: sandbox_pkg.Sandbox) -> ZenClient:
    """The demo tenant's client built as a user builds it: from the five ``ZEN_*`` values, default retries."""
    return ZenClient(ZenConfig(environ=box.env()))


def rule(kind: str, probability: float, seed: int, *, methods: list[str], path: str, **more: Any) -> dict[str, Any]:
    """One fault rule of a ``kind``: ``"503"``, ``"429"``, ``"500"`` (any status), ``"drop"``,
    ``"latency"``, or one of those after the write (``"after-503"``, ``"after-drop"``, ...)."""
    spec: dict[str, Any] = {"probability": probability, "seed": seed, "methods": methods, "path": path, **more}
    after, _, fault = kind.rpartition("-")
    if after:
        spec["afterCommit"] = True
    if fault == "drop":
        spec["drop"] = True
    elif fault == "latency":
        spec.setdefault("latencyMs", 20)
        spec.setdefault("latencySpreadMs", 30)
    else:
        spec["status"] = int(fault)
        if spec["status"] in (429, 503):
            spec.setdefault("retryAfterSeconds", 0)
    return spec


def write_faults(
    tenants: Sequence[Api], methods: list[str], path: str, *, seed: int, each: float = 0.07, after_500: bool = True
) -> tuple[list[str], list[dict[str, Any]]]:
    """The rules of a write under faults for each tenant: 503, 429 and drop before the write, and
    503, drop (and 500) after it, the lost answers; their kinds, and the rules, in the same order.

    ``each`` is each rule's probability: the first rule that fires decides, so five rules of 0.07
    fault about 30 % of the requests (a 500 after the write adds half of ``each`` more)."""
    kinds = {"503": each, "429": each, "drop": each, "after-503": each, "after-drop": each}
    if after_500:
        kinds["after-500"] = each / 2
    named, rules = [], []
    for number, tenant in enumerate(tenants):
        for offset, (kind, probability) in enumerate(kinds.items()):
            named.append(kind)
            rules.append(
                rule(
                    kind, probability, seed + 10 * number + offset, methods=methods, path=path, tenant=tenant.tenant_id
                )
            )
    return named, rules


def hits_by_kind(rules: FaultRules, kinds: list[str]) -> dict[str, int]:
    """The rules' hits so far, summed by the kind each was added as (``kinds``, in the rules' order)."""
    shown = {found["id"]: found["hits"] for found in rules.rules}
    hits: dict[str, int] = dict.fromkeys(kinds, 0)
    for kind, rule_id in zip(kinds, rules.ids, strict=True):
        hits[kind] += shown[rule_id]
    return hits


def worker_tenants(box: sandbox_pkg.Sandbox, count: int = WORKERS) -> list[Api]:
    """``count`` new tenants with the demo seed (same plane, ingesters and targets), one per worker."""
    made = []
    for _ in range(count):
        response = admin_post(box, "tenants", json={"plan": "team", "seed": True})
        assert response.status_code == 201, response.text
        made.append(Api(box, token=response.json()["token"], tenant_id=response.json()["id"]))
    return made


def tenant_client(api: Api) -> ZenClient:
    """A tenant's client built as a user builds it (its ``ZEN_*`` values, default retries)."""
    return client_for(api, ZEN_API_TOKEN=api.token, ZEN_TENANT_ID=api.tenant_id)


def per_tenant(tenants: Sequence[Api], work: Callable[[ZenClient, int], T]) -> list[T]:
    """``work(client, n)`` for each tenant ``n`` on a thread of its own, with that tenant's client;
    the results in the tenants' order (a worker's error is raised here)."""

    def run(number: int) -> T:
        with tenant_client(tenants[number]) as client:
            return work(client, number)

    with ThreadPoolExecutor(max_workers=len(tenants)) as pool:
        return list(pool.map(run, range(len(tenants))))


class UserRetries:
    """The loop a careful user writes: call, and on a transient error call again with the SAME
    ``idempotency_key`` (at most :data:`USER_TRIES` calls); ``raised`` lists the errors caught.
    Without a ``key`` (a PATCH: the same change however often it lands) the call is made as is."""

    def __init__(self) -> None:
        self.raised: list[str] = []

    def __call__(self, call: Callable[..., T], key: str | None = None) -> T:
        keyword = {} if key is None else {"idempotency_key": key}
        for _ in range(USER_TRIES - 1):
            try:
                return call(**keyword)
            except TRANSIENT as error:
                self.raised.append(type(error).__name__)
        return call(**keyword)


def flows_named(api: Api, prefix: str) -> list[dict[str, Any]]:
    """The demo plane's flows whose name starts with ``prefix``, read over plain HTTP (no fault in force)."""
    return [flow for flow in api.all_pages("{plane}/delivery-flows", limit=250) if flow["name"].startswith(prefix)]


def targets_named(api: Api, prefix: str) -> list[dict[str, Any]]:
    """The demo plane's targets whose name starts with ``prefix``, read over plain HTTP."""
    return [item for item in api.all_pages("{plane}/destinations", limit=250) if item["name"].startswith(prefix)]


def new_tenant_env(base_url: str, admin_token: str) -> dict[str, str]:
    """The five ``ZEN_*`` of a new tenant (the demo seed) made through ``/_sandbox/tenants`` of the
    sandbox at ``base_url``, in this process or another: its token is known to the caller only."""
    response = requests.post(
        f"{base_url}/_sandbox/tenants",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"plan": "team", "seed": True},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    made = response.json()
    return {
        ENV_API_BASE: base_url,
        ENV_API_TOKEN: made["token"],
        ENV_TENANT_ID: made["id"],
        ENV_PLANE_ID: sandbox_pkg.DEMO_PLANE_ID,
        ENV_ADAPTER_ID: sandbox_pkg.DEMO_ADAPTER_ID,
    }
