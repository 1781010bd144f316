"""Benchmark: what gets past the rate limit by respelling ``Bearer``, and what a flood of wrong tokens meets.

The scenario of issue 13, finding 4: a sandbox as its own process at ``--limit`` requests per
hour; the demo tenant's token sent 300 times, each with ``Bearer`` written another way (case,
spaces); then 2,000 different wrong tokens. Reported: how many of the 300 got a 200, and how
many of the 2,000 got a 429 (the rest a 401), with the time the flood took.

This script imports nothing from ``zen_nb`` (it meets the sandbox only over HTTP), so
``--source`` can measure another checkout, e.g. a worktree of the code before a change:

    python benchmarks/rate_limit_identity.py [--source DIR] [--limit 10]
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections import Counter
from pathlib import Path

import requests

from sandbox_process import DEMO_TOKEN, SandboxProcess


def spellings(token: str, count: int) -> list[str]:
    """``count`` different ``Authorization`` headers carrying ``token``."""
    found = []
    for spaces in range(1, 10):
        for mask in range(64):
            found.append("".join(c.upper() if mask >> i & 1 else c for i, c in enumerate("bearer")) + " " * spaces)
    return [scheme + token for scheme in found[:count]]


def statuses(url: str, authorizations: list[str]) -> Counter[int]:
    session = requests.Session()
    return Counter(session.get(url, headers={"Authorization": a}, timeout=30).status_code for a in authorizations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="a checkout to run the sandbox from")
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()
    for name, authorizations in (
        ("300 spellings of the demo token", spellings(DEMO_TOKEN, 300)),
        ("2,000 wrong tokens", [f"Bearer zen_test_{secrets.token_urlsafe(24)}" for _ in range(2000)]),
    ):
        # A sandbox each, in memory, at the limit per hour: one's count does not touch the other.
        box = SandboxProcess(":memory:", args.source, rate_limit=f"{args.limit}/3600")
        base = box.base_url
        try:
            started = time.perf_counter()
            counted = statuses(f"{base}/tenants/tenant_demo", authorizations)
            took = time.perf_counter() - started
        finally:
            box.stop()
        print(f"{name} at a limit of {args.limit}/h: {dict(sorted(counted.items()))} in {took:.1f} s")


if __name__ == "__main__":
    main()
