"""Flows and delivery attempts as pandas DataFrames: one row each, typed columns, the same shape when empty.

The rows are built column by column while the pages arrive (each page's JSON is dropped once
read), so a large load needs little more memory than the finished frame. A parallel load
(``workers > 1``, :mod:`zen_nb.parallel_pages`) holds its windows' pages until all are in,
since they arrive out of order: more memory for less waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .client import Moment, ZenClient
from .parallel_pages import checked_workers, each_plane, windowed_attempts
from .progress import PageProgress
from .secrets import masked
from .vocabulary import ATTEMPT_STATUSES, ATTEMPT_TRIGGERS, FLOW_STATUSES, TARGET_TYPES

if TYPE_CHECKING:
    import pandas as pd

FLOW_COLUMNS = (
    "id",
    "name",
    "plane_id",
    "source",
    "target_id",
    "target_type",
    "status",
    "description",
    "created_at",
    "updated_at",
)
TARGET_TYPES = tuple(sorted(TARGET_TYPES))  # categories in alphabetical order
ATTEMPT_COLUMNS = (
    "id",
    "flow_id",
    "event_id",
    "target_id",
    "attempt_number",
    "trigger",
    "status",
    "response_status",
    "error_code",
    "latency_ms",
    "created_at",
)
#: each column's field in the attempt JSON
ATTEMPT_FIELDS = (
    "id",
    "flowId",
    "eventId",
    "targetId",
    "attemptNumber",
    "trigger",
    "status",
    "responseStatus",
    "errorCode",
    "latencyMs",
    "createdAt",
)
_ATTEMPT_ROW = itemgetter(*ATTEMPT_FIELDS)
TIMESTAMP_DTYPE = "datetime64[ns, UTC]"
#: The dtype of every text column (ids, names, ``description``, ``error_code``): pandas' nullable
#: string dtype with Python storage, ``pd.StringDtype("python")``. It is the same dtype on pandas
#: 2.2 and 3.x, with or without pyarrow (printed ``string``), so ``frame.dtypes``, the ``.str``
#: methods, ``==`` and a missing value (always ``<NA>``) behave alike on both; plain ``"str"``
#: would be ``object`` on pandas 2 and the NaN-valued ``str`` on pandas 3.
STRING_DTYPE = "string[python]"


def load_flows(
    client: ZenClient | None = None,
    *,
    planes: str | Mapping[str, Any] | Iterable[str | Mapping[str, Any]] | None = None,
    status: str | None = None,
    source: str | None = None,
    target_type: str | None = None,
    progress: bool | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Every flow of the plane(s) as a DataFrame with columns :data:`FLOW_COLUMNS`.

    ``planes``: ``None`` for ``ZEN_PLANE_ID``, a plane id or :class:`Plane`, a list of them, or
    ``"all"`` for every plane of the tenant (each plane is read once). ``status``, ``source`` and
    ``target_type`` filter on the server. Timestamps are
    ``datetime64[ns, UTC]``; ``status`` and ``target_type`` are categoricals; the other columns are
    :data:`STRING_DTYPE` (``string``; a missing ``description`` is ``<NA>``). ``progress``: a
    tqdm bar for loads of more than a few pages (``None``: only in an interactive session), with
    the list's total when the service gives one, then a closing line ``Loaded 1,001 flows in 0.4 s``.

    ``workers``: how many planes are read at once when there are several (``None``: up to
    :data:`PLANES_AT_ONCE`; ``1``: one after another), since each plane's list is its own round
    trips; the rows are in plane order all the same.
    """
    client = client if client is not None else ZenClient()
    workers = PLANES_AT_ONCE if workers is None else checked_workers(workers)
    columns: dict[str, list[Any]] = {name: [] for name in FLOW_COLUMNS}
    plane_ids = _plane_ids(client, planes)

    def pages_of(plane_id: str) -> Iterable[list[dict[str, Any]]]:
        return client.flow_pages(plane_id, status=status, source=source, target_type=target_type)

    with PageProgress("flows", progress) as bar:
        if workers > 1 and len(plane_ids) > 1:  # each plane read whole on a thread, handed over in plane order
            lists: Iterable[Any] = each_plane(plane_ids, lambda plane_id: list(pages_of(plane_id)), workers)
        else:  # page by page as they come: the bar moves while a single list is read
            lists = map(pages_of, plane_ids)
        for plane_id, pages in zip(plane_ids, lists, strict=True):
            for page in _counted(pages, bar):
                _append_flows(columns, page, plane_id)
                bar.update(len(page))
        return _flow_frame(columns)  # built inside, so the closing line's time is the whole call's


PLANES_AT_ONCE = 4  # planes read at once by load_flows: a few round trips in flight, not a burst


def load_attempts(
    client: ZenClient | None = None,
    *,
    planes: str | Mapping[str, Any] | Iterable[str | Mapping[str, Any]] | None = None,
    flow: str | Mapping[str, Any] | None = None,
    event: str | Mapping[str, Any] | None = None,
    target: str | Mapping[str, Any] | None = None,
    status: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    progress: bool | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Every delivery attempt of the plane(s), oldest first, as a DataFrame with columns :data:`ATTEMPT_COLUMNS`.

    ``planes`` as in :func:`load_flows`. ``flow``, ``event``, ``target``, ``status``, ``since``
    (inclusive) and ``until`` (exclusive) filter on the server, as in
    :meth:`ZenClient.iter_attempts`. ``created_at`` is ``datetime64[ns, UTC]``; ``trigger`` and
    ``status`` are categoricals; ``attempt_number`` is ``int64``; ``response_status`` and
    ``latency_ms`` are nullable ``Int64`` (``<NA>`` while pending, or when a target never
    answered); the ids and ``error_code`` are :data:`STRING_DTYPE` (``string``; ``<NA>`` when
    missing). ``progress``: a tqdm bar for loads of more than a few pages, as in :func:`load_flows`.

    ``workers``: requests in flight at once (at most :data:`~zen_nb.parallel_pages.MAX_WORKERS`,
    the client's connection pool). ``1`` reads page after page; more cut each plane's
    ``[since, until)`` into time windows read on that many threads
    (:mod:`zen_nb.parallel_pages`), because every page is a round trip and a long list is
    mostly waiting. The frame is the same, row for row and in the same order, either way.
    """
    client = client if client is not None else ZenClient()
    workers = checked_workers(workers)
    columns: dict[str, list[Any]] = {name: [] for name in ATTEMPT_COLUMNS}
    filters = {"flow": flow, "event": event, "target": target, "status": status, "since": since, "until": until}
    plane_ids = _plane_ids(client, planes)
    with PageProgress("attempts", progress) as bar:
        if workers > 1:  # the windows update the bar themselves, from the main thread
            for pages in windowed_attempts(client, plane_ids, filters, workers, bar):
                for page in pages:
                    _append_attempts(columns, page)
            return _attempt_frame(columns)
        for plane_id in plane_ids:
            for page in _counted(client.attempt_pages(plane_id, **filters), bar):
                _append_attempts(columns, page)
                bar.update(len(page))
        return _attempt_frame(columns)  # built inside, so the closing line's time is the whole call's


TARGET_COLUMNS = ("id", "name", "plane_id", "type", "status", "url", "config", "created_at", "updated_at")


def load_targets(
    client: ZenClient | None = None,
    *,
    planes: str | Mapping[str, Any] | Iterable[str | Mapping[str, Any]] | None = None,
    type: str | None = None,
) -> pd.DataFrame:
    """Every target of the plane(s) as a DataFrame with columns :data:`TARGET_COLUMNS`.

    ``config`` holds each target's settings with their secrets masked (:func:`zen_nb.secrets.masked`):
    a frame is shown, saved in a notebook and exported, so it never carries an ``apiKey``; the
    client's :class:`~zen_nb.objects.Target` still has them. ``type`` and ``status`` are
    categoricals, timestamps ``datetime64[ns, UTC]``, the other text :data:`STRING_DTYPE`.
    """
    import pandas as pd

    client = client if client is not None else ZenClient()
    rows = [
        (plane_id, target)
        for plane_id in _plane_ids(client, planes)
        for target in client.iter_targets(plane_id, type=type)
    ]
    data: dict[str, Any] = {}
    for name in TARGET_COLUMNS:
        if name == "plane_id":
            values: list[Any] = [target.get("planeId") or plane_id for plane_id, target in rows]
        elif name == "config":
            values = [masked(target.get("config")) for _, target in rows]
        else:
            values = [target.get(_CAMEL_OF.get(name, name)) for _, target in rows]
        if name in ("created_at", "updated_at"):
            data[name] = _timestamps(values)
        elif name == "type":
            data[name] = _categorical(values, TARGET_TYPES)
        elif name == "status":
            data[name] = _categorical(values, TARGET_STATUSES)
        elif name == "config":
            data[name] = pd.Series(values, dtype="object")
        else:
            data[name] = pd.Series(values, dtype=STRING_DTYPE)
    return pd.DataFrame(data, columns=list(TARGET_COLUMNS))


_CAMEL_OF = {"created_at": "createdAt", "updated_at": "updatedAt"}
TARGET_STATUSES = ("provisioning", "active", "error", "disabled")


def _plane_ids(client: ZenClient, planes: Any) -> list[str]:
    if planes is None:
        return [client.config.plane_id]
    if planes == "all":
        return [plane["id"] for plane in client.list_planes()]
    if isinstance(planes, (str, Mapping)):
        planes = [planes]
    ids = (str(plane["id"]) if isinstance(plane, Mapping) else str(plane) for plane in planes)
    return list(dict.fromkeys(ids))


def _counted(pages: Iterable[list[dict[str, Any]]], bar: PageProgress) -> Iterator[list[dict[str, Any]]]:
    """The pages of one list, telling the bar the list's total (its first page's, or None) as it begins."""
    for number, page in enumerate(pages):
        if number == 0:
            bar.begin_list(getattr(page, "total", None))
        yield page


def _append_flows(columns: dict[str, list[Any]], page: list[dict[str, Any]], plane_id: str) -> None:
    """Add a page of flow JSON to the column lists; missing fields become None (never an error)."""
    ids, names, planes, sources = columns["id"], columns["name"], columns["plane_id"], columns["source"]
    target_ids, target_types, statuses = columns["target_id"], columns["target_type"], columns["status"]
    descriptions, created, updated = columns["description"], columns["created_at"], columns["updated_at"]
    for flow in page:
        get = flow.get
        target = get("target") or {}
        ids.append(get("id"))
        names.append(get("name"))
        planes.append(get("planeId") or plane_id)
        sources.append(get("source"))
        target_ids.append(target.get("id") if isinstance(target, dict) else None)
        target_types.append(target.get("type") if isinstance(target, dict) else None)
        statuses.append(get("status"))
        descriptions.append(get("description"))
        created.append(get("createdAt"))
        updated.append(get("updatedAt"))


def _append_attempts(columns: dict[str, list[Any]], page: list[dict[str, Any]]) -> None:
    """Add a page of attempt JSON to the column lists; missing fields become None (never an error)."""
    # An attempt is flat: one C-level getter per attempt and a transpose per page cost less than
    # a .get() per field. A page with a field missing (a service that omits nulls) is read slowly.
    try:
        rows = list(map(_ATTEMPT_ROW, page))
    except KeyError:
        rows = [tuple(_field(attempt, field) for field in ATTEMPT_FIELDS) for attempt in page]
    if not rows:
        return
    targets = [columns[name] for name in ATTEMPT_COLUMNS]
    for column, values in zip(targets, zip(*rows, strict=True), strict=True):
        column.extend(values)


def _field(item: Mapping[str, Any], name: str) -> Any:
    """A field by its camelCase name, or by its snake_case one (a service that answers so)."""
    if name in item:
        return item[name]
    return item.get(_SNAKE.get(name) or _snake(name))


_SNAKE = {"createdAt": "created_at"}


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def _attempt_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    import pandas as pd

    data: dict[str, Any] = {}
    for name, values in columns.items():
        if name == "created_at":
            data[name] = _timestamps(values)
        elif name == "trigger":
            data[name] = _categorical(values, ATTEMPT_TRIGGERS)
        elif name == "status":
            data[name] = _categorical(values, ATTEMPT_STATUSES)
        elif name == "attempt_number":
            data[name] = _integers(values)
        elif name in ("response_status", "latency_ms"):
            data[name] = _integers(values, nullable=True)
        else:
            data[name] = pd.Series(values, dtype=STRING_DTYPE)
        values.clear()  # let the lists go as soon as their column exists
    return pd.DataFrame(data, columns=list(ATTEMPT_COLUMNS))


def _integers(values: list[Any], nullable: bool = False) -> pd.Series:
    """Whole numbers: ``int64``, or ``Int64`` when nullable or when a value is missing.

    A real service may write a number as a float (``12.0``, or ``12.4`` ms): it is rounded.
    """
    import pandas as pd

    dtype = "Int64" if nullable or None in values else "int64"
    try:
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):
        numbers = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce")
        return numbers.round().astype("Int64" if numbers.isna().any() else dtype)


def _flow_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    import pandas as pd

    data: dict[str, Any] = {}
    for name, values in columns.items():
        if name in ("created_at", "updated_at"):
            data[name] = _timestamps(values)
        elif name == "status":
            data[name] = _categorical(values, FLOW_STATUSES)
        elif name == "target_type":
            data[name] = _categorical(values, TARGET_TYPES)
        else:
            data[name] = pd.Series(values, dtype=STRING_DTYPE)
        values.clear()  # let the lists go as soon as their column exists
    return pd.DataFrame(data, columns=list(FLOW_COLUMNS))


def _timestamps(values: list[Any]) -> pd.Series:
    """UTC timestamps, whether written with ``Z``, an offset, or fractional seconds."""
    import pandas as pd

    parsed = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601")
    return parsed.astype(TIMESTAMP_DTYPE)


def _categorical(values: list[Any], known: tuple[str, ...]) -> pd.Series:
    """A categorical with the known values as categories, plus any new one the service sends."""
    import pandas as pd

    extra = sorted(set(values) - {None, *known})
    return pd.Series(pd.Categorical(values, categories=[*known, *extra]))
