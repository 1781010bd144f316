"""The v1 API's bodies and answers as pydantic models: snake_case, as the vendor's v1 pages write them.

Request bodies follow the recipe form's rules (``schemas.py``: strict types, unknown fields
refused, an explicit ``null`` refused where a field may only be left out); answers describe the
dicts of ``render.py`` exactly (``additionalProperties: false``), for the served OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic.json_schema import SkipJsonSchema

from ...vocabulary import ATTEMPT_TRIGGERS, FLOW_STATUSES, TARGET_TYPES
from ..data.flows import MAX_ATTEMPTS, MAX_BACKOFF_SECONDS
from ..data.retries import MAX_BATCH
from ..data.v1_deliveries import V1_STATUSES
from ..responses import _Answer
from ..schemas import DEFAULT, KEEP, LEFT_OUT, Description, Ident, Name, TargetCreate, TargetUpdate, _Body, _whole

FlowStatus = Literal[FLOW_STATUSES]  # type: ignore[valid-type]
TargetType = Literal[TARGET_TYPES]  # type: ignore[valid-type]
DeliveryStatus = Literal[V1_STATUSES]  # type: ignore[valid-type]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2024-01-15T10:30:00.000Z"])]

# -- request bodies ---------------------------------------------------------------------------------


class RetryPolicyBodyV1(_Body):
    """``config.retry_policy``: either part may be left out (the sandbox's schedule decides it); on a
    PUT, a part set to null goes back to the schedule."""

    # Whole's validator after the bounds: before them, the schema would lose minimum and maximum.
    max_attempts: Annotated[int, Field(ge=1, le=MAX_ATTEMPTS), BeforeValidator(_whole)] | None = Field(
        default=None, description="attempts of a delivery in all, the first included (the vendor's default is 3)"
    )
    backoff_seconds: Annotated[float, Field(ge=0.0, le=MAX_BACKOFF_SECONDS)] | None = Field(
        default=None, description="seconds between a failed attempt and the next (the vendor's default is 10)"
    )


class FlowConfigBody(_Body):
    """A flow's ``config``: its retry policy (null: the sandbox's schedule)."""

    retry_policy: RetryPolicyBodyV1 | None = None


class FlowCreateV1(_Body):
    """``POST /v1/tenants/{tenantId}/delivery-flows``.

    The plane is ``cluster_id``; left out, the plane of the source ingester (and, when several
    planes have an ingester of that id, the one that also has the destination).
    """

    name: Name
    source_id: Ident = Field(description="the ingester the flow delivers from, e.g. ingester_stripe")
    destination_id: Ident = Field(description="the destination (target) it delivers to")
    cluster_id: Annotated[Ident, DEFAULT] = Field(default=None, description="the plane; left out: the source's")
    description: Description | None = None
    status: FlowStatus = "active"
    config: Annotated[FlowConfigBody, DEFAULT] = Field(default=None, description="the flow's retry policy")


class FlowUpdateV1(_Body):
    """``PUT /v1/tenants/{tenantId}/delivery-flows/{flowId}``: any of the fields (a partial update).

    ``status`` pauses (``paused``) or resumes (``active``) the flow. A flow's source never changes,
    so ``source_id`` is not one of the fields: the server takes it only when it repeats the
    flow's source (a client that sends back the source it read, as this kit's may, keeps
    working) and answers any other with 400 ``source_immutable``.
    """

    name: Annotated[Name, KEEP] = Field(default=None, description=f"a new name; {LEFT_OUT}")
    destination_id: Annotated[Ident, KEEP] = Field(default=None, description=f"a new destination; {LEFT_OUT}")
    description: Description | None = Field(default=None, description="a new description; null clears it")
    status: Annotated[FlowStatus, KEEP] = Field(default=None, description=f"active resumes, paused holds; {LEFT_OUT}")
    config: Annotated[FlowConfigBody, KEEP] = Field(
        default=None, description=f"the parts of the retry policy to change; {LEFT_OUT}"
    )
    # Left out of the document (see above): a schema that offered it would offer every other value,
    # which the server refuses by what is stored; its clients would be told a valid request was sent.
    source_id: SkipJsonSchema[Annotated[Ident, KEEP]] = Field(default=None)


class DestinationCreateV1(TargetCreate):
    """``POST /v1/tenants/{tenantId}/destinations``: the recipe form's target, and ``cluster_id``
    (left out: the tenant's first plane)."""

    cluster_id: Annotated[Ident, DEFAULT] = Field(default=None, description="the plane; left out: your first plane")

    def target_body(self) -> TargetCreate:
        """The same target as the recipe form's body."""
        return TargetCreate.model_validate(self.model_dump(exclude_unset=True, exclude={"cluster_id"}))


class DestinationUpdateV1(TargetUpdate):
    """``PATCH /v1/tenants/{tenantId}/destinations/{destinationId}``: as the recipe form's PATCH."""


class BatchRetry(_Body):
    """``POST /v1/tenants/{tenantId}/retry/batch``."""

    delivery_ids: Annotated[list[Ident], Field(min_length=1, max_length=MAX_BATCH)] = Field(
        description=f"the deliveries to retry, 1 to {MAX_BATCH} ids"
    )


# -- answers ----------------------------------------------------------------------------------------


class RetryPolicyV1(_Answer):
    """A flow's own retry policy; a null part is the sandbox's schedule."""

    max_attempts: int | None
    backoff_seconds: float | None


class FlowConfig(_Answer):
    """A flow's ``config``: ``retry_policy`` null when the flow follows the sandbox's retry schedule."""

    retry_policy: RetryPolicyV1 | None


class FlowV1(_Answer):
    """A delivery flow on the v1 API."""

    id: str
    name: str
    source_id: str
    destination_id: str
    destination_type: TargetType
    cluster_id: str
    status: FlowStatus
    description: str | None
    config: FlowConfig
    created_at: Timestamp
    updated_at: Timestamp


class DestinationV1(_Answer):
    """A destination (target) on the v1 API; ``config`` is echoed with its secrets, as the vendor does."""

    id: str
    name: str
    type: TargetType
    url: str | None
    status: Literal["provisioning", "active", "disabled"]
    config: dict[str, Any]
    cluster_id: str
    created_at: Timestamp
    updated_at: Timestamp


class DeliveryV1(_Answer):
    """One delivery attempt on the v1 API (the recipe form's attempt: same id)."""

    id: str
    event_id: str
    destination_id: str
    flow_id: str
    cluster_id: str
    status: DeliveryStatus = Field(
        description="delivered (recipe form: succeeded), pending, retrying (failed, another attempt follows) "
        "or failed (failed, nothing follows: the DLQ)"
    )
    response_code: int | None
    attempt_number: int = Field(ge=1)
    trigger: Literal[ATTEMPT_TRIGGERS]  # type: ignore[valid-type]
    attempted_at: Timestamp
    latency_ms: int | None
    error_code: str | None
    error_message: str | None


class _PageV1(_Answer):
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")
    has_more: bool


class FlowListV1(_PageV1):
    """A page of delivery flows, newest first."""

    delivery_flows: list[FlowV1]


class DestinationListV1(_PageV1):
    """A page of destinations, newest first."""

    destinations: list[DestinationV1]


class DeliveryListV1(_PageV1):
    """A page of deliveries, newest first."""

    deliveries: list[DeliveryV1]


class RetryQueued(_Answer):
    """``202``: the event's failed deliveries are retried (each a new attempt, trigger manual)."""

    status: Literal["queued"]
    delivery_id: str = Field(description="the first new attempt")
    delivery_ids: list[str] = Field(description="every new attempt, one per retried delivery")
    message: str


class BatchItem(_Answer):
    """What the batch did with one id; ``retry_delivery_id`` is the new attempt of a queued one."""

    delivery_id: str
    status: Literal["queued", "skipped", "not_found"]
    retry_delivery_id: str = Field(default=None, description="present only when queued")


class BatchQueued(_Answer):
    """``202``: how many deliveries were queued, and what became of each id."""

    queued: int
    deliveries: list[BatchItem]
