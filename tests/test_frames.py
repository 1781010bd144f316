"""load_flows(): one row per flow, typed columns, the same shape when empty, filters and progress."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import zen_nb
from zen_nb.frames import FLOW_COLUMNS
from zen_nb.progress import PAGES_BEFORE_BAR, PageProgress

from forms import FORMS, client_in
from helpers import Api, dtypes_as_printed

# The same on pandas 2.2 and 3.x: text is pandas' nullable string dtype with Python storage
# ("string", <NA> when missing), never object (pandas 2's "str") nor pandas 3's NaN-valued "str".
EXPECTED_DTYPES = {
    "id": "string",
    "name": "string",
    "plane_id": "string",
    "source": "string",
    "target_id": "string",
    "target_type": "category",
    "status": "category",
    "description": "string",
    "created_at": "datetime64[ns, UTC]",
    "updated_at": "datetime64[ns, UTC]",
}


@pytest.fixture(params=FORMS)
def client(api: Api, request: pytest.FixtureRequest) -> Iterator[zen_nb.ZenClient]:
    """The demo tenant's client in each form of the API: the frames are the same either way."""
    with client_in(api, request.param) as made:
        yield made


def test_an_empty_plane_gives_the_same_columns_anddtypes_as_printed(client):
    frame = zen_nb.load_flows(client)
    assert frame.empty and list(frame.columns) == list(FLOW_COLUMNS)
    assert dtypes_as_printed(frame) == EXPECTED_DTYPES
    assert list(frame["status"].cat.categories) == ["active", "paused"]
    assert list(frame["target_type"].cat.categories) == ["http", "s3", "slack", "stripe"]


def test_rows_match_the_api(client):
    recipe = client.create_flow("recipe", "ingester_stripe", {"id": "dest_stripe_prod_us_east_1", "type": "stripe"})
    described = client.create_flow("described", "ingester_github", "dest_http_orders_webhook", description="orders")
    client.pause_flow(described)
    frame = zen_nb.load_flows(client)
    assert dtypes_as_printed(frame) == EXPECTED_DTYPES
    assert frame["id"].tolist() == [recipe.id, described.id]
    first = frame.iloc[0]
    assert (first["name"], first["plane_id"], first["source"]) == ("recipe", "plane_dev_us_east_1", "ingester_stripe")
    assert (first["target_id"], first["target_type"], first["status"]) == (
        "dest_stripe_prod_us_east_1",
        "stripe",
        "active",
    )
    assert first["description"] is pd.NA
    assert first["created_at"] == pd.Timestamp(recipe.created_at)
    second = frame.iloc[1]
    assert (second["target_type"], second["status"], second["description"]) == ("http", "paused", "orders")
    assert second["updated_at"] > second["created_at"]


def test_text_columns_behave_alike_on_pandas_2_and_3():
    """What a user does with the text columns: no object or NaN surprises on either major version."""
    from zen_nb.frames import _append_flows, _flow_frame

    stamp = "2024-01-15T10:30:00Z"
    page = [
        {"id": "flow_1", "name": "recipe", "source": "ingester_stripe", "target": {"id": "dest_a", "type": "s3"}},
        {"id": "flow_2", "name": "described", "source": "ingester_github", "description": "orders"},
    ]
    for flow in page:
        flow.update(status="active", createdAt=stamp, updatedAt=stamp)
    columns: dict[str, list[Any]] = {name: [] for name in FLOW_COLUMNS}
    _append_flows(columns, page, "plane_dev_us_east_1")
    frame = _flow_frame(columns)
    assert dtypes_as_printed(frame) == EXPECTED_DTYPES
    for name in ("id", "name", "plane_id", "source", "target_id", "description"):
        assert frame[name].dtype == pd.StringDtype("python") and frame[name].dtype.na_value is pd.NA, name
    description = frame["description"]
    assert description.iloc[0] is pd.NA and description.isna().tolist() == [True, False]
    assert frame["target_id"].iloc[1] is pd.NA  # a flow without a target
    # == gives a nullable boolean: <NA> where the value is missing, and a mask takes <NA> as False.
    equal = description == "orders"
    assert str(equal.dtype) == "boolean" and equal.tolist() == [pd.NA, True]
    assert frame.loc[equal, "name"].tolist() == ["described"]
    assert frame.loc[frame["name"] != "recipe", "id"].tolist() == ["flow_2"]
    assert frame["name"].str.startswith("rec").tolist() == [True, False]
    assert frame.loc[frame["source"].str.endswith("_github"), "name"].tolist() == ["described"]
    assert description.str.upper().tolist() == [pd.NA, "ORDERS"]
    assert str(description.str.upper().dtype) == "string"
    assert str(description.str.len().dtype) == "Int64" and description.str.len().tolist() == [pd.NA, 6]
    assert description.fillna("").tolist() == ["", "orders"]
    assert frame.query("source == 'ingester_stripe'")["name"].tolist() == ["recipe"]
    assert frame[["name", "description"]].to_string().splitlines()[1].split() == ["0", "recipe", "<NA>"]


def test_planes_and_filters(client):
    client.create_flow("dev-a", "ingester_stripe", "dest_stripe_prod_us_east_1")
    paused = client.create_flow("dev-b", "ingester_github", "dest_slack_ops_alerts")
    client.pause_flow(paused)
    client.create_flow("eu-a", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane="plane_prod_eu_west_1")

    assert zen_nb.load_flows(client)["name"].tolist() == ["dev-a", "dev-b"]
    everything = zen_nb.load_flows(client, planes="all")
    assert everything[["plane_id", "name"]].values.tolist() == [
        ["plane_dev_us_east_1", "dev-a"],
        ["plane_dev_us_east_1", "dev-b"],
        ["plane_prod_eu_west_1", "eu-a"],
    ]
    assert zen_nb.load_flows(client, planes=["plane_prod_eu_west_1"])["name"].tolist() == ["eu-a"]
    assert zen_nb.load_flows(client, planes="plane_prod_eu_west_1")["name"].tolist() == ["eu-a"]
    assert zen_nb.load_flows(client, planes="all", status="paused")["name"].tolist() == ["dev-b"]
    assert zen_nb.load_flows(client, planes="all", source="ingester_stripe")["name"].tolist() == ["dev-a", "eu-a"]
    assert zen_nb.load_flows(client, planes="all", target_type="slack")["name"].tolist() == ["dev-b"]
    counts = everything.groupby("target_type", observed=False).size()
    assert counts.to_dict() == {"http": 0, "s3": 0, "slack": 1, "stripe": 2}


def test_planes_may_be_plane_objects_and_each_plane_is_read_once(client):
    client.create_flow("eu-a", "ingester_stripe", "dest_stripe_prod_eu_west_1", plane="plane_prod_eu_west_1")
    eu = client.get_plane("plane_prod_eu_west_1")
    assert zen_nb.load_flows(client, planes=eu)["name"].tolist() == ["eu-a"]
    assert zen_nb.load_flows(client, planes=[eu, "plane_prod_eu_west_1", eu])["name"].tolist() == ["eu-a"]


def test_load_flows_reads_the_environment_when_given_no_client(api, monkeypatch):
    for name, value in api.box.env().items():
        monkeypatch.setenv(name, value)
    api.create_flow("from-env")
    assert zen_nb.load_flows()["name"].tolist() == ["from-env"]


def test_a_fan_out_flow_is_one_row_with_its_first_target(new_tenant):
    tenant = new_tenant(plan="business_plus")
    env = {**tenant.box.env(), "ZEN_API_TOKEN": tenant.session.headers["Authorization"].split()[1]}
    env["ZEN_TENANT_ID"] = tenant.tenant_id
    with zen_nb.ZenClient(zen_nb.ZenConfig(environ=env)) as client:
        client.create_flow("fan", "ingester_stripe", ["dest_s3_audit_log", "dest_slack_ops_alerts"])
        frame = zen_nb.load_flows(client)
    assert frame[["target_id", "target_type"]].values.tolist() == [["dest_s3_audit_log", "s3"]]


def test_a_load_of_many_pages_shows_a_bar_only_when_asked(client, api, capfd):
    count = 250 * (PAGES_BEFORE_BAR + 1) + 1  # one page more than the bar waits for
    for number in range(count):
        assert api.create_flow(f"many-{number:04d}").status_code == 201
    frame = zen_nb.load_flows(client, progress=False)
    assert frame["name"].tolist() == [f"many-{n:04d}" for n in range(count)] and frame["id"].is_unique
    assert "Loading flows" not in capfd.readouterr().err
    assert len(zen_nb.load_flows(client, progress=True)) == count
    assert "Loading flows" in capfd.readouterr().err


def test_the_progress_bar_shows_only_past_a_few_pages(capfd):
    with PageProgress("flows", enabled=True) as progress:
        for _ in range(PAGES_BEFORE_BAR):
            progress.update(250)
        assert progress.bar is None
        progress.update(250)
        assert progress.bar is not None and progress.bar.n == 250 * (PAGES_BEFORE_BAR + 1)
    assert "Loading flows" in capfd.readouterr().err
    with PageProgress("flows", enabled=False) as progress:
        for _ in range(10):
            progress.update(250)
        assert progress.bar is None


def test_progress_is_off_by_default_outside_an_interactive_session():
    code = "from zen_nb.progress import is_interactive; print(is_interactive())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_using_the_client_does_not_import_pandas_until_a_frame_is_made():
    code = (
        "import sys, zen_nb\n"
        "zen_nb.ZenClient, zen_nb.load_flows\n"
        "print('pandas' in sys.modules, 'ipywidgets' in sys.modules, 'IPython' in sys.modules,"
        " 'fastapi' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False False False False"
