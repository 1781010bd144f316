"""Schema version 5 upgrades a version 4 database file in place, and its rows read as before.

A user's ``--db`` file written by the previous zen_nb holds targets without ``config`` or
``status`` and flows without a retry policy. Opened by this one, it is migrated in the same file:
its targets are ``active`` with ``config: {}`` (they were usable), its flows show no
``retryPolicy``; new targets are ``provisioning`` first as everywhere. (That a migrated database
has exactly the schema of a new one is ``test_data_layer.py``'s test, for every old version.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.data.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION
from zen_nb.sandbox.ids import token_digest

TOKEN = "zen_test_v4_database_token"
STAMP = "2026-01-01T00:00:00.000Z"


def _version_4_database(path: Path) -> None:
    """A database as zen_nb wrote it at schema version 4: a tenant, a plane, an ingester, two targets, a flow."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA_V1)
    for step in (2, 3, 4):
        conn.executescript(MIGRATIONS[step])
    rows = [
        "INSERT INTO meta VALUES ('schema_version', '4')",
        f"INSERT INTO tenants VALUES ('tenant_old', 'old', 'team', '{token_digest(TOKEN)}', '{STAMP}')",
        f"INSERT INTO planes (tenant_id, id, name, region, created_at) VALUES ('tenant_old', 'plane_old', 'old',"
        f" 'us-east-1', '{STAMP}')",
        f"INSERT INTO adapters (tenant_id, plane_id, id, kind, created_at) VALUES ('tenant_old', 'plane_old',"
        f" 'adapter_stripe_ingester', 'stripe', '{STAMP}')",
        f"INSERT INTO ingesters (tenant_id, plane_id, id, name, adapter_id, type, created_at) VALUES ('tenant_old',"
        f" 'plane_old', 'ingester_stripe', 'stripe', 'adapter_stripe_ingester', 'stripe', '{STAMP}')",
        f"INSERT INTO targets (tenant_id, plane_id, id, name, type, url, description, created_at, updated_at)"
        f" VALUES ('tenant_old', 'plane_old', 'dest_old_stripe', 'old-stripe', 'stripe', NULL, 'kept', '{STAMP}',"
        f" '{STAMP}')",
        f"INSERT INTO targets (tenant_id, plane_id, id, name, type, url, description, created_at, updated_at)"
        f" VALUES ('tenant_old', 'plane_old', 'dest_old_hook', 'old-hook', 'http', 'http://127.0.0.1:9/h', NULL,"
        f" '{STAMP}', '{STAMP}')",
        f"INSERT INTO flows (tenant_id, plane_id, id, name, source, description, status, created_at, updated_at)"
        f" VALUES ('tenant_old', 'plane_old', 'flow_old', 'old-flow', 'ingester_stripe', NULL, 'active', '{STAMP}',"
        f" '{STAMP}')",
        "INSERT INTO flow_targets VALUES ('flow_old', 0, 'tenant_old', 'plane_old', 'dest_old_stripe')",
    ]
    for row in rows:
        conn.execute(row)
    conn.close()


def test_a_version_4_file_is_upgraded_in_place_and_its_targets_are_active_with_an_empty_config(tmp_path):
    path = tmp_path / "sandbox.sqlite3"
    _version_4_database(path)
    with sandbox_pkg.start(port=0, db=path) as box:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        plane = f"{box.base_url}/tenants/tenant_old/clusters/plane_old"
        listed = session.get(f"{plane}/destinations", timeout=30)
        assert listed.status_code == 200, listed.text
        targets = {target["id"]: target for target in listed.json()["destinations"]}
        assert targets["dest_old_stripe"] == {
            "id": "dest_old_stripe",
            "name": "old-stripe",
            "type": "stripe",
            "status": "active",
            "url": None,
            "config": {},
            "description": "kept",
            "createdAt": STAMP,
            "updatedAt": STAMP,
        }
        assert (targets["dest_old_hook"]["status"], targets["dest_old_hook"]["url"]) == (
            "active",
            "http://127.0.0.1:9/h",
        )
        flow = session.get(f"{plane}/delivery-flows/flow_old", timeout=30).json()
        assert flow["target"] == {"id": "dest_old_stripe", "type": "stripe"} and "retryPolicy" not in flow
        new = session.post(f"{plane}/destinations", json={"name": "after-upgrade", "type": "slack"}, timeout=30)
        assert new.status_code == 201 and new.json()["status"] == "provisioning"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        stored = conn.execute("SELECT id, status, config FROM targets ORDER BY seq").fetchall()
        assert stored[:2] == [("dest_old_stripe", "active", "{}"), ("dest_old_hook", "active", "{}")]
        assert conn.execute("SELECT retry_max_attempts, retry_backoff_seconds FROM flows").fetchall() == [(None, None)]
