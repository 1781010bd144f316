"""Which due deliveries the engine takes first, so that no tenant (and no target) starves the others.

The engine has a few workers for every tenant of the sandbox. Taken in plain due order, one
tenant that queues 800 deliveries to a slow target holds every worker until they are all made,
and another tenant's event waits behind them. So, as Svix and Hookdeck do per endpoint, the
queue is a queue per (tenant, target), and each free worker goes to the tenant with the fewest
attempts in flight, then within it to the target with the fewest, then to the delivery due
first. Nobody is capped while nobody else waits (the engine never idles with work due), and as
soon as another tenant has due work, each gets an equal share of the workers: a flooding
tenant keeps at most half of them against one other tenant. Within one (tenant, target) the
order stays the due order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# A target as the engine tells them apart: (tenant_id, plane_id, target_id).
TargetKey = tuple[str, str, str]


@dataclass(frozen=True)
class Candidate:
    """A due delivery the engine could take: its queue row and whose it is, in due order."""

    seq: int
    tenant_id: str
    plane_id: str
    target_id: str

    @property
    def target(self) -> TargetKey:
        return (self.tenant_id, self.plane_id, self.target_id)


@dataclass
class InFlight:
    """Attempts handed to the workers and not yet recorded, counted per tenant and per target."""

    tenants: Counter[str] = field(default_factory=Counter)
    targets: Counter[TargetKey] = field(default_factory=Counter)

    def add(self, tenant_id: str, target: TargetKey) -> None:
        self.tenants[tenant_id] += 1
        self.targets[target] += 1

    def remove(self, tenant_id: str, target: TargetKey) -> None:
        self.tenants[tenant_id] -= 1
        self.targets[target] -= 1
        # Drop zeros, so the counters hold only what is in flight and never grow with history.
        if self.tenants[tenant_id] <= 0:
            del self.tenants[tenant_id]
        if self.targets[target] <= 0:
            del self.targets[target]

    def copy(self) -> InFlight:
        return InFlight(Counter(self.tenants), Counter(self.targets))

    def total(self) -> int:
        return sum(self.tenants.values())


def fair_order(candidates: Iterable[Candidate], in_flight: InFlight, limit: int) -> list[Candidate]:
    """Up to ``limit`` of the ``candidates`` (given in due order), in the order to take them.

    Each pick goes to the least busy tenant, then its least busy target, then the earliest due,
    counting what is already in flight and what this call picked before: a round-robin over
    tenants, and over targets within a tenant, that keeps the due order inside each target's
    queue. ``in_flight`` is not changed.
    """
    queues: dict[TargetKey, list[tuple[int, Candidate]]] = {}
    for index, candidate in enumerate(candidates):
        queues.setdefault(candidate.target, []).append((index, candidate))
    load = in_flight.copy()
    heads = dict.fromkeys(queues, 0)  # where each queue's next candidate is
    chosen: list[Candidate] = []

    def rank(key: TargetKey) -> tuple[int, int, int]:
        index, head = queues[key][heads[key]]
        return (load.tenants[head.tenant_id], load.targets[key], index)

    while len(chosen) < limit and heads:
        key = min(heads, key=rank)
        picked = queues[key][heads[key]][1]
        chosen.append(picked)
        load.add(picked.tenant_id, key)
        heads[key] += 1
        if heads[key] == len(queues[key]):
            del heads[key]
    return chosen
