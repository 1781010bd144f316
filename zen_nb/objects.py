"""The API's objects as the client returns them: dicts that keep every field, read well, and show well.

A ``Flow`` is the JSON object the API sent (unknown fields included, so nothing a newer
service adds is lost), with attribute access in Python's spelling (``flow.created_at`` for
``createdAt``) and a one-line repr that shows what matters in a notebook.
"""

from __future__ import annotations

import re
from typing import Any

from .secrets import masked

_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")


def camel_case(name: str) -> str:
    """``created_at`` -> ``createdAt``."""
    return _CAMEL_BOUNDARY.sub(lambda match: match.group(1).upper(), name)


class ApiObject(dict):
    """A JSON object from the API. Read fields as ``obj["createdAt"]`` or ``obj.created_at``."""

    #: fields shown in the repr, in order; the rest are counted
    summary_fields: tuple[str, ...] = ("id", "name")

    def __getattr__(self, name: str) -> Any:
        for key in (name, camel_case(name)):
            if key in self:
                return self[key]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}; its fields are {', '.join(self)}")

    def __repr__(self) -> str:
        visible = masked(dict(self))  # a target's config secrets never show (see zen_nb.secrets)
        shown = [f"{key}={visible[key]!r}" for key in self.summary_fields if key in self]
        rest = len(self) - len(shown)
        if rest > 0:
            shown.append(f"+{rest} more")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        from .display import object_html

        return object_html(type(self).__name__, masked(dict(self)))

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {key for key in self if key.isidentifier()})


class Tenant(ApiObject):
    """A tenant: ``id``, ``name``, ``plan``."""

    summary_fields = ("id", "name", "plan")


class Plane(ApiObject):
    """A plane (a "cluster" in the API's paths): ``id``, ``name``, ``region``."""

    summary_fields = ("id", "name", "region")


class Adapter(ApiObject):
    """An ingester adapter deployed on a plane: ``id``, ``kind``, ``ingesterIds``."""

    summary_fields = ("id", "kind", "ingesterIds")


class Ingester(ApiObject):
    """An event source a flow can start from: ``id``, ``name``, ``adapterId``, ``type``."""

    summary_fields = ("id", "name", "type")


class Target(ApiObject):
    """A destination: ``id``, ``name``, ``type`` (``stripe``, ``http``, ``slack``, ``s3``), ``status``, ``url``,
    ``config`` (its secrets kept in the dict, never shown in its repr or HTML)."""

    summary_fields = ("id", "name", "type", "status", "url", "config")


class Flow(ApiObject):
    """A delivery flow: ``id``, ``name``, ``source``, ``target`` ``{id, type}``, ``status``..."""

    summary_fields = ("id", "name", "source", "target", "status")


class Event(ApiObject):
    """An ingested event: ``id``, ``ingesterId``, ``createdAt``, and ``deliveries``.

    ``deliveries`` has one ``{flowId, targetId, state}`` per flow from the ingester: ``queued``
    (the attempts follow, off the request path) or ``held`` (the flow is paused).
    """

    summary_fields = ("id", "ingesterId", "createdAt", "deliveries")


class DeliveryAttempt(ApiObject):
    """One try to deliver an event to a flow's target: ``attemptNumber``, ``trigger``, ``status``...

    ``status`` is ``pending`` while it runs, then ``succeeded`` or ``failed``; ``responseStatus``
    is the target's HTTP status (``None`` when it never answered: see ``errorCode``).
    """

    summary_fields = ("id", "flowId", "eventId", "attemptNumber", "trigger", "status", "responseStatus")


class RetryOutcome(ApiObject):
    """What a retry of many attempts did to one: ``attemptId``, ``status`` (``queued``, ``skipped``,
    ``not_found``) and ``retryAttemptId`` (the new attempt, when queued)."""

    summary_fields = ("attemptId", "status", "retryAttemptId")


class ObjectList(list):
    """A list of API objects that shows as a table in a notebook (and is still a plain list)."""

    def _repr_html_(self) -> str:
        from .display import list_html

        columns: list[str] = []
        for item in self:
            for key in getattr(item, "summary_fields", ("id",)):
                if key not in columns:
                    columns.append(key)
        return list_html([masked(dict(item)) if isinstance(item, dict) else item for item in self], columns)
