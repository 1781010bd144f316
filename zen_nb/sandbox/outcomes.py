"""How a simulated target answers: a success rate, a latency spread, and the ways it fails.

The sandbox never leaves the machine, so every target that is not an ``http`` URL on loopback
is simulated. A model draws one attempt's result from a random generator, so the same seed
gives the same results. Simulated traffic gives each target a profile of its own, drawn from
the seed: most targets are healthy, some flaky, some slow, as in a real fleet.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR_CODES = ("timeout", "connection_refused", "connection_reset")

# What each kind of destination typically answers when it fails, and its usual latency (ms).
TYPICAL_FAILURES: dict[str, list[int | str]] = {
    "stripe": [500, 503, "timeout"],
    "http": [500, 502, 503, 504, "timeout", "connection_refused"],
    "slack": [429, 500, 503],
    "s3": [500, 503, "timeout"],
}
TYPICAL_LATENCY_MS = {"stripe": 180.0, "http": 90.0, "slack": 260.0, "s3": 70.0}


@dataclass
class Outcome:
    """How a simulated target answers each attempt."""

    success_rate: float = 1.0
    latency_ms: float = 120.0
    latency_spread: float = 0.35
    failures: list[int | str] = field(default_factory=lambda: [503])

    def draw(self, rng: random.Random) -> tuple[bool, int | None, str | None, int]:
        """One attempt: (succeeded, HTTP status or None, error code or None, latency in ms)."""
        latency = self.latency_ms * math.exp(rng.gauss(0.0, self.latency_spread))
        if rng.random() < self.success_rate:
            return True, 200, None, max(1, round(latency))
        failure = rng.choice(self.failures) if self.failures else 503
        if isinstance(failure, str):  # no answer: a timeout waits the whole 10 s
            waited = 10_000 if failure == "timeout" else latency / 4
            return False, None, failure, max(1, round(waited))
        return False, int(failure), None, max(1, round(latency))

    @classmethod
    def from_json(cls, model: dict[str, Any]) -> Outcome:
        """A model as the API writes it (and ``data/settings.py`` stores it): :meth:`as_json`'s inverse."""
        return cls(
            success_rate=float(model["successRate"]),
            latency_ms=float(model["latencyMs"]),
            latency_spread=float(model["latencySpread"]),
            failures=list(model["failures"]),
        )

    def as_json(self) -> dict[str, Any]:
        """The model as the API shows it (camelCase)."""
        data = asdict(self)
        return {
            "successRate": data["success_rate"],
            "latencyMs": data["latency_ms"],
            "latencySpread": data["latency_spread"],
            "failures": data["failures"],
        }


def latency_bound(outcome: Outcome) -> int:
    """The longest latency (ms) a simulation draws for a target: four spreads above the median,
    and a timeout's full wait when the target can time out."""
    longest = outcome.latency_ms * math.exp(4 * outcome.latency_spread)
    if "timeout" in outcome.failures:
        longest = max(longest, 10_000)
    return max(1, round(longest))


def default_outcome(target_type: str) -> Outcome:
    """A target nobody configured: it always answers, at the usual speed of its kind."""
    return Outcome(
        success_rate=1.0,
        latency_ms=TYPICAL_LATENCY_MS.get(target_type, 120.0),
        failures=list(TYPICAL_FAILURES.get(target_type, [503])),
    )


def simulated_profile(seed: int, target_id: str, target_type: str, failure_rate: float) -> Outcome:
    """A target's character in simulated traffic, the same for the same seed and target."""
    rng = random.Random(f"{seed}:{target_id}")
    character = rng.choices(["healthy", "flaky", "slow", "struggling"], weights=[60, 20, 15, 5])[0]
    failure = {"healthy": 0.3, "flaky": 3.0, "slow": 1.0, "struggling": 8.0}[character] * failure_rate
    latency = TYPICAL_LATENCY_MS.get(target_type, 120.0) * {"slow": 6.0, "struggling": 3.0}.get(character, 1.0)
    return Outcome(
        success_rate=max(0.0, 1.0 - min(failure, 0.9)),
        latency_ms=latency * rng.uniform(0.8, 1.25),
        latency_spread=0.6 if character in ("slow", "struggling") else 0.35,
        failures=list(TYPICAL_FAILURES.get(target_type, [503])),
    )
