"""The seed data of a new sandbox database, and the demo tenant's published credentials.

The recipe's own values (plane ``plane_dev_us_east_1``, adapter ``adapter_stripe_ingester``,
ingester ``ingester_stripe``, target ``dest_stripe_prod_us_east_1``) work unchanged. Like the
test credentials that local emulators publish, the demo tenant's id and token are fixed and
documented: they open nothing but a sandbox on the user's own machine.
"""

from __future__ import annotations

import sqlite3

from .data.catalog import insert_adapter, insert_ingester, insert_plane
from .data.targets import ACTIVE, insert_target
from .data.tenants import insert_tenant as insert_tenant_row
from .ids import new_token, token_digest

DEMO_TENANT_ID = "tenant_demo"
DEMO_TENANT_NAME = "Zen Mesh sandbox demo"
DEMO_TENANT_PLAN = "team"
DEMO_TOKEN = "zen_test_sandbox_demo_token"
DEMO_PLANE_ID = "plane_dev_us_east_1"
DEMO_ADAPTER_ID = "adapter_stripe_ingester"
# A second tenant whose token nobody has: it exists so that the demo token meets a real 403
# (another tenant's path) and not a 404, as in the recipes' authentication lesson.
NEIGHBOUR_TENANT_ID = "tenant_neighbour"
NEIGHBOUR_TENANT_NAME = "Another tenant (no published token)"

# plane id -> (name, region)
PLANES = {
    "plane_dev_us_east_1": ("dev-us-east-1", "us-east-1"),
    "plane_prod_eu_west_1": ("prod-eu-west-1", "eu-west-1"),
}

# Every plane has one adapter per kind, each deploying the ingesters of its kind.
# ingester id -> (name, kind); the adapter is ``adapter_<kind>_ingester``.
INGESTERS = {
    "ingester_stripe": ("stripe", "stripe"),
    "ingester_stripe_connect": ("stripe-connect", "stripe"),
    "ingester_github": ("github", "github"),
    "ingester_shopify": ("shopify", "shopify"),
    "ingester_twilio": ("twilio", "twilio"),
}

# plane id -> [(target id, name, type, url)]. Loopback URLs deliver nowhere until a test
# serves them; port 9 is the discard port.
TARGETS = {
    "plane_dev_us_east_1": [
        ("dest_stripe_prod_us_east_1", "stripe-prod-us-east-1", "stripe", None),
        ("dest_stripe_staging_us_east_1", "stripe-staging-us-east-1", "stripe", None),
        ("dest_http_orders_webhook", "orders-webhook", "http", "http://127.0.0.1:9/hooks/orders"),
        ("dest_http_billing_webhook", "billing-webhook", "http", "http://127.0.0.1:9/hooks/billing"),
        ("dest_slack_payments_alerts", "payments-alerts", "slack", None),
        ("dest_slack_ops_alerts", "ops-alerts", "slack", None),
        ("dest_s3_events_archive", "events-archive", "s3", None),
        ("dest_s3_audit_log", "audit-log", "s3", None),
    ],
    "plane_prod_eu_west_1": [
        ("dest_stripe_prod_eu_west_1", "stripe-prod-eu-west-1", "stripe", None),
        ("dest_http_eu_orders_webhook", "eu-orders-webhook", "http", "http://127.0.0.1:9/hooks/eu-orders"),
        ("dest_slack_eu_alerts", "eu-alerts", "slack", None),
        ("dest_s3_eu_archive", "eu-archive", "s3", None),
    ],
}


def seed_tenant_objects(db: sqlite3.Connection, tenant_id: str) -> None:
    """Give a tenant the standard planes, adapters, ingesters and targets."""
    kinds = dict.fromkeys(kind for _, kind in INGESTERS.values())
    for plane_id, (plane_name, region) in PLANES.items():
        insert_plane(db, tenant_id, plane_id, plane_name, region)
        for kind in kinds:
            insert_adapter(db, tenant_id, plane_id, f"adapter_{kind}_ingester", kind)
        for ingester_id, (name, kind) in INGESTERS.items():
            insert_ingester(db, tenant_id, plane_id, ingester_id, name, f"adapter_{kind}_ingester", kind)
        for target_id, name, target_type, url in TARGETS[plane_id]:
            # Usable at once: the seed's targets have no provisioning window (data.targets.target_status).
            insert_target(
                db,
                tenant_id,
                plane_id,
                target_id,
                name=name,
                type=target_type,
                url=url,
                description=None,
                status=ACTIVE,
            )


def insert_tenant(db: sqlite3.Connection, tenant_id: str, name: str, plan: str, token: str, *, seed: bool) -> str:
    """Create a tenant whose API token is ``token`` (only its digest is kept); with ``seed``, give it
    the standard objects. Returns its creation time."""
    created_at = insert_tenant_row(db, tenant_id, name, plan, token_digest(token))
    if seed:
        seed_tenant_objects(db, tenant_id)
    return created_at


def seed_database(db: sqlite3.Connection) -> None:
    """Fill a new (or just reset) database: the demo tenant and its objects."""
    insert_tenant(db, DEMO_TENANT_ID, DEMO_TENANT_NAME, DEMO_TENANT_PLAN, DEMO_TOKEN, seed=True)
    insert_tenant(db, NEIGHBOUR_TENANT_ID, NEIGHBOUR_TENANT_NAME, "business_plus", new_token(), seed=True)
