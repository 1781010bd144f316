"""Request bodies of the API as pydantic models: the rules of the contract, checked in one place.

Every body is strict: a JSON value of the wrong type is refused, never converted (``{"seed": 0}``
is not ``false``, ``"3"`` and ``1.5`` are not whole numbers; a whole number is a number). Unknown
fields are refused (a misspelt ``descripton`` should not vanish silently), and every string must
be valid Unicode text (a lone surrogate in JSON cannot be stored or echoed).

A field that may be left out but not set to ``null`` is typed without ``None`` and given the
default ``None`` that stands for "left out": pydantic does not validate defaults, so an explicit
``null`` is refused (by :data:`KEEP` or :data:`DEFAULT`, whose message says to leave the field
out), and the served JSON Schema says the same (no ``null``, no ``default``).
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..vocabulary import FLOW_STATUSES, NAME_MAX_LENGTH, NAME_PATTERN, NAME_RE, NAME_RULE, PLANS, TARGET_TYPES
from .data.clock import MAX_ADVANCE_S
from .data.flows import MAX_ATTEMPTS, MAX_BACKOFF_SECONDS
from .data.retries import MAX_BATCH
from .destinations import URL_PATTERN, url_problem
from .join_codes import CODE_PATTERN, MAX_INPUT_LENGTH
from .outcomes import ERROR_CODES
from .trainee_names import TRAINEE_NAME_PATTERN, name_problem

__all__ = [
    "NAME_RULE",
    "DeliverySettings",
    "FlowCreate",
    "FlowUpdate",
    "JoinRequest",
    "OutcomeSettings",
    "SimulateRequest",
    "TargetCreate",
    "TargetRef",
    "TargetUpdate",
    "TenantCreate",
    "TraineeReset",
    "TraineesCreate",
]

TargetType = Literal[TARGET_TYPES]  # type: ignore[valid-type]
FlowStatus = Literal[FLOW_STATUSES]  # type: ignore[valid-type]
Plan = Literal[PLANS]  # type: ignore[valid-type]

LEFT_OUT = "left out: keeps the current value; null is refused"


def _refuse_null(leave_out: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is None:
            raise PydanticCustomError(
                "null_refused", "cannot be null; leave it out {leave_out}", {"leave_out": leave_out}
            )
        return value

    return BeforeValidator(check)


KEEP = _refuse_null("to keep its current value")  # a PATCH field: left out, it keeps its value
DEFAULT = _refuse_null("for the default")  # an optional field whose absence means a default


def _unicode_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate escape)") from None
    return value


def _name(value: str) -> str:
    if not NAME_RE.fullmatch(value):
        shown = value if len(value) <= 70 else value[:67] + "..."
        raise ValueError(f"a name must be {NAME_RULE}; got {shown!r}")
    return value


def _http_url(value: str) -> str:
    """A target URL that every HTTP library reads the same way (see ``destinations.py``), or a 400."""
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[StrictStr, AfterValidator(_unicode_text)]
Ident = Annotated[Text, Field(min_length=1, max_length=128)]
Name = Annotated[
    StrictStr,
    AfterValidator(_name),
    Field(json_schema_extra={"pattern": NAME_PATTERN, "minLength": 1, "maxLength": NAME_MAX_LENGTH}),
]
Description = Annotated[Text, Field(max_length=1000)]
URL_SCHEMA = {"format": "uri", "pattern": URL_PATTERN, "maxLength": 2048}
Url = Annotated[
    Text,
    Field(max_length=2048, json_schema_extra={"format": "uri", "pattern": URL_PATTERN}),
    AfterValidator(_http_url),
]
Timestamp = Annotated[StrictStr, Field(max_length=64, json_schema_extra={"format": "date-time"})]


def _whole(value: Any) -> Any:
    """JSON has one kind of number: ``3.0`` is the whole number 3 (as JSON Schema's ``integer`` says)."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# A whole number, strictly: 3 or 3.0, never 1.5, "3" or true.
Whole = Annotated[int, BeforeValidator(_whole)]


def _whole_in(low: int, high: int) -> Any:
    """A whole number from ``low`` to ``high``, with the bounds in the served schema (``Whole`` with a
    ``Field(ge=...)`` on top puts them there as unknown ``ge``/``le`` keywords, which no validator reads)."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole)]


def _complete_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """No ``"default": null`` where ``None`` only means "left out"; then the model's cross-field rules."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]
    schema.update(copy.deepcopy(getattr(model, "json_rules", {})))
    props = schema.get("properties", {})
    if "target" in props and "targets" in props:  # a flow's "target": [...] is read as "targets"
        listed = {key: value for key, value in props["targets"].items() if key not in ("title", "description")}
        props["target"]["anyOf"] = [{"$ref": props["target"].pop("$ref")}, listed]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_complete_schema)

    # JSON Schema for rules between fields, which the routes check (a 400 when broken).
    json_rules: ClassVar[dict[str, Any]] = {}


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


Targets = Annotated[list[TargetRef], Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True})]


class FlowRetryPolicyBody(_Body):
    """A flow's own retry policy (``retryPolicy``), as v1's ``config.retry_policy`` in camelCase:
    either part may be left out (the sandbox's schedule decides it); on a PATCH, a part set to null
    goes back to the schedule."""

    # Whole's validator after the bounds: before them, the schema would lose minimum and maximum.
    maxAttempts: Annotated[int, Field(ge=1, le=MAX_ATTEMPTS), BeforeValidator(_whole)] | None = Field(  # noqa: N815
        default=None, description="attempts of a delivery in all, the first included"
    )
    backoffSeconds: Annotated[float, Field(ge=0.0, le=MAX_BACKOFF_SECONDS)] | None = Field(  # noqa: N815
        default=None, description="seconds between a failed attempt and the next"
    )


class FlowCreate(_Body):
    """``POST .../delivery-flows``: ``target`` (one), or ``targets`` (fan-out, on Business+); not both."""

    json_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [{"required": ["target"]}, {"required": ["targets"]}],
        "not": {"required": ["target", "targets"]},
    }

    name: Name
    source: Ident
    target: Annotated[TargetRef, DEFAULT] = Field(
        default=None, description="the one target; a list here is read as `targets`"
    )
    targets: Annotated[Targets, DEFAULT] = Field(
        default=None, description="fan-out (plan business_plus): several targets"
    )
    description: Description | None = None
    status: FlowStatus = "active"
    retryPolicy: FlowRetryPolicyBody | None = Field(  # noqa: N815
        default=None, description="the flow's own retry policy; left out or null: the sandbox's retry schedule"
    )

    _targets_spelling = model_validator(mode="before")(_list_target_means_targets)

    def target_list(self) -> list[TargetRef]:
        """The one target, or the fan-out's targets (the route checks that exactly one form is given)."""
        return [self.target] if self.target is not None else list(self.targets or [])


class FlowUpdate(_Body):
    """``PATCH .../delivery-flows/{flowId}``: any of the fields; ``source`` only to its current value."""

    json_rules: ClassVar[dict[str, Any]] = {"not": {"required": ["target", "targets"]}}

    name: Annotated[Name, KEEP] = Field(default=None, description=f"a new name; {LEFT_OUT}")
    description: Description | None = Field(default=None, description="a new description; null clears it")
    status: Annotated[FlowStatus, KEEP] = Field(
        default=None, description=f"active resumes the flow, paused holds its events; {LEFT_OUT}"
    )
    target: Annotated[TargetRef, KEEP] = Field(
        default=None, description=f"a new target (a list here is read as `targets`); {LEFT_OUT}"
    )
    targets: Annotated[Targets, KEEP] = Field(
        default=None, description=f"new targets (fan-out, plan business_plus); {LEFT_OUT}"
    )
    source: Annotated[Ident, KEEP] = Field(
        default=None, description="the flow's current source only (a source never changes)"
    )
    retryPolicy: FlowRetryPolicyBody | None = Field(  # noqa: N815
        default=None, description="the parts given replace the flow's own retry policy's; null: the sandbox's schedule"
    )

    _targets_spelling = model_validator(mode="before")(_list_target_means_targets)


# A target's config: any JSON object, bounded so that one target cannot grow the database unchecked.
CONFIG_MAX_KEYS = 50
CONFIG_MAX_BYTES = 16 * 1024


def _config(value: Any) -> Any:
    """A JSON object of at most :data:`CONFIG_MAX_KEYS` keys and :data:`CONFIG_MAX_BYTES` as JSON.

    Its values may be secrets (``apiKey``, ``webhookSecret``): no message here quotes any of it.
    """
    if not isinstance(value, dict):
        raise PydanticCustomError("config_type", "must be a JSON object ({...})")
    if len(value) > CONFIG_MAX_KEYS:
        raise PydanticCustomError(
            "config_too_many_keys",
            "has {count} keys; a target's config holds at most {most}",
            {"count": len(value), "most": CONFIG_MAX_KEYS},
        )
    try:
        # As the answer will send it back: UTF-8, finite numbers only (Python's JSON reads NaN).
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (ValueError, RecursionError):
        # ValueError covers NaN/Infinity and UnicodeEncodeError (a lone surrogate escape).
        raise PydanticCustomError(
            "config_unsendable",
            "must hold JSON text and finite numbers only (no NaN or Infinity, no lone surrogate escape "
            "\\ud800-\\udfff, no nesting deeper than JSON parsers read)",
        ) from None
    if size > CONFIG_MAX_BYTES:
        raise PydanticCustomError(
            "config_too_large",
            "is {size} bytes as JSON; a target's config holds at most {most} bytes",
            {"size": size, "most": CONFIG_MAX_BYTES},
        )
    return value


Config = Annotated[
    Any,
    BeforeValidator(_config),
    Field(
        json_schema_extra={
            "type": "object",
            "maxProperties": CONFIG_MAX_KEYS,
            "description": f"the target's settings (e.g. apiKey, webhookSecret; an http target's url), any "
            f"JSON object of at most {CONFIG_MAX_KEYS} keys and {CONFIG_MAX_BYTES} bytes; echoed in answers",
        }
    ),
]
TargetStatus = Literal["active", "disabled"]


class TargetCreate(_Body):
    """``POST .../destinations``. A target of type ``http`` needs a ``url`` (or ``config.url``)."""

    json_rules: ClassVar[dict[str, Any]] = {
        "if": {"properties": {"type": {"const": "http"}}, "required": ["type"]},
        "then": {
            "anyOf": [
                {"properties": {"url": {"type": "string"}}, "required": ["url"]},
                {
                    "properties": {
                        "config": {
                            "type": "object",
                            "properties": {"url": {"type": "string", **URL_SCHEMA}},
                            "required": ["url"],
                        }
                    },
                    "required": ["config"],
                },
            ]
        },
    }

    name: Name
    type: TargetType
    url: Url | None = Field(
        default=None, description="where an http target delivers; required for type http unless config.url is set"
    )
    config: Annotated[Config, DEFAULT] = Field(default=None, description="the target's settings; {} when left out")
    description: Description | None = None


class TargetUpdate(_Body):
    """``PATCH .../targets/{targetId}``. The type is fixed; send it only with its current value."""

    name: Annotated[Name, KEEP] = Field(default=None, description=f"a new name; {LEFT_OUT}")
    url: Url | None = Field(
        default=None, description="a new URL; null clears it, except on a target of type http (400: it needs one)"
    )
    description: Description | None = Field(default=None, description="a new description; null clears it")
    type: Annotated[TargetType, KEEP] = Field(
        default=None, description="the target's current type only (a type never changes)"
    )
    config: Annotated[Config, KEEP] = Field(default=None, description=f"a new config, replacing the old; {LEFT_OUT}")
    status: Annotated[TargetStatus, KEEP] = Field(
        default=None, description=f"disabled stops the target's deliveries, active resumes them; {LEFT_OUT}"
    )


class TenantCreate(_Body):
    """``POST /_sandbox/tenants``: a tenant for a trainee or a test; ``seed`` gives it the standard objects."""

    name: Annotated[Text, Field(min_length=1, max_length=200)] = "sandbox tenant"
    plan: Plan = "team"
    seed: bool = True


def _failure(value: Any) -> int | str:
    """One way a simulated target fails: an HTTP status from 400 to 599, or an error code."""
    value = _whole(value)
    if type(value) is int and 400 <= value <= 599:
        return value
    if isinstance(value, str) and value in ERROR_CODES:
        return value
    codes = ", ".join(f"'{code}'" for code in ERROR_CODES)
    raise ValueError(f"must be an HTTP status from 400 to 599 or one of {codes}")


# One validator, not a union: a wrong value gets one error that names it, not one per member.
Failure = Annotated[
    Any,
    PlainValidator(_failure),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 400, "maximum": 599}, {"enum": list(ERROR_CODES)}]}),
]


class OutcomeSettings(_Body):
    """``PUT /_sandbox/.../targets/{targetId}/outcome``: how a simulated target answers."""

    successRate: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0  # noqa: N815 - the API's camelCase
    latencyMs: Annotated[float, Field(gt=0.0, le=600_000.0)] = 120.0  # noqa: N815
    latencySpread: Annotated[float, Field(ge=0.0, le=3.0)] = 0.35  # noqa: N815
    failures: Annotated[list[Failure], Field(min_length=1, max_length=20), DEFAULT] = Field(
        default=None, description="what a failed attempt answers, drawn at random; left out: the target type's usual"
    )


class DeliverySettings(_Body):
    """``PUT /_sandbox/delivery``: the automatic retry schedule (seconds after attempt 1, 2, ...)."""

    retrySchedule: Annotated[list[Annotated[float, Field(ge=0.0, le=86_400.0)]], Field(max_length=10)]  # noqa: N815


class AttemptBatchRetry(_Body):
    """``POST .../delivery-attempts/retry``: retry attempts by id, as v1's ``/retry/batch`` does."""

    attemptIds: Annotated[list[Ident], Field(min_length=1, max_length=MAX_BATCH)] = Field(  # noqa: N815
        description=f"the attempts to retry, 1 to {MAX_BATCH} ids; a delivery's latest failed attempt is retried"
    )


class ClockAdvance(_Body):
    """``POST /_sandbox/clock``: bring the delivery queue N seconds forward."""

    advanceSeconds: Annotated[float, Field(gt=0.0, le=MAX_ADVANCE_S)] = Field(  # noqa: N815
        description="seconds to advance the delivery clock: what is due within them is due now, the rest comes "
        "as much sooner (at most 30 days)"
    )
    tenantId: Annotated[Ident, DEFAULT] = Field(  # noqa: N815
        default=None, description="only this tenant's deliveries; left out: every tenant (admin token) or your own"
    )


class SimulateRequest(_Body):
    """``POST /_sandbox/simulate``: N events over D days of simulated time, with a seed."""

    tenantId: Annotated[Ident, DEFAULT] = Field(
        default=None, description="the tenant (admin token only; default: the demo tenant)"
    )  # noqa: N815
    planeId: Annotated[Ident, DEFAULT] = Field(
        default=None, description="only this plane's flows; left out: every plane"
    )  # noqa: N815
    # Only these flows (active, of this tenant): a recipe analyses its own fleet without writing
    # simulated history onto the flows a user made elsewhere.
    flowIds: Annotated[list[Ident], Field(min_length=1, max_length=1000), DEFAULT] = Field(  # noqa: N815
        default=None, description="only these active flows; left out: every active flow"
    )
    events: _whole_in(1, 200_000) = 1000
    days: Annotated[float, Field(ge=0.01, le=90.0)] = 7.0
    seed: Whole = 0
    failureRate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05  # noqa: N815
    start: Annotated[Timestamp, DEFAULT] = Field(
        default=None, description="when the history starts; left out: midnight UTC, days ago"
    )


# A join code is taken as any JSON value and read by the route (``classroom.join``): a wrong one,
# whatever its type, counts as a failed join, and no complaint of pydantic echoes it back.
JoinCode = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CODE_PATTERN,
            "maxLength": MAX_INPUT_LENGTH,
            "description": "the trainee's join code, XXXX-XXXX (case, dashes and spaces do not matter)",
            "examples": ["K7QM-3XPD"],
        }
    ),
]


class JoinRequest(_Body):
    """``POST /_sandbox/class/join``: the join code a trainee was given."""

    code: JoinCode


def _trainee_name(value: Any) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


TraineeName = Annotated[
    StrictStr,
    AfterValidator(_trainee_name),
    Field(json_schema_extra={"pattern": TRAINEE_NAME_PATTERN, "minLength": 1, "maxLength": 64}),
]
MAX_NEW_TRAINEES = 500


class TraineesCreate(_Body):
    """``POST /_sandbox/class/trainees``: trainees by name, or ``count`` numbered ones (trainee-01, ...)."""

    json_rules: ClassVar[dict[str, Any]] = {"oneOf": [{"required": ["names"]}, {"required": ["count"]}]}

    names: Annotated[list[TraineeName], Field(min_length=1, max_length=MAX_NEW_TRAINEES), DEFAULT] = Field(
        default=None, description="names to add; those already in the class (regardless of case) are left as they are"
    )
    # Whole's validator spelled out after the bounds: before them, the schema would lose minimum and maximum.
    count: Annotated[int, Field(ge=1, le=MAX_NEW_TRAINEES), BeforeValidator(_whole), DEFAULT] = Field(
        default=None, description="the class's size: trainee-01 up to trainee-NN, those missing are added"
    )


class TraineeReset(_Body):
    """``POST /_sandbox/class/trainees/{trainee}/reset`` (and ``/_sandbox/class/reset``)."""

    keepProgress: bool = Field(default=False, description="keep the trainee's exercise progress")  # noqa: N815


Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


Status = _whole_in(400, 599)
Millis = _whole_in(0, 60_000)


class FaultRuleCreate(_Body):
    """``POST /_sandbox/faults``: a fault rule (``faults.py`` says what each field does; the route
    checks the rules between fields: a status or drop or latency, not both status and drop,
    afterCommit only with a status or drop)."""

    probability: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    status: Annotated[Status, DEFAULT] = Field(
        default=None, description="the status answered instead of the real one (429 and 503 carry Retry-After)"
    )
    retryAfterSeconds: Annotated[_whole_in(0, 3600), DEFAULT] = Field(  # noqa: N815
        default=None, description="the Retry-After of a 429 or 503 fault, in seconds; left out: 1"
    )
    latencyMs: Millis = 0  # noqa: N815
    latencySpreadMs: Millis = Field(  # noqa: N815
        default=0, description="a uniform draw in [0, latencySpreadMs] added to latencyMs"
    )
    afterCommit: bool = Field(  # noqa: N815
        default=False, description="handle and commit the request first, then replace its answer by the fault"
    )
    drop: bool = Field(default=False, description="close the connection with no answer at all")
    methods: Annotated[list[Method], Field(max_length=7), DEFAULT] = Field(
        default=None, description="the methods it applies to; left out: every method"
    )
    path: Annotated[Text, Field(min_length=1, max_length=500, pattern="^/"), DEFAULT] = Field(
        default=None,
        description="a glob over the whole request path: * within one segment, ** across segments, ? one "
        "character; left out: every path (never /_sandbox/ nor /health)",
        examples=["/tenants/*/clusters/*/delivery-flows"],
    )
    tenant: Annotated[Text, Field(min_length=1, max_length=500), DEFAULT] = Field(
        default=None, description="the tenant id of the request's path; left out: every tenant"
    )
    count: Annotated[_whole_in(1, 1_000_000_000), DEFAULT] = Field(
        default=None, description="only the first count matching requests are considered; left out: no limit"
    )
    seed: Annotated[_whole_in(0, 2**63 - 1), DEFAULT] = Field(
        default=None, description="the rule's own random sequence; left out: the one of PUT /_sandbox/faults"
    )


class FaultSeed(_Body):
    """``PUT /_sandbox/faults``: the seed of the sequence that rules without their own draw from."""

    seed: _whole_in(0, 2**63 - 1) | None = Field(description="null: random again")
