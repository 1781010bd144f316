"""Tables for analysts and projectors: a pandas ``Styler`` with the defaults a report wants.

``styled(frame, percent=["success_rate"])`` shows rates as ``59.6 %``, every number with
thousands separators, text left-aligned and unwrapped, missing values as ``–``, and no
``0..n`` index where it means nothing. It is a plain ``Styler`` (analysts chain ``.format``,
``.hide``, ``.set_properties`` on it as usual) with two additions: its HTML is the same on every
run top to bottom (its id counts the tables a kernel showed, so nbval can compare saved notebooks
and two tables in one notebook never share CSS), and its text form is the formatted table, not ``<Styler at 0x…>``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd  # this module is imported only by code that shows a table
from pandas.io.formats.style import Styler

#: what a missing value shows as
MISSING = "–"


def styled(
    frame: pd.DataFrame | pd.Series,
    *,
    percent: Iterable[str] = (),
    decimals: int | Mapping[str, int] = 1,
    index: bool | None = None,
) -> Styler:
    """``frame`` as a table that reads well: see the module's docstring.

    ``percent``: the columns holding fractions (0.596) to show as percentages (``59.6 %``).
    ``decimals``: digits after the point, for percentages and other non-whole numbers; a dict
    gives some columns their own (``{"delivered": 2}``), the others keep 1.
    ``index``: show the index; ``None`` shows it only when it has a name (``flow``,
    ``target_type``), since an unnamed whole-number index is a row counter or a leftover of a
    filter, not data. A Series is shown as a one-column table.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    percent = list(percent)
    unknown = [name for name in percent if name not in frame.columns]
    if unknown:
        raise KeyError(f"percent names no column of the frame: {unknown}; its columns are {list(frame.columns)}")
    if index is None:
        index = any(name is not None for name in frame.index.names) or not pd.api.types.is_integer_dtype(frame.index)
    digits = dict(decimals) if isinstance(decimals, Mapping) else {}
    default = decimals if isinstance(decimals, int) else 1
    formats = {
        column: _formatter(frame[column], column in percent, digits.get(column, default)) for column in frame.columns
    }
    table = Table(frame, uuid=_uuid(), cell_ids=False, na_rep=MISSING)
    table.text = _as_text(frame, formats, index)
    table.format(formats, na_rep=MISSING)
    text_columns = [column for column in frame.columns if _is_text(frame[column])]
    styles: dict[Any, list[dict[str, str]]] = {
        column: [{"selector": "", "props": "text-align: left;"}] for column in text_columns
    }
    table.set_table_styles(styles, overwrite=False)
    table.set_table_styles(
        [
            {"selector": "td, th", "props": "white-space: nowrap; font-variant-numeric: tabular-nums;"},
            {"selector": "th.row_heading, th.index_name", "props": "text-align: left;"},
        ],
        overwrite=False,
    )
    if not index:
        table.hide(axis="index")
    return table


def _formatter(column: pd.Series, percent: bool, decimals: int) -> Callable[[Any], str]:
    """How one column's values read: a percentage, a whole number, a decimal, or the value as text."""
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if percent:
        return _missing_or(lambda value: f"{value * 100:,.{decimals}f} %")
    if numeric and pd.api.types.is_integer_dtype(column):
        return _missing_or(lambda value: f"{value:,}")
    if numeric:
        # A float column of whole numbers (a count with NaNs, a median of integers) keeps no ".0".
        whole = bool(((column.dropna() % 1) == 0).all())
        return _missing_or(lambda value: f"{value:,.0f}" if whole else f"{value:,.{decimals}f}")
    return _missing_or(str)


def _missing_or(show: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda value: MISSING if value is None or value is pd.NA or pd.isna(value) else show(value)


def _is_text(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _as_text(frame: pd.DataFrame, formats: dict[Any, Callable[[Any], str]], index: bool) -> str:
    """The table as plain text, formatted as in its HTML: what a console and nbval's comparison see."""
    shown = pd.DataFrame(index=frame.index)
    for column, show in formats.items():
        values = frame[column].astype(object).map(show)
        if _is_text(frame[column]):  # to_string right-aligns: pad text to one width, so it reads left-aligned
            width = max([len(str(column)), *map(len, values)])
            values = values.str.ljust(width)
        shown[column] = values
    return shown.to_string(index=index)


def _uuid() -> str:
    """The next table's id: ``zen1``, ``zen2``… in the order a kernel shows tables.

    A notebook run top to bottom (nbval, the lead's refresh) gets the same ids every time, and two
    tables of one notebook never share an id, so never each other's CSS. An id made from the
    content would change with every run's random flow ids and timestamps, which nbval's
    sanitizer folds in the text but not inside an id.
    """
    return f"zen{next(_COUNTER)}"


_COUNTER = itertools.count(1)


class Table(Styler):
    """A Styler whose plain-text form is the formatted table (a console's and nbval's view of it)."""

    text: str = ""

    def __repr__(self) -> str:
        return self.text
