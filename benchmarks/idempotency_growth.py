"""Benchmark: how much 3,000 unique idempotency keys leave in the database, and a day later.

The scenario of issue 13, finding 3: a sandbox as its own process on a file database; the demo
tenant sends 3,000 POSTs, each with a new ``Idempotency-Key``: 1,000 to a plane that does not
exist (404), 1,000 creates of a flow whose name is taken (409), 1,000 pauses of one flow (200,
which run and add no row of their own). Then a day passes for the keys (every key's
``created_at`` is moved back 24 h and a minute, from outside, as the clock would) and 100 more
keyed pauses arrive, at most one sweep's period. Reported after each step: the keys' rows, the
bytes the database's pages hold (``page_count`` less ``freelist_count``, times ``page_size``),
and the sizes of the database file and of its WAL.

This script imports nothing from ``zen_nb`` (it meets the sandbox over HTTP and its file), so
``--source`` can measure another checkout, e.g. a worktree of the code before a change:

    python benchmarks/idempotency_growth.py [--source DIR] [--keys 3000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

import requests

from sandbox_process import DEMO_TOKEN, SandboxProcess

PLANE = "plane_dev_us_east_1"
FLOW = {"source": "ingester_stripe", "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}}


def measure(db: Path) -> dict[str, float]:
    """The keys' rows, the bytes the pages hold (MB), and the sizes of the database file and its WAL (MB)."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM idempotency_keys").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    wal = db.with_name(db.name + "-wal")
    return {
        "key rows": rows,
        "used MB": round((pages - free) * size / 1e6, 2),
        "file MB": round(db.stat().st_size / 1e6, 2),
        "WAL MB": round(wal.stat().st_size / 1e6 if wal.exists() else 0.0, 2),
    }


def a_day_passes(db: Path) -> None:
    """Every key was made a day and a minute ago: what the keys' clock would say tomorrow."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        conn.execute("UPDATE idempotency_keys SET created_at = created_at - ?", (24 * 3600 + 60,))
        conn.commit()


def run(args: argparse.Namespace) -> list[tuple[str, dict[str, float]]]:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "keys.sqlite3"
        box = SandboxProcess(db, args.source)
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {DEMO_TOKEN}"
            tenant = f"{box.base_url}/tenants/tenant_demo"
            flows = f"{tenant}/clusters/{PLANE}/delivery-flows"
            taken = session.post(flows, json={"name": "taken", **FLOW}, timeout=60)
            assert taken.status_code == 201, taken.text
            pause = f"{flows}/{taken.json()['id']}/pause"
            figures = [("seeded", measure(db))]
            third = args.keys // 3
            for url, body, expect in (
                (f"{tenant}/clusters/plane_nowhere/delivery-flows", {"name": "lost", **FLOW}, 404),
                (flows, {"name": "taken", **FLOW}, 409),
                (pause, None, 200),
            ):
                for _ in range(third):
                    answer = session.post(url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=60)
                    assert answer.status_code == expect, answer.text
            figures.append((f"after {3 * third} unique keys", measure(db)))
            a_day_passes(db)
            for _ in range(100):
                answer = session.post(pause, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=60)
                assert answer.status_code == 200, answer.text
            figures.append(("a day later, after 100 more keys", measure(db)))
            return figures
        finally:
            box.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="a checkout to run the sandbox from")
    parser.add_argument("--keys", type=int, default=3000)
    for step, figures in run(parser.parse_args()):
        print(f"{step}: " + ", ".join(f"{name} {value}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
