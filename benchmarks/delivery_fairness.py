"""Benchmark: one tenant floods a slow receiver; the sandbox's memory, and how long another tenant waits.

The scenario of issue 13, finding 3: a sandbox as its own process on a file database; tenant A
(the demo tenant) has ``--flows`` flows to one ``http`` target on loopback whose receiver sleeps
``--delay`` seconds per request, and ingests ``--events`` events of ``--kib`` KiB each (so
flows × events deliveries queue at once); then tenant B (made with ``POST /_sandbox/tenants``)
ingests one event to a simulated Stripe target, which answers at once. Reported: the sandbox
process's resident set before the flood, its peak (``VmHWM``) and its last value during the
watch, and how many seconds B's event waited for its attempt to succeed (or that it had not
after ``--watch`` seconds).

This script imports nothing from ``zen_nb`` (it meets the sandbox only over HTTP), so
``--source`` can measure another checkout, e.g. a worktree of the code before a change:

    python benchmarks/delivery_fairness.py [--source DIR] [--flows 100] [--events 8] [--kib 256]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from sandbox_process import DEMO_TOKEN, SandboxProcess

PLANE = "plane_dev_us_east_1"


class Receiver:
    """A loopback HTTP server that reads each POST and answers 204 after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.count += 1
                time.sleep(delay)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tenant_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def post(session: requests.Session, url: str, body: Any, expect: int) -> dict[str, Any]:
    response = session.post(url, json=body, timeout=120)
    if response.status_code != expect:
        raise RuntimeError(f"POST {url}: {response.status_code} {response.text[:300]}")
    return response.json()


def make_payload(kib: int, shape: str) -> dict[str, Any]:
    """An event of about ``kib`` KiB of JSON: one long string, or many small objects (as a list export is)."""
    if shape == "string":
        return {"type": "invoice.paid", "blob": "x" * (kib * 1024)}
    line = {"id": "in_000000", "amount": 1000, "paid": True}  # about 45 bytes as JSON
    return {"type": "invoice.list", "data": [dict(line, id=f"in_{n:06d}") for n in range(kib * 1024 // 45)]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    receiver = Receiver(args.delay)
    with tempfile.TemporaryDirectory() as folder:
        box = SandboxProcess(Path(folder) / "fairness.sqlite3", args.source)
        try:
            base = box.base_url
            a = tenant_session(DEMO_TOKEN)
            plane_a = f"{base}/tenants/tenant_demo/clusters/{PLANE}"
            target = post(a, f"{plane_a}/targets", {"name": "slow-hook", "type": "http", "url": receiver.url}, 201)
            for number in range(args.flows):
                body = {
                    "name": f"flood-{number}",
                    "source": "ingester_stripe",
                    "target": {"id": target["id"], "type": "http"},
                }
                post(a, f"{plane_a}/delivery-flows", body, 201)
            admin = tenant_session(box.admin_token)
            tenant_b = post(admin, f"{base}/_sandbox/tenants", {"name": "tenant-b", "plan": "team", "seed": True}, 201)
            b = tenant_session(tenant_b["token"])
            plane_b = f"{base}/tenants/{tenant_b['id']}/clusters/{PLANE}"
            body = {
                "name": "b-flow",
                "source": "ingester_stripe",
                "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
            }
            post(b, f"{plane_b}/delivery-flows", body, 201)
            time.sleep(1.0)
            before = box.status("VmRSS")
            payload = make_payload(args.kib, args.shape)
            ingest_answers = []
            for _ in range(args.events):
                response = a.post(f"{plane_a}/ingesters/ingester_stripe/events", json=payload, timeout=120)
                ingest_answers.append(response.status_code)
            flooded = time.monotonic()
            event_b = post(b, f"{plane_b}/ingesters/ingester_stripe/events", {"type": "invoice.paid"}, 202)
            waited = None
            last = before
            while time.monotonic() - flooded < args.watch:
                last = box.status("VmRSS")
                if waited is None:
                    found = b.get(f"{plane_b}/delivery-attempts", params={"eventId": event_b["id"]}, timeout=60).json()
                    if any(attempt["status"] == "succeeded" for attempt in found["data"]):
                        waited = time.monotonic() - flooded
                time.sleep(0.25)
            return {
                "ingest statuses": sorted(set(ingest_answers)),
                "rss before (MiB)": round(before, 1),
                "peak VmHWM (MiB)": round(box.status("VmHWM"), 1),
                "rss at the end (MiB)": round(last, 1),
                "B's event succeeded after (s)": None if waited is None else round(waited, 2),
                "receiver requests": receiver.count,
            }
        finally:
            box.stop()
            receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="a checkout to run the sandbox from")
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--events", type=int, default=8)
    parser.add_argument("--kib", type=int, default=256)
    parser.add_argument("--shape", choices=("string", "objects"), default="string", help="what the payload holds")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the receiver sleeps per request")
    parser.add_argument("--watch", type=float, default=60.0, help="seconds to watch after the flood")
    for key, value in run(parser.parse_args()).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
