"""A frame of attempts as the numpy arrays the metrics compute on, read once: :class:`AttemptArrays`.

What :mod:`zen_nb.metrics` needs of a :func:`zen_nb.load_attempts` frame: the flow and target
ids as codes, ``created_at`` as nanoseconds, the attempt numbers, the statuses as masks, and the
reason of each failure; with the columns joined from a :func:`zen_nb.load_flows` frame. The checks
of the input are here too, so that a wrong frame is refused before any work, naming the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import grouped

#: the columns the metrics read
NEEDED = ("flow_id", "event_id", "target_id", "attempt_number", "status", "response_status", "error_code")
#: a column joined from the flows, and its column in the flows
FROM_FLOWS = {"flow": "name", "target_type": "target_type"}
#: "never" for the int64 reductions (no success: no attempt number, no moment)
NEVER = np.iinfo(np.int64).max


@dataclass
class AttemptArrays:
    """The attempts as numpy arrays: the codes of flow and target, the moments, the attempt numbers."""

    frame: pd.DataFrame
    joined: dict[str, pd.Series]  # a column from the flows, one value per flow code
    flow_code: np.ndarray
    flow_ids: pd.Index
    target_code: np.ndarray
    target_ids: pd.Index
    moments: np.ndarray  # created_at, ns since the epoch (UTC)
    numbers: np.ndarray  # attempt_number, int64

    @property
    def flows(self) -> int:
        return len(self.flow_ids)

    @property
    def targets(self) -> int:
        return len(self.target_ids)

    @classmethod
    def of(cls, frame: pd.DataFrame, flows: pd.DataFrame | None, caller: str) -> AttemptArrays:
        """Read ``frame`` (and ``flows``, if given) once; ``caller`` names the function in an error."""
        check_attempts(frame, caller)
        flow_code, flow_ids = grouped.codes_of(frame["flow_id"])
        target_code, target_ids = grouped.codes_of(frame["target_id"])
        created = frame["created_at"]
        if not isinstance(created.dtype, pd.DatetimeTZDtype) or created.dtype.unit != "ns":
            created = pd.to_datetime(created, utc=True).dt.as_unit("ns")
        joined = joined_flows(flows, flow_ids, frame.columns, caller) if flows is not None else {}
        numbers = frame["attempt_number"].to_numpy(dtype=np.int64, na_value=0)
        return cls(frame, joined, flow_code, flow_ids, target_code, target_ids, created.array.asi8, numbers)

    def is_status(self, status: str) -> np.ndarray:
        return (self.frame["status"] == status).to_numpy(dtype=bool, na_value=False)

    def column(self, name: str, rows: np.ndarray) -> pd.Series:
        """The column ``name`` at ``rows``: the frame's own, else the one joined from the flows."""
        if name in self.joined:
            return self.joined[name].iloc[self.flow_code[rows]].reset_index(drop=True)
        return self.frame[name].iloc[rows].reset_index(drop=True)

    def has(self, name: str) -> bool:
        return name in self.frame.columns or name in self.joined


def failure_reasons(table: AttemptArrays, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Why each attempt of ``rows`` failed, as codes into the reasons they name.

    A reason is the ``error_code``, else ``http_<response_status>``, else ``unknown``. Made from
    codes (the error codes factorized, the statuses as numbers), so that only the few distinct
    reasons are ever turned into text.
    """
    error, errors = grouped.codes_of(table.frame["error_code"].iloc[rows])
    status = table.frame["response_status"].iloc[rows]
    has_status = status.notna().to_numpy(dtype=bool)
    status_number = status.to_numpy(dtype=np.float64, na_value=np.nan)
    names = [None if pd.isna(value) else str(value) for value in errors]
    missing = [code for code, name in enumerate(names) if name is None]
    no_error = np.isin(error, missing) if missing else np.zeros(len(rows), dtype=bool)
    statuses, status_code = np.unique(status_number[no_error & has_status], return_inverse=True)
    key = error.copy()
    key[no_error & has_status] = len(names) + status_code.reshape(-1)
    key[no_error & ~has_status] = len(names) + len(statuses)
    labels = [*names, *(f"http_{int(value)}" for value in statuses), "unknown"]
    used, key = np.unique(key, return_inverse=True)
    by_label: dict[str, int] = {}
    merged = np.empty(len(used), dtype=np.int64)
    for position, code in enumerate(used):  # an error_code "http_500" and a status 500 are one reason
        merged[position] = by_label.setdefault(labels[code], len(by_label))
    return merged[key.reshape(-1)], list(by_label)


def timestamps(moments: np.ndarray) -> pd.DatetimeIndex:
    """Nanoseconds since the epoch as UTC timestamps, the dtype of ``created_at``."""
    return pd.DatetimeIndex(moments.astype("datetime64[ns]")).tz_localize("UTC")


def joined_flows(flows: pd.DataFrame, flow_ids: pd.Index, have: pd.Index, caller: str) -> dict[str, pd.Series]:
    """The flows' name and target type per flow code, for the columns the attempts lack."""
    if not isinstance(flows, pd.DataFrame):
        raise TypeError(
            f"{caller}'s flows takes a DataFrame of flows (zen_nb.load_flows()), not {type(flows).__name__}"
        )
    missing = [name for name in ("id", "name", "target_type") if name not in flows.columns]
    if missing:
        raise ValueError(f"{caller}'s flows lacks the columns {missing}: pass zen_nb.load_flows()")
    by_id = flows.drop_duplicates("id").set_index("id")
    return {
        column: by_id[source].reindex(flow_ids).reset_index(drop=True)
        for column, source in FROM_FLOWS.items()
        if column not in have
    }


def check_attempts(frame: pd.DataFrame, caller: str) -> None:
    """Refuse what is not a frame of attempts, naming what to pass instead."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{caller} takes a DataFrame of attempts (zen_nb.load_attempts()), not {type(frame).__name__}")
    missing = [name for name in (*NEEDED, "latency_ms", "created_at") if name not in frame.columns]
    if missing:
        raise ValueError(f"{caller}: the attempts lack the columns {missing}: load them with zen_nb.load_attempts()")
