"""zen_nb.tables.styled: percentages, thousands, text left, no noise index, deterministic HTML and text."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from zen_nb.tables import MISSING, styled


def _per_flow() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "events": [810, 80200],
            "first_attempt_ok": [0.59634, 0.63],
            "p95_ms": [1807.6, None],
            "target": pd.array(["dest_stripe_prod_us_east_1", None], dtype="string[python]"),
        },
        index=pd.Index(["traffic-stripe-invoices", "traffic-ops-alerts"], name="flow"),
    )
    return frame


def _cells(html: str) -> list[str]:
    return re.findall(r"<td [^>]*>([^<]*)</td>", html)


def test_rates_read_as_percentages_and_numbers_with_thousands_separated() -> None:
    html = styled(_per_flow(), percent=["first_attempt_ok"]).to_html()
    assert _cells(html) == [
        "810",
        "59.6 %",
        "1,807.6",
        "dest_stripe_prod_us_east_1",
        "80,200",
        "63.0 %",
        MISSING,
        MISSING,
    ]


def test_decimals_per_column_and_whole_floats_without_a_point() -> None:
    frame = pd.DataFrame({"delivered": [0.99943, 1.0], "median_ms": [87.0, 466.0], "ratio": [1.2345, 2.0]})
    html = styled(frame, percent=["delivered"], decimals={"delivered": 2, "ratio": 2}).to_html()
    assert _cells(html) == ["99.94 %", "87", "1.23", "100.00 %", "466", "2.00"]


def test_text_columns_and_the_index_are_left_aligned_and_do_not_wrap() -> None:
    html = styled(_per_flow()).to_html()
    style = html.split("</style>")[0]
    target_column = list(_per_flow().columns).index("target")
    assert re.search(rf"\.col{target_column} \{{\s*text-align: left;", style)
    assert not re.search(r"\.col[012] \{\s*text-align: left", style)  # numbers stay right-aligned
    assert re.search(r"th\.row_heading \{\s*text-align: left;", style)
    assert "white-space: nowrap" in style


def test_a_counter_index_is_hidden_and_a_named_one_kept() -> None:
    counted = _per_flow().reset_index()  # 0, 1: row numbers, not data
    assert '<th class="row_heading' not in styled(counted).to_html()
    assert '<th class="row_heading level0 row0" >traffic-stripe-invoices</th>' in styled(_per_flow()).to_html()
    filtered = counted[counted["events"] > 1000]  # an index of 1 left by a filter means nothing either
    assert '<th class="row_heading' not in styled(filtered).to_html()
    assert '<th class="row_heading' in styled(counted, index=True).to_html()


def test_its_text_form_is_the_formatted_table_not_a_styler_repr() -> None:
    text = repr(styled(_per_flow(), percent=["first_attempt_ok"]))
    assert "Styler" not in text and "0x" not in text
    assert text.splitlines()[2].split() == [
        "traffic-stripe-invoices",
        "810",
        "59.6",
        "%",
        "1,807.6",
        "dest_stripe_prod_us_east_1",
    ]
    lines = text.splitlines()
    assert lines[3].split()[-1] == MISSING
    assert lines[3].rindex(MISSING) == lines[2].index("dest_stripe")  # text reads left-aligned


def test_each_table_gets_its_own_id_and_the_html_is_otherwise_the_same_each_time() -> None:
    first, second = styled(_per_flow()).to_html(), styled(_per_flow()).to_html()
    ids = [re.search(r'<table id="T_(\w+)"', html).group(1) for html in (first, second)]
    assert ids[0] != ids[1] and all(re.fullmatch(r"zen\d+", value) for value in ids)
    assert first.replace(ids[0], "ID") == second.replace(ids[1], "ID")


def test_the_ids_count_from_one_in_a_new_kernel() -> None:
    code = (
        "import pandas as pd\nfrom zen_nb.tables import styled\n"
        "print(*(styled(pd.DataFrame({'a': [1]})).uuid for _ in range(3)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["zen1", "zen2", "zen3"]  # a notebook run top to bottom: the same every time


def test_it_is_a_styler_that_chains_as_usual_and_takes_a_series() -> None:
    chained = styled(_per_flow()).set_caption("per flow").format({"events": "{:d} events"})
    html = chained.to_html()
    assert "<caption>per flow</caption>" in html and "810 events" in html
    assert _cells(styled(_per_flow()["events"]).to_html()) == ["810", "80,200"]


def test_a_percent_column_that_is_not_there_is_named() -> None:
    with pytest.raises(KeyError, match=r"first_attempt.*its columns are \['events'"):
        styled(_per_flow(), percent=["first_attempt"])


def test_no_colour_is_written_into_a_table() -> None:
    style = styled(_per_flow(), percent=["first_attempt_ok"]).to_html().split("</style>")[0].replace("#T_", "")
    assert "color" not in style and "background" not in style and not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb", style)
