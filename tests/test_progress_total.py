"""A list's ``total`` on its first page, and the loaders' progress bar with an end and a closing line.

Over HTTP against the real sandbox (its recipe-form lists answer ``total`` on the first page
only, counting what the filters match), and against a foreign service that gives no total.
"""

from __future__ import annotations

import io
import json
import re
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest

import zen_nb
from zen_nb.progress import PAGES_BEFORE_BAR, PageProgress, closing_line
from zen_nb.wire import list_items, list_total

from helpers import Api, client_for, serving, url_of

ATTEMPTS = "{plane}/delivery-attempts"
FLOWS = "{plane}/delivery-flows"


def simulated(client: zen_nb.ZenClient, plane: str, events: int, seed: int) -> dict:
    """A simulated history of ``events`` events on ``plane``, delivered by two new active flows there."""
    flows = [
        client.create_flow(f"counted-{seed}-{kind}", "ingester_stripe", target, plane=plane)
        for kind, target in (("slack", f"dest_slack_{'payments' if 'dev' in plane else 'eu'}_alerts"),)
    ]
    return client.simulate_traffic(events=events, days=2, seed=seed, plane=plane, flows=flows)


@pytest.fixture
def history(client: zen_nb.ZenClient) -> dict:
    """A simulated history on the demo plane: a few thousand attempts, some failed."""
    return simulated(client, client.config.plane_id, 1200, 3)


def test_the_first_page_of_attempts_says_how_many_match_and_the_others_do_not(api: Api, history: dict) -> None:
    first = api.get(ATTEMPTS, params={"limit": 50}).json()
    everything = api.all_pages(ATTEMPTS, limit=250)
    assert first["hasMore"] and first["total"] == len(everything) >= history["attempts"]
    second = api.get(ATTEMPTS, params={"limit": 50, "cursor": first["nextCursor"]}).json()
    assert "total" not in second and second["deliveryAttempts"]
    failed = api.get(ATTEMPTS, params={"limit": 50, "status": "failed"}).json()
    assert failed["total"] == len(api.all_pages(ATTEMPTS, limit=250, status="failed"))
    assert 0 < failed["total"] < first["total"]
    window = {"since": history["start"], "until": history["end"], "status": "succeeded"}
    counted = api.get(ATTEMPTS, params={"limit": 50, **window}).json()["total"]
    assert counted == len(api.all_pages(ATTEMPTS, limit=250, **window))


def test_the_first_page_of_flows_and_targets_counts_what_the_filters_match(api: Api) -> None:
    for number in range(5):  # three paused, two active: a count that ignores the filter is off
        status = "paused" if number < 3 else "active"
        assert api.create_flow(f"counted-{number}", status=status).status_code == 201
    whole = api.get(FLOWS, params={"limit": 2}).json()
    assert whole["total"] == len(api.all_pages(FLOWS)) >= 5 and whole["hasMore"]
    paused = api.get(FLOWS, params={"limit": 2, "status": "paused"}).json()
    assert paused["total"] == len(api.all_pages(FLOWS, status="paused")) < whole["total"]
    one_page = api.get(FLOWS, params={"status": "paused"}).json()
    assert one_page["total"] == len(one_page["deliveryFlows"]) and not one_page["hasMore"]
    slack = api.get("{plane}/destinations", params={"limit": 1, "type": "slack"}).json()
    assert slack["total"] == len(api.all_pages("{plane}/destinations", type="slack")) > 1
    assert slack["total"] < api.get("{plane}/destinations", params={"limit": 1}).json()["total"]


def test_the_openapi_document_describes_total_as_a_first_page_field(api: Api) -> None:
    schemas = api.session.get(f"{api.base_url}/openapi.json", timeout=30).json()["components"]["schemas"]
    for name in ("FlowList", "AttemptList", "TargetList"):
        total = schemas[name]["properties"]["total"]
        assert total["type"] == "integer" and "first page" in total["description"], name
        assert "total" not in schemas[name].get("required", []), name
    assert "total" not in schemas["PlaneList"]["properties"]


def test_a_long_load_shows_its_total_and_says_what_it_loaded(client: zen_nb.ZenClient, history: dict, capfd) -> None:
    frame = zen_nb.load_attempts(client, progress=True)
    captured = capfd.readouterr()
    rows = f"{len(frame):,}"
    assert len(frame) > 250 * PAGES_BEFORE_BAR and "," in rows
    assert f"/{rows} rows" in captured.err  # the bar knew its end
    lines = [line for line in captured.out.splitlines() if line.startswith("Loaded")]
    assert len(lines) == 1 and re.fullmatch(rf"Loaded {rows} attempts in \d+\.\d s", lines[0]), captured.out
    zen_nb.load_attempts(client, progress=False)
    quiet = capfd.readouterr()
    assert "Loaded" not in quiet.out and "rows" not in quiet.err


def test_a_short_load_shows_no_bar_and_no_closing_line(client: zen_nb.ZenClient, capfd) -> None:
    zen_nb.load_flows(client, progress=True)
    captured = capfd.readouterr()
    assert captured.out == "" and "Loading" not in captured.err


def test_filtered_loads_across_planes_add_their_totals(client: zen_nb.ZenClient, history: dict, capfd) -> None:
    simulated(client, "plane_prod_eu_west_1", 400, 4)
    frame = zen_nb.load_attempts(client, planes="all", status="succeeded", progress=True)
    captured = capfd.readouterr()
    assert f"/{len(frame):,} rows" in captured.err  # both planes' totals, once the second began
    assert f"Loaded {len(frame):,} attempts in " in captured.out


class _NoTotal(BaseHTTPRequestHandler):
    """A foreign service: five pages of 250 flows under ``items``, a cursor, and no total at all."""

    def do_GET(self) -> None:  # noqa: N802
        page = int(parse_qs(urlparse(self.path).query).get("cursor", ["0"])[0])
        items = [
            {"id": f"flow_{page}_{n}", "name": f"f-{page}-{n}", "status": "active", "target": {"id": "t", "type": "s3"}}
            for n in range(250)
        ]
        body = {"items": items, "nextCursor": str(page + 1) if page < 4 else None}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_a_service_that_gives_no_total_gets_rows_time_and_rate(api: Api, capfd) -> None:
    with serving(_NoTotal) as server, client_for(api, ZEN_API_BASE=url_of(server)) as foreign:
        frame = zen_nb.load_flows(foreign, progress=True)
    captured = capfd.readouterr()
    assert len(frame) == 1250
    assert re.search(r"Loading flows: [\d,]+ rows \[00:\d\d, .* rows/s\]", captured.err), captured.err
    assert "/" not in captured.err.replace("rows/s", "")  # no end shown: none was given
    assert re.search(r"^Loaded 1,250 flows in \d+\.\d s$", captured.out, re.M), captured.out


def test_the_bar_reads_rows_of_a_total_with_thousands_separated() -> None:
    bar_text, out = io.StringIO(), io.StringIO()
    with PageProgress("attempts", enabled=True, bar_file=bar_text, out=out) as progress:
        progress.begin_list(7875)
        for _ in range(PAGES_BEFORE_BAR + 1):
            progress.update(1125)
        assert progress.bar.total == 7875
        assert "4,500/7,875 rows" in bar_text.getvalue()
        for _ in range(3):
            progress.update(1125)
    assert re.fullmatch(r"Loaded 7,875 attempts in \d+\.\d s\n", out.getvalue())


def test_a_bar_without_a_total_counts_rows_and_a_later_list_with_one_gives_none() -> None:
    bar_text, out = io.StringIO(), io.StringIO()
    with PageProgress("flows", enabled=True, bar_file=bar_text, out=out) as progress:
        progress.begin_list(None)
        for _ in range(PAGES_BEFORE_BAR + 1):
            progress.update(1000)
        progress.begin_list(500)  # one list without a total: the load has no known end
        progress.update(500)
        assert progress.bar.total is None
    assert "4,000 rows [" in bar_text.getvalue() and "/" not in bar_text.getvalue().split("rows")[0]
    assert out.getvalue().startswith("Loaded 4,500 flows in ")


def test_fewer_rows_than_counted_close_the_bar_at_what_came() -> None:
    out = io.StringIO()
    with PageProgress("flows", enabled=True, bar_file=io.StringIO(), out=out) as progress:
        progress.begin_list(2000)
        for _ in range(PAGES_BEFORE_BAR + 1):
            progress.update(250)
        bar = progress.bar
    assert bar.total == bar.n == 1000
    assert out.getvalue().startswith("Loaded 1,000 flows in ")


def test_no_closing_line_without_a_bar_or_after_a_failed_load() -> None:
    out = io.StringIO()
    with PageProgress("flows", enabled=True, bar_file=io.StringIO(), out=out) as progress:
        progress.update(250)
    with PageProgress("flows", enabled=False, out=out) as progress:
        for _ in range(10):
            progress.update(250)
    with pytest.raises(RuntimeError), PageProgress("flows", enabled=True, bar_file=io.StringIO(), out=out) as progress:
        for _ in range(PAGES_BEFORE_BAR + 1):
            progress.update(250)
        raise RuntimeError("the network went")
    assert out.getvalue() == ""


def test_closing_line_separates_thousands_and_rounds_to_a_tenth() -> None:
    assert closing_line(7875, "attempts", 0.31) == "Loaded 7,875 attempts in 0.3 s"
    assert closing_line(1234567, "flows", 61.26) == "Loaded 1,234,567 flows in 61.3 s"


@pytest.mark.parametrize(
    ("body", "total"),
    [
        ({"data": [1], "total": 7875}, 7875),
        ({"items": [1], "count": 3}, 3),
        ({"deliveryFlows": [1], "totalCount": 0}, 0),
        ({"data": [1]}, None),
        ({"data": [1], "total": "7875"}, None),
        ({"data": [1], "total": True}, None),
        ({"data": [1], "total": -1}, None),
        ([1, 2], None),
        ("not a page", None),
    ],
)
def test_a_total_is_read_from_any_shape_that_gives_a_whole_number(body: object, total: int | None) -> None:
    assert list_total(body) == total
    page = list_items(body)
    assert page.total == total and isinstance(page, list)


def test_a_total_key_is_never_taken_for_the_items() -> None:
    assert list_items({"total": 2, "flows": [{"id": "a"}, {"id": "b"}]}) == [{"id": "a"}, {"id": "b"}]


def test_in_a_notebook_the_widget_bar_gets_the_total_and_never_ends_red(monkeypatch: pytest.MonkeyPatch) -> None:
    """tqdm.auto's notebook bar (ipywidgets, no front end needed): its IntProgress follows the total."""
    notebook = pytest.importorskip("tqdm.notebook")
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", notebook.tqdm)
    out = io.StringIO()
    with PageProgress("attempts", enabled=True, out=out) as progress:
        progress.begin_list(7875)
        for _ in range(PAGES_BEFORE_BAR + 1):
            progress.update(1000)
        widget = progress.bar.container.children[1]
        assert (widget.max, widget.value) == (7875, 4000)
        progress.begin_list(1000)  # the next plane's list
        assert widget.max == 8875
        progress.update(500)  # and then it ends short of its count
    assert (widget.max, widget.value) == (4500, 4500) and widget.bar_style != "danger"
    assert out.getvalue().startswith("Loaded 4,500 attempts in ")
