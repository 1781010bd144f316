"""Request bodies of the API as pydantic models: the rules of the contract, checked in one place.

Unknown fields are refused (a misspelt ``descripton`` should not vanish silently), and every
string must be valid Unicode text (a lone surrogate in JSON cannot be stored or echoed).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, model_validator

NAME_RULE = "1 to 64 characters of lowercase letters, digits and '-', starting with a letter"
_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")

TargetType = Literal["stripe", "http", "slack", "s3"]
FlowStatus = Literal["active", "paused"]
Plan = Literal["free", "team", "business_plus"]


def _unicode_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate escape)") from None
    return value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        shown = value if len(value) <= 70 else value[:67] + "..."
        raise ValueError(f"a name must be {NAME_RULE}; got {shown!r}")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


Text = Annotated[StrictStr, AfterValidator(_unicode_text)]
Ident = Annotated[Text, Field(min_length=1, max_length=128)]
Name = Annotated[StrictStr, AfterValidator(_name)]
Description = Annotated[Text, Field(max_length=1000)]
Url = Annotated[Text, Field(max_length=2048), AfterValidator(_http_url)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetRef(_Body):
    """A flow's target as the recipe writes it: ``{"id": ..., "type": ...}``."""

    id: Ident
    type: TargetType


def _list_target_means_targets(data: Any) -> Any:
    """Accept fan-out written as ``"target": [...]`` as well as ``"targets": [...]``."""
    if isinstance(data, dict) and isinstance(data.get("target"), list) and "targets" not in data:
        data = dict(data)
        data["targets"] = data.pop("target")
    return data


class FlowCreate(_Body):
    """``POST .../delivery-flows``."""

    name: Name
    source: Ident
    target: TargetRef | None = None
    targets: Annotated[list[TargetRef], Field(min_length=1, max_length=50)] | None = None
    description: Description | None = None
    status: FlowStatus = "active"

    _targets_spelling = model_validator(mode="before")(_list_target_means_targets)

    def target_list(self) -> list[TargetRef]:
        """The one target, or the fan-out's targets (the route checks that exactly one form is given)."""
        return [self.target] if self.target is not None else list(self.targets or [])


class FlowUpdate(_Body):
    """``PATCH .../delivery-flows/{flowId}``: any of the fields; ``source`` only to its current value."""

    name: Name | None = None
    description: Description | None = None
    status: FlowStatus | None = None
    target: TargetRef | None = None
    targets: Annotated[list[TargetRef], Field(min_length=1, max_length=50)] | None = None
    source: Ident | None = None

    _targets_spelling = model_validator(mode="before")(_list_target_means_targets)


class TargetCreate(_Body):
    """``POST .../targets``. A target of type ``http`` needs a ``url``."""

    name: Name
    type: TargetType
    url: Url | None = None
    description: Description | None = None


class TargetUpdate(_Body):
    """``PATCH .../targets/{targetId}``. The type is fixed; send it only with its current value."""

    name: Name | None = None
    url: Url | None = None
    description: Description | None = None
    type: TargetType | None = None


class TenantCreate(_Body):
    """``POST /_sandbox/tenants``: a tenant for a trainee or a test; ``seed`` gives it the standard objects."""

    name: Annotated[Text, Field(min_length=1, max_length=200)] = "sandbox tenant"
    plan: Plan = "team"
    seed: bool = True


Failure = Annotated[int, Field(ge=400, le=599)] | Literal["timeout", "connection_refused", "connection_reset"]


class OutcomeSettings(_Body):
    """``PUT /_sandbox/.../targets/{targetId}/outcome``: how a simulated target answers."""

    successRate: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0  # noqa: N815 - the API's camelCase
    latencyMs: Annotated[float, Field(gt=0.0, le=600_000.0)] = 120.0  # noqa: N815
    latencySpread: Annotated[float, Field(ge=0.0, le=3.0)] = 0.35  # noqa: N815
    failures: Annotated[list[Failure], Field(min_length=1, max_length=20)] | None = None


class DeliverySettings(_Body):
    """``PUT /_sandbox/delivery``: the automatic retry schedule (seconds after attempt 1, 2, ...)."""

    retrySchedule: Annotated[list[Annotated[float, Field(ge=0.0, le=86_400.0)]], Field(max_length=10)]  # noqa: N815


class SimulateRequest(_Body):
    """``POST /_sandbox/simulate``: N events over D days of simulated time, with a seed."""

    tenantId: Ident | None = None  # noqa: N815
    planeId: Ident | None = None  # noqa: N815
    # Only these flows (active, of this tenant): a recipe analyses its own fleet without writing
    # simulated history onto the flows a user made elsewhere.
    flowIds: Annotated[list[Ident], Field(min_length=1, max_length=1000)] | None = None  # noqa: N815
    events: Annotated[int, Field(ge=1, le=200_000)] = 1000
    days: Annotated[float, Field(ge=0.01, le=90.0)] = 7.0
    seed: int = 0
    failureRate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05  # noqa: N815
    start: Annotated[str, Field(max_length=64)] | None = None
