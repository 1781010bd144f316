"""Fault rules: which requests the sandbox fails on purpose, and how (no HTTP here).

Modelled on LocalStack's Chaos API (rules with a probability and added latency, matched by
what a request is) and on WireMock's and Toxiproxy's connection faults. A rule is JSON in the
contract's camelCase (``/_sandbox/faults``, ``zen-nb sandbox --fault``, ``Sandbox.faults``)::

    {"status": 503, "probability": 0.3, "methods": ["POST"],
     "path": "/tenants/*/clusters/*/delivery-flows", "tenant": "tenant_demo", "count": 10, "seed": 7}

- ``status``: a 4xx or 5xx answered instead of the real one (429 and 503 carry ``Retry-After``).
- ``retryAfterSeconds``: the ``Retry-After`` of a 429 or 503 (a whole number, default 1; 0 tells
  a client it may retry at once, so it falls back to its own backoff).
- ``latencyMs`` / ``latencySpreadMs``: a delay of ``latencyMs`` plus a uniform draw in
  ``[0, latencySpreadMs]``, before the request is handled; alone, the real answer comes late.
- ``afterCommit``: the request is handled (and its writes committed) first, then its answer is
  replaced by the fault: the "lost response" a client must survive without a duplicate.
- ``drop``: the connection is closed with no answer at all (with ``afterCommit``: after the write).
- ``methods`` (default every method), ``path`` (a glob over the request path: ``*`` is any run
  of characters within one segment, ``**`` any run across segments, ``?`` one character; the
  whole path must match; default every path), ``tenant`` (default every tenant).
- ``count``: only the first ``count`` matching requests are considered (drawn by ``probability``).
- ``seed``: the rule's own random sequence, so that a run of faults repeats; without one, rules
  draw from the engine's sequence, seeded by ``PUT /_sandbox/faults {"seed": n}`` (else random).

``/_sandbox/...`` and ``/health`` are never faulted: the switch that clears faults must work
under them. Everything here runs on the server's event loop, so no lock is needed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .ids import new_id

RETRY_AFTER_STATUSES = (429, 503)
RETRY_AFTER_SECONDS = 1
MAX_RETRY_AFTER_SECONDS = 3600
NEVER_FAULTED = ("/_sandbox", "/health", "/v1/health")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_LATENCY_MS = 60_000
MAX_RULES = 100
FIELDS = (
    "probability",
    "status",
    "retryAfterSeconds",
    "latencyMs",
    "latencySpreadMs",
    "afterCommit",
    "drop",
    "methods",
    "path",
    "tenant",
    "count",
    "seed",
)


class InvalidFaultRule(ValueError):
    """A rule that cannot be applied: ``field`` names the culprit, the message the fix."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def path_pattern(glob: str) -> re.Pattern[str]:
    """The regular expression of a path glob (see the module's docstring)."""
    parts = re.split(r"(\*\*|\*|\?)", glob)
    wild = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wild.get(part, re.escape(part)) for part in parts) + r"\Z")


@dataclass
class FaultRule:
    """One rule, as validated by :func:`parse_rule`; ``hits`` counts the faults it has applied."""

    id: str
    probability: float = 1.0
    status: int | None = None
    retry_after_seconds: int = RETRY_AFTER_SECONDS
    latency_ms: int = 0
    latency_spread_ms: int = 0
    after_commit: bool = False
    drop: bool = False
    methods: tuple[str, ...] = ()
    path: str | None = None
    tenant: str | None = None
    count: int | None = None
    seed: int | None = None
    hits: int = 0
    matched: int = 0  # requests that matched, for ``count``
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _random: random.Random | None = field(default=None, repr=False)

    def matches(self, method: str, path: str, tenant: str | None) -> bool:
        """Whether a request is one this rule is about (``count`` aside)."""
        if self.methods and method not in self.methods:
            return False
        if self.tenant is not None and tenant != self.tenant:
            return False
        return self._pattern is None or self._pattern.match(path) is not None

    def as_json(self) -> dict[str, Any]:
        """The rule as the API shows it, with its hits."""
        return {
            "id": self.id,
            "probability": self.probability,
            "status": self.status,
            "retryAfterSeconds": self.retry_after_seconds,
            "latencyMs": self.latency_ms,
            "latencySpreadMs": self.latency_spread_ms,
            "afterCommit": self.after_commit,
            "drop": self.drop,
            "methods": list(self.methods),
            "path": self.path,
            "tenant": self.tenant,
            "count": self.count,
            "seed": self.seed,
            "hits": self.hits,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait ``delay_s``, then answer ``status`` or ``drop`` (before or after handling)."""

    rule_id: str
    delay_s: float
    status: int | None
    drop: bool
    after_commit: bool
    retry_after_seconds: int = RETRY_AFTER_SECONDS


def _number(spec: Mapping[str, Any], name: str, low: float, high: float, whole: bool) -> Any:
    value = spec[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a whole number" if whole else "a number"
        raise InvalidFaultRule(name, f"must be {kind} from {low:g} to {high:g}")
    if whole and not float(value).is_integer():
        raise InvalidFaultRule(name, f"must be a whole number from {low:g} to {high:g}, not {value!r}")
    if not low <= value <= high:
        raise InvalidFaultRule(name, f"must be from {low:g} to {high:g}, not {value!r}")
    return int(value) if whole else float(value)


def _flag(spec: Mapping[str, Any], name: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise InvalidFaultRule(name, "must be true or false")
    return value


def _text(spec: Mapping[str, Any], name: str, hint: str) -> str | None:
    value = spec.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 500:
        raise InvalidFaultRule(name, f"must be a non-empty string of at most 500 characters, {hint}")
    return value


def _methods(spec: Mapping[str, Any]) -> tuple[str, ...]:
    value = spec.get("methods")
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidFaultRule("methods", f'must be a list of HTTP methods, e.g. ["POST"], from {", ".join(METHODS)}')
    methods = tuple(dict.fromkeys(v.upper() for v in value))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise InvalidFaultRule("methods", f"{unknown[0]!r} is not one of {', '.join(METHODS)}")
    return methods


def parse_rule(spec: Mapping[str, Any], rule_id: str | None = None) -> FaultRule:
    """A :class:`FaultRule` from its JSON form; :class:`InvalidFaultRule` names the field and the fix."""
    if not isinstance(spec, Mapping):
        raise InvalidFaultRule("rule", 'must be a JSON object, e.g. {"status": 503}')
    unknown = [name for name in spec if name not in FIELDS]
    if unknown:
        raise InvalidFaultRule(str(unknown[0]), f"is not a field of a fault rule; the fields are {', '.join(FIELDS)}")
    present = {name for name, value in spec.items() if value is not None}
    rule = FaultRule(id=rule_id or new_id("fault", 12))
    if "probability" in present:
        rule.probability = _number(spec, "probability", 0, 1, whole=False)
    if "status" in present:
        rule.status = _number(spec, "status", 400, 599, whole=True)
    if "retryAfterSeconds" in present:
        rule.retry_after_seconds = _number(spec, "retryAfterSeconds", 0, MAX_RETRY_AFTER_SECONDS, whole=True)
    if "latencyMs" in present:
        rule.latency_ms = _number(spec, "latencyMs", 0, MAX_LATENCY_MS, whole=True)
    if "latencySpreadMs" in present:
        rule.latency_spread_ms = _number(spec, "latencySpreadMs", 0, MAX_LATENCY_MS, whole=True)
    if "count" in present:
        rule.count = _number(spec, "count", 1, 1_000_000_000, whole=True)
    if "seed" in present:
        rule.seed = _number(spec, "seed", 0, 2**63 - 1, whole=True)
    rule.after_commit = _flag(spec, "afterCommit")
    rule.drop = _flag(spec, "drop")
    rule.methods = _methods(spec)
    rule.tenant = _text(spec, "tenant", "a tenant id such as tenant_demo")
    rule.path = _text(spec, "path", "a glob such as /tenants/*/clusters/*/delivery-flows")
    if rule.path is not None:
        if not rule.path.startswith("/"):
            raise InvalidFaultRule(
                "path", f"must start with '/', e.g. /tenants/*/clusters/*/delivery-flows (a glob), not {rule.path!r}"
            )
        rule._pattern = path_pattern(rule.path)
    if rule.status is not None and rule.drop:
        raise InvalidFaultRule("drop", "a rule either answers a status or drops the connection: give one of them")
    if rule.after_commit and rule.status is None and not rule.drop:
        raise InvalidFaultRule("afterCommit", "needs a status or drop: what replaces the answer after the write")
    if rule.status is None and not rule.drop and not rule.latency_ms and not rule.latency_spread_ms:
        raise InvalidFaultRule("status", "a rule needs a status, drop: true, or a latencyMs: give at least one")
    if "retryAfterSeconds" in present and rule.status not in RETRY_AFTER_STATUSES:
        raise InvalidFaultRule(
            "retryAfterSeconds", "only a 429 or 503 carries Retry-After: give status 429 or 503, or leave it out"
        )
    if rule.seed is not None:
        rule._random = random.Random(rule.seed)
    return rule


def parse_rule_text(text: str) -> dict[str, Any]:
    """The JSON form of a rule written ``key=value,...`` (``zen-nb sandbox --fault``), not yet validated.

    Values are read as JSON where they parse (``503``, ``0.3``, ``true``), else as text; a list
    of methods is written ``methods=POST|PUT``. Paths hold no comma, so a comma always separates.
    """
    import json

    spec: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise InvalidFaultRule(name or item, f"write each part as key=value, e.g. status=503, not {item!r}")
        if name == "methods":
            spec[name] = [m for m in value.replace("+", "|").split("|") if m]
            continue
        try:
            spec[name] = json.loads(value)
        except ValueError:
            spec[name] = value
        if name in ("path", "tenant"):
            spec[name] = value
    return spec


def never_faulted(path: str) -> bool:
    """The sandbox's own surface and the health check: the way out of a fault must never be faulted."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in NEVER_FAULTED)


class TooManyRules(Exception):
    """More than :data:`MAX_RULES` rules at once."""


class FaultEngine:
    """The rules in force, in the order they were added; the first one that fires decides."""

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self._rules: dict[str, FaultRule] = {}
        self.seed: int | None = None
        self._random = random.Random()
        for rule in rules:
            self.add(rule)

    def set_seed(self, seed: int | None) -> None:
        """Seed the sequence that rules without their own seed draw from (None: random again)."""
        self.seed = seed
        self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        """Put a rule in force (the rule itself is returned)."""
        if len(self._rules) >= MAX_RULES:
            raise TooManyRules
        self._rules[rule.id] = rule
        return rule

    def rules(self) -> list[FaultRule]:
        """The rules in force, oldest first."""
        return list(self._rules.values())

    def get(self, rule_id: str) -> FaultRule | None:
        """One rule, or None."""
        return self._rules.get(rule_id)

    def remove(self, rule_id: str) -> FaultRule | None:
        """Take one rule out of force; None when there is no such rule."""
        return self._rules.pop(rule_id, None)

    def clear(self) -> int:
        """Take every rule out of force; how many there were."""
        count = len(self._rules)
        self._rules.clear()
        return count

    def decide(self, method: str, path: str, tenant: str | None) -> Fault | None:
        """The fault for one request, or None: each matching rule (within its ``count``) draws in turn."""
        if not self._rules or never_faulted(path):
            return None
        for rule in list(self._rules.values()):
            if not rule.matches(method, path, tenant):
                continue
            if rule.count is not None and rule.matched >= rule.count:
                continue
            rule.matched += 1
            draw = rule._random or self._random
            if rule.probability < 1 and draw.random() >= rule.probability:
                continue
            delay = rule.latency_ms + (draw.uniform(0, rule.latency_spread_ms) if rule.latency_spread_ms else 0)
            rule.hits += 1
            return Fault(rule.id, delay / 1000, rule.status, rule.drop, rule.after_commit, rule.retry_after_seconds)
        return None
