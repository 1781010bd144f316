"""What the API answers, as pydantic models: the response schemas of the served OpenAPI document.

The routes render plain dicts (their ``*_json`` functions); these models describe those dicts
exactly, for ``openapi.py`` to put in the document and for clients generated from it. A key
that can be absent is optional without ``null``; a value that can be ``null`` is required and
nullable. No object carries keys beyond those listed (``additionalProperties: false``), so a
contract test notices when a route and its schema drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..vocabulary import ATTEMPT_STATUSES, ATTEMPT_TRIGGERS, FLOW_STATUSES, PLANS, TARGET_TYPES
from .outcomes import ERROR_CODES

TargetType = Literal[TARGET_TYPES]  # type: ignore[valid-type]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2024-01-15T10:30:00.000Z"])]


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_defaults)


class Error(_Answer):
    """Every error of the recipe form (every path outside ``/v1/``): the family's shape (contract section 4)."""

    error: str = Field(
        description="the type name by status: ValidationError (400), Unauthorized (401), ForbiddenError (403), "
        "NotFoundError (404), MethodNotAllowedError (405), ConflictError (409), GoneError (410), "
        "PayloadTooLargeError (413), UnprocessableEntityError (422), RateLimitError (429), InternalServerError "
        "(500), ServiceUnavailableError (503); HTTPError for any other",
        examples=["ConflictError"],
    )
    code: str = Field(description="a stable machine code, e.g. flow_name_conflict", examples=["flow_name_conflict"])
    status: int = Field(description="the HTTP status of the response", examples=[409])
    message: str = Field(description="what went wrong and how to fix it")
    field: str | None = Field(description="the request field at fault (e.g. name, target.type, limit), or null")
    request_id: str = Field(description="the response's X-Request-Id", examples=["req_0123456789abcdef01234567"])


class Problem(_Answer):
    """Every error of the v1 surface (``/v1/...``): RFC 9457 problem details, as ``application/problem+json``."""

    type: str = Field(
        description="https://docs.zen-mesh.io/errors/<slug>, the slug by status (invalid-parameters, authentication, "
        "insufficient-scope, not-found, method-not-allowed, conflict, payload-too-large, rate-limited, "
        "internal-error, service-unavailable)",
        json_schema_extra={"format": "uri"},
        examples=["https://docs.zen-mesh.io/errors/not-found"],
    )
    title: str = Field(description="the status's reason phrase", examples=["Not Found"])
    status: int = Field(description="the HTTP status of the response", examples=[404])
    detail: str = Field(description="what went wrong and how to fix it")
    instance: str = Field(description="the request's path", json_schema_extra={"format": "uri-reference"})
    code: str = Field(description="a stable machine code, e.g. flow_not_found", examples=["flow_not_found"])
    field: str | None = Field(description="the request field at fault, or null")
    request_id: str = Field(description="the response's X-Request-Id", examples=["req_0123456789abcdef01234567"])


class Tenant(_Answer):
    """``GET /tenants/{tenantId}``."""

    id: str
    name: str
    plan: Literal[PLANS]  # type: ignore[valid-type]


class Plane(_Answer):
    """A plane (a "cluster" in the paths)."""

    id: str
    name: str
    region: str
    status: Literal["ready"] = Field(description="ready: every plane of the sandbox is usable")
    createdAt: Timestamp  # noqa: N815


class Adapter(_Answer):
    """An adapter deployed on a plane, with the ingesters it serves."""

    id: str
    kind: str
    ingesterIds: list[str]  # noqa: N815
    createdAt: Timestamp  # noqa: N815


class Ingester(_Answer):
    """An ingester: the source of flows."""

    id: str
    name: str
    adapterId: str  # noqa: N815
    type: str
    createdAt: Timestamp  # noqa: N815


class Target(_Answer):
    """A target (destination) of flows. ``description`` is present only when the target has one."""

    id: str
    name: str
    type: TargetType
    status: Literal["provisioning", "active", "disabled"] = Field(
        description="provisioning for about a second after creation, then active; disabled when set so"
    )
    url: str | None = Field(description="where an http target delivers; null when the target has none")
    config: dict[str, Any] = Field(description="the target's settings as sent, secrets included ({} when none)")
    description: str = Field(default=None, description="present only when set")
    createdAt: Timestamp  # noqa: N815
    updatedAt: Timestamp  # noqa: N815


class FlowTarget(_Answer):
    """A flow's target, as the recipe writes it."""

    id: str
    type: TargetType


class RetryPolicy(_Answer):
    """A flow's own retry policy (set on the v1 surface); a part left unset follows the sandbox's schedule."""

    maxAttempts: int = Field(default=None, ge=1, description="attempts of a delivery in all; present when set")  # noqa: N815
    backoffSeconds: float = Field(default=None, ge=0, description="seconds between attempts; present when set")  # noqa: N815


class Flow(_Answer):
    """A delivery flow. ``description`` is present only when set; ``targets`` only on a fan-out flow;
    ``retryPolicy`` only when the flow has its own."""

    id: str
    name: str
    source: str = Field(description="the ingester the flow delivers from")
    target: FlowTarget = Field(description="the flow's (first) target")
    targets: list[FlowTarget] = Field(
        default=None, min_length=2, description="present only on a fan-out flow: all its targets, in order"
    )
    status: Literal[FLOW_STATUSES]  # type: ignore[valid-type]
    description: str = Field(default=None, description="present only when set")
    retryPolicy: RetryPolicy = Field(default=None, description="present only when the flow has its own")  # noqa: N815
    createdAt: Timestamp  # noqa: N815
    updatedAt: Timestamp  # noqa: N815


class Attempt(_Answer):
    """One delivery attempt of an event to a target."""

    id: str
    flowId: str  # noqa: N815
    eventId: str  # noqa: N815
    targetId: str  # noqa: N815
    attemptNumber: int = Field(ge=1)  # noqa: N815
    trigger: Literal[ATTEMPT_TRIGGERS]  # type: ignore[valid-type]
    status: Literal[ATTEMPT_STATUSES]  # type: ignore[valid-type]
    responseStatus: int | None = Field(description="the target's HTTP status; null while pending or without answer")  # noqa: N815
    errorCode: str | None = Field(  # noqa: N815
        description=f"why no answer came (e.g. {', '.join(ERROR_CODES)}, connection_error, flow_deleted, "
        "invalid_url, destination_not_loopback, expired); null otherwise"
    )
    latencyMs: int | None = Field(description="how long the attempt took; null while pending")  # noqa: N815
    createdAt: Timestamp  # noqa: N815
    nextAttemptAt: Timestamp | None = Field(  # noqa: N815
        description="when the delivery's next automatic attempt is due (sandbox only), for a failed attempt that is "
        "its delivery's latest while that retry waits in the queue (not held, its flow active); null otherwise. "
        "The dead letters are the latest attempts that failed with nextAttemptAt null: no retry is left"
    )


class QueuedDelivery(_Answer):
    """One delivery an ingested event started: queued now, or held while its flow is paused."""

    flowId: str  # noqa: N815
    targetId: str  # noqa: N815
    state: Literal["queued", "held"]


class EventAccepted(_Answer):
    """``202``: the event is stored and its deliveries are queued (or held)."""

    id: str
    ingesterId: str  # noqa: N815
    createdAt: Timestamp  # noqa: N815
    deliveries: list[QueuedDelivery]


class BatchRetryItem(_Answer):
    """What a batch retry did with one id, in the order given."""

    attemptId: str  # noqa: N815
    status: Literal["queued", "skipped", "not_found"] = Field(
        description="queued: its delivery is retried; skipped: a repeat, delivered, pending, superseded by a later "
        "attempt, or its flow deleted; not_found: no attempt of this id on this plane"
    )
    retryAttemptId: str = Field(default=None, description="the new attempt (trigger manual); present only when queued")  # noqa: N815


class BatchRetried(_Answer):
    """``202``: how many deliveries were queued, and what became of each id."""

    queued: int = Field(ge=0)
    attempts: list[BatchRetryItem]


class _Page(_Answer):
    """A page of a list: its items under the resource's key, then the cursor fields."""

    hasMore: bool  # noqa: N815
    nextCursor: str | None = Field(description="pass as cursor for the next page; null when hasMore is false")  # noqa: N815


class _CountedPage(_Page):
    """A page of a list that also says how many items match its filters, on its first page."""

    total: int = Field(
        default=None,
        ge=0,
        description="how many items match the filters across all pages; on the first page only (the request "
        "without a cursor), absent on the others: a loader knows the end of a long list from its first answer",
        examples=[7875],
    )


class PlaneList(_Page):
    """A page of planes."""

    clusters: list[Plane]


class AdapterList(_Page):
    """A page of adapters."""

    adapters: list[Adapter]


class IngesterList(_Page):
    """A page of ingesters."""

    ingesters: list[Ingester]


class TargetList(_CountedPage):
    """A page of targets."""

    destinations: list[Target]


class FlowList(_CountedPage):
    """A page of delivery flows."""

    deliveryFlows: list[Flow]  # noqa: N815


class AttemptList(_CountedPage):
    """A page of delivery attempts."""

    deliveryAttempts: list[Attempt]  # noqa: N815


class Health(_Answer):
    """``GET /health``."""

    status: Literal["ok"]
    service: str
    version: str


class ResetDone(_Answer):
    """``POST /_sandbox/reset``: the database holds the seed again."""

    reset: Literal[True]
    tenantId: str = Field(description="the demo tenant")  # noqa: N815


class CreatedTenant(_Answer):
    """``POST /_sandbox/tenants``: the new tenant and its API token (shown once)."""

    id: str
    name: str
    plan: Literal[PLANS]  # type: ignore[valid-type]
    token: str = Field(description="the tenant's API token: shown only here")
    createdAt: Timestamp  # noqa: N815


class Outcome(_Answer):
    """How a simulated target answers."""

    targetId: str  # noqa: N815
    successRate: float  # noqa: N815
    latencyMs: float  # noqa: N815
    latencySpread: float  # noqa: N815
    failures: list[int | str]


class RetrySchedule(_Answer):
    """The automatic retry schedule: seconds after attempt 1, 2, ...; one attempt more than delays."""

    retrySchedule: list[float]  # noqa: N815
    maxAttempts: int  # noqa: N815


class StoredOutcome(_Answer):
    """An outcome model set for one target."""

    tenantId: str  # noqa: N815
    planeId: str  # noqa: N815
    targetId: str  # noqa: N815
    successRate: float  # noqa: N815
    latencyMs: float  # noqa: N815
    latencySpread: float  # noqa: N815
    failures: list[int | str]


class DeliveryOverview(RetrySchedule):
    """``GET /_sandbox/delivery``: the retry schedule, and every outcome model set per target."""

    outcomes: list[StoredOutcome]


class Simulation(_Answer):
    """``POST /_sandbox/simulate``: what was written."""

    tenantId: str  # noqa: N815
    events: int
    attempts: int
    flows: int
    start: Timestamp
    end: Timestamp
    seed: int


class Clock(_Answer):
    """``GET /_sandbox/clock``: the scope's waiting deliveries (not held by a paused flow)."""

    queued: int = Field(ge=0, description="deliveries waiting, not held")
    dueNow: int = Field(ge=0, description="of them, due now (the engine is making or about to make them)")  # noqa: N815
    nextDueAt: Timestamp | None = Field(description="when the next one not yet due is due; null when none is")  # noqa: N815


class ClockAdvanced(Clock):
    """``POST /_sandbox/clock``: the clock advanced, and the scope's queue after it."""

    advancedSeconds: float = Field(gt=0, description="the seconds advanced, as asked")  # noqa: N815
    moved: int = Field(ge=0, description="deliveries brought forward (those not due yet)")


class Joined(_Answer):
    """``POST /_sandbox/class/join``: the trainee's own tenant and token (sent with ``Cache-Control: no-store``)."""

    trainee: str
    tenantId: str  # noqa: N815
    planeId: str  # noqa: N815
    adapterId: str  # noqa: N815
    token: str = Field(description="the trainee's API token (ZEN_API_TOKEN)")


JoinCodeShown = Annotated[str, Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", examples=["K7QM-3XPD"])]


class ClassTrainee(_Answer):
    """A trainee of the class, as the trainer's roster shows it (no token)."""

    trainee: str
    tenantId: str  # noqa: N815
    joinCode: JoinCodeShown | None = Field(description="XXXX-XXXX; null once revoked")  # noqa: N815
    joined: bool
    joinedAt: Timestamp | None = Field(description="the first join; null before it")  # noqa: N815


class ClassTraineeList(_Answer):
    """``GET /_sandbox/class/trainees``: every trainee, in roster order."""

    trainees: list[ClassTrainee]


class EnrolledTrainee(_Answer):
    """A trainee just added, with its token (shown here and in the roster CSV only)."""

    trainee: str
    tenantId: str  # noqa: N815
    token: str
    joinCode: JoinCodeShown  # noqa: N815


class EnrolledTrainees(_Answer):
    """``POST /_sandbox/class/trainees``: the trainees added (none when every name was there already)."""

    trainees: list[EnrolledTrainee]


class ClassReset(_Answer):
    """A class reset: the trainees whose tenants are back to their seed."""

    reset: list[str]


class TraineeCode(_Answer):
    """A trainee's join code after a revoke (null) or a new code."""

    trainee: str
    joinCode: JoinCodeShown | None  # noqa: N815


class ExerciseProgress(_Answer):
    """One exercise of one trainee: whether it has passed (and first when), and the checks so far."""

    passed: bool
    passedAt: Timestamp | None  # noqa: N815
    checks: int = Field(ge=0)
    lastCheckedAt: Timestamp | None  # noqa: N815


class TraineeProgress(_Answer):
    """A trainee's progress: every exercise of the session, by name."""

    trainee: str
    tenantId: str  # noqa: N815
    joined: bool
    exercises: dict[str, ExerciseProgress]


class ClassProgress(_Answer):
    """``GET /_sandbox/class/progress``: the exercises in session order, every trainee in roster order."""

    exercises: list[str]
    trainees: list[TraineeProgress]


class ExerciseInfo(_Answer):
    """An exercise of the session."""

    name: str
    title: str
    task: str
    prepared: bool = Field(description="whether it needs material on the tenant first (the prepare operation)")


class ExerciseList(_Answer):
    """``GET /_sandbox/class/exercises``: the exercises in session order."""

    exercises: list[ExerciseInfo]


class CheckResult(_Answer):
    """An exercise's check on the caller's tenant: the verdict, what was found, a hint when it failed."""

    exercise: str
    passed: bool
    message: str
    hint: str | None
    passedAt: Timestamp | None = Field(description="when it first passed; null if it never has")  # noqa: N815
    checks: int = Field(ge=1)


class Prepared(_Answer):
    """An exercise's starting material on the caller's tenant."""

    exercise: str
    prepared: bool = Field(description="false when it was there already, or when the exercise needs none")
    message: str


class FaultRule(_Answer):
    """A fault rule in force, with ``hits`` (faults applied) and ``matched`` (requests that matched)."""

    id: str
    probability: float
    status: int | None
    retryAfterSeconds: int  # noqa: N815
    latencyMs: int  # noqa: N815
    latencySpreadMs: int  # noqa: N815
    afterCommit: bool  # noqa: N815
    drop: bool
    methods: list[str]
    path: str | None
    tenant: str | None
    count: int | None
    seed: int | None
    hits: int
    matched: int


class FaultRuleList(_Answer):
    """``GET /_sandbox/faults``: the rules in force, oldest first, and the seed of those without one."""

    seed: int | None
    rules: list[FaultRule]


class FaultSeed(_Answer):
    """``PUT /_sandbox/faults``: the seed now in force (null: random)."""

    seed: int | None


MODELS: tuple[type[BaseModel], ...] = (
    Error,
    Problem,
    Tenant,
    Plane,
    PlaneList,
    Adapter,
    AdapterList,
    Ingester,
    IngesterList,
    Target,
    TargetList,
    Flow,
    FlowList,
    Attempt,
    AttemptList,
    BatchRetried,
    EventAccepted,
    Health,
    ResetDone,
    CreatedTenant,
    Outcome,
    RetrySchedule,
    DeliveryOverview,
    Simulation,
    Clock,
    ClockAdvanced,
    FaultRule,
    FaultRuleList,
    FaultSeed,
    Joined,
    ClassTraineeList,
    EnrolledTrainees,
    ClassReset,
    TraineeCode,
    ClassProgress,
    ExerciseList,
    CheckResult,
    Prepared,
)
