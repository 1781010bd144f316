"""The fault engine itself (``faults.py``, no HTTP): globs, the order of rules, and the seed."""

from __future__ import annotations

import pytest

from zen_nb.sandbox.faults import FaultEngine, InvalidFaultRule, never_faulted, parse_rule, path_pattern


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("/tenants/*", "/tenants/t1", True),
        ("/tenants/*", "/tenants/t1/clusters", False),
        ("/tenants/**", "/tenants/t1/clusters/p", True),
        ("/tenants/t?", "/tenants/t1", True),
        ("/tenants/t?", "/tenants/t12", False),
        ("/tenants/a.b", "/tenants/aXb", False),  # every other character is literal, '.' too
        ("/tenants/[x]", "/tenants/[x]", True),
    ],
)
def test_path_glob(glob: str, path: str, matches: bool) -> None:
    assert (path_pattern(glob).match(path) is not None) is matches


def test_the_way_out_is_never_faulted() -> None:
    assert never_faulted("/_sandbox/faults") and never_faulted("/health") and never_faulted("/v1/health")
    assert not never_faulted("/_sandboxes") and not never_faulted("/healthz")


def test_two_engines_with_one_seed_make_the_same_sequence() -> None:
    def run() -> list[bool]:
        engine = FaultEngine()
        engine.set_seed(11)
        engine.add(parse_rule({"status": 503, "probability": 0.3}))
        return [engine.decide("GET", "/tenants/t", "t") is not None for _ in range(200)]

    first = run()
    assert first == run()
    assert 30 < sum(first) < 90  # about 30 %


def test_an_invalid_rule_names_its_field() -> None:
    with pytest.raises(InvalidFaultRule) as caught:
        parse_rule({"status": 503, "probability": "high"})
    assert caught.value.field == "probability" and "from 0 to 1" in caught.value.message
