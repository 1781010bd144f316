"""pydantic's complaints about a request, as the API's one 400: the field, the problem, the fix.

FastAPI would answer 422 with its own shape; the contract answers 400 ``invalid_field``,
``missing_field``, ``unknown_field`` or ``invalid_json`` in the one error shape.
"""

from __future__ import annotations

import json
from typing import Any

from ..vocabulary import MAX_PAGE_SIZE
from .errors import ApiError


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_to_api_error(errors: Any, content_type: str | None, max_limit: int = MAX_PAGE_SIZE) -> ApiError:
    """Turn pydantic's first complaint into one 400 that names the field and the fix (``max_limit``:
    the largest page of the form asked, which a bad ``limit``'s message names)."""
    first = errors[0]
    kind, loc = first["type"], tuple(first["loc"])
    where, rest = loc[0] if loc else "body", loc[1:]
    if kind == "json_invalid":
        detail = first.get("ctx", {}).get("error", "")
        return ApiError(400, "invalid_json", f"the request body is not valid JSON ({detail}); fix its syntax")
    if where == "query":
        field = _field_path(rest)
        if field == "limit":
            return ApiError(400, "invalid_field", f"limit must be a whole number from 1 to {max_limit}", field="limit")
        return ApiError(400, "invalid_field", f"query parameter {field}: {_message(first)}", field=field)
    if where == "body" and not rest:
        if kind == "string_unicode":
            return ApiError(
                400,
                "invalid_json",
                "a field name holds a lone surrogate escape (\\ud800-\\udfff); send valid Unicode text",
            )
        if kind == "missing":
            return ApiError(400, "invalid_json", "the request needs a JSON body; send a JSON object")
        if not content_type:
            return ApiError(
                400, "invalid_json", "the request has no Content-Type; send 'Content-Type: application/json'"
            )
        if "json" not in content_type.lower():
            return ApiError(
                400,
                "invalid_json",
                f"the body was sent as '{content_type}'; send JSON with 'Content-Type: application/json'",
            )
        return ApiError(400, "invalid_json", "the request body must be a JSON object ({...})")
    field = _field_path(rest) if where == "body" else _field_path(loc)
    if kind == "missing":
        return ApiError(400, "missing_field", f"'{field}' is required", field=field)
    if kind == "extra_forbidden":
        return ApiError(400, "unknown_field", f"'{field}' is not a field of this request; remove it", field=field)
    message = _null_message(field, first) or f"{field}: {_message(first)}"
    return ApiError(400, "invalid_field", message, field=field)


# pydantic's words for a wrongly typed value, as the fix: what to send instead.
_EXPECTED = {
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "model_type": "must be a JSON object ({...})",
    "model_attributes_type": "must be a JSON object ({...})",
    "dict_type": "must be a JSON object ({...})",
    "list_type": "must be a JSON array ([...])",
}
_BOUNDS = {"ge": "at least", "le": "at most", "gt": "greater than", "lt": "less than"}


def _shown(value: Any) -> str:
    """A value as the client wrote it (JSON), cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(error: dict[str, Any]) -> str:
    """pydantic's message, in the API's words: lengths of text in characters, of lists in items."""
    kind, limits, value = error.get("type", ""), error.get("ctx") or {}, error.get("input")
    unit = "characters" if isinstance(value, str) else "items"
    if kind in ("too_long", "string_too_long") and "max_length" in limits and hasattr(value, "__len__"):
        return f"must be at most {limits['max_length']} {unit}; got {len(value)}"
    if kind in ("too_short", "string_too_short") and "min_length" in limits and hasattr(value, "__len__"):
        least = limits["min_length"]
        return f"must be at least {least} {unit if least != 1 else unit[:-1]}; got {len(value)}"
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}; got {_shown(value)}"
    if kind == "literal_error" and "expected" in limits:
        return f"must be {limits['expected']}; got {_shown(value)}"
    for bound, words in _BOUNDS.items():
        if bound in limits:
            return f"must be {words} {_bound(limits[bound])}; got {_shown(value)}"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def _null_message(field: str, error: dict[str, Any]) -> str | None:
    """The fix for a ``null`` where the field takes none; None if the value was not null."""
    if "input" not in error or error["input"] is not None:
        return None
    if error["type"] == "null_refused":
        return f"{field} cannot be null; leave it out {error['ctx']['leave_out']}"
    if error["type"] in _EXPECTED or error["type"] == "literal_error":
        expected = _message({**error, "input": "x"}).partition(";")[0]
        return f"{field} cannot be null: it {expected}"
    return None


def _bound(limit: float) -> str:
    """A bound as a person writes it: 2592000, not 2.592e+06; 0.01 as 0.01."""
    return str(int(limit)) if float(limit).is_integer() else f"{limit:g}"
