"""What to do about an API error, in the words of the recipe's "Common Errors".

The API's own message says what went wrong; these say where the user fixes it (which
``ZEN_*`` variable, which call lists the valid ids).
"""

from __future__ import annotations

from .hints import NEW_CLIENT, SANDBOX_COMMAND, SETUP_FORM, START_SANDBOX_PYTHON, code

BY_CODE = {
    "delivery_queue_full": (
        "This tenant's delivery queue is full: wait for Retry-After, find the slow or failing target "
        "(attempts with status='failed'), and pause or delete the flows you do not need."
    ),
    "plane_not_found": "The plane ID does not exist: check ZEN_PLANE_ID (`client.list_planes()` lists your planes).",
    "ingester_not_found": (
        "The ingester ID does not exist: check the flow's source "
        "(`client.list_ingesters()` lists the plane's ingesters)."
    ),
    "target_not_found": "The target does not exist on this plane: `client.list_targets()` lists them.",
    "flow_not_found": (
        "The flow does not exist on this plane (was it deleted, or is it on another plane? check ZEN_PLANE_ID "
        "or pass plane=...): `client.list_flows()` lists them."
    ),
    "tenant_not_found": "The tenant does not exist: check ZEN_TENANT_ID.",
    "attempt_not_found": (
        "The delivery attempt does not exist on this plane (is it on another plane? pass plane=...): "
        "`client.list_attempts()` lists them."
    ),
    # The message already says the name is taken, and on which plane: the fix adds only the ways out.
    "flow_name_conflict": (
        "Pick a name not in use (`client.list_flows()` lists the names taken), or change the existing flow "
        "with client.update_flow instead of creating a second one."
    ),
    "target_name_conflict": (
        "Pick a name not in use (`client.list_targets()` lists the names taken), or reuse the existing target."
    ),
    "target_in_use": "A flow still uses this target: delete those flows, or point them at another target first.",
    "no_active_flow": (
        "Simulated traffic is delivered by active flows: create a flow (or resume a paused one) on the plane, or "
        "pass flows=[...] naming active ones, then simulate again."
    ),
    "nothing_to_retry": (
        "Only a delivery's latest failed attempt can be retried: one that was delivered, is still pending or was "
        "followed by another attempt has nothing to retry (list_attempts with status='failed' lists the failed ones)."
    ),
    "cluster_id_required": (
        "The flow's source and destination are on more than one plane: name the plane with cluster_id in the body."
    ),
    "ambiguous_credentials": (
        "The request sent two different tokens (Authorization and X-API-Key): send one of them, or the same token."
    ),
    "target_type_mismatch": "Invalid flow configuration: set target type to the type of the target you name.",
    "plan_upgrade_required": (
        "Single target per flow: create one flow per target; fan-out to several targets needs the Business+ plan."
    ),
    "forbidden": "The token belongs to another tenant: check that ZEN_TENANT_ID and ZEN_API_TOKEN belong together.",
    "unauthenticated": (
        "Check ZEN_API_TOKEN: it must be a valid API token of your tenant. Enter another in the form of "
        f"{code(SETUP_FORM)}, not in a cell: IPython keeps the code of every cell in its history."
    ),
    "join_code_not_found": (
        "Check the join code with your trainer (8 letters and digits, shown as XXXX-XXXX), then join again: "
        "wrong codes count towards a limit of 10 a minute for everyone on your network."
    ),
    "join_code_revoked": "Your trainer revoked this join code: ask them for a new one, then join with it.",
    "exercise_not_found": (
        "Use one of the names in the message: `zen_nb.exercises.names()` lists the exercises in the order of "
        "the session."
    ),
    "exercise_material_unavailable": (
        "Ask your trainer to reset your tenant: a reset brings back the seed that the exercise's material needs."
    ),
    "idempotency_key_reused": "Use a new Idempotency-Key for a different request.",
    "idempotency_key_in_use": "A request with this Idempotency-Key is still running: wait for it, then retry.",
    "idempotency_answer_lost": (
        "The call was carried out before the API stopped, and only its answer was lost: do not call it again; "
        "read the result instead (`client.list_flows()`, `client.list_targets()`)."
    ),
    "payload_too_large": "Send a body under 1 MiB.",
    "rate_limited": "Too many requests: wait for the time in Retry-After, then retry.",
    "source_immutable": "A flow's source is fixed: create a new flow for the other source.",
    "type_immutable": "A target's type is fixed: create a new target of the other type, and point flows at it.",
    "missing_field": "Add the field named in the message: the API's reference lists what each request needs.",
    "unknown_field": "Remove the field named in the message (check its spelling): the API accepts no other fields.",
    "invalid_json": "Send the body as one JSON object (requests: json=..., curl: -d '{...}' with valid JSON).",
    "invalid_cursor": "Pass back the nextCursor of the previous page unchanged, or start again without a cursor.",
    "invalid_idempotency_key": "Use an Idempotency-Key of 1 to 255 printable characters, e.g. a UUID.",
}

BY_STATUS = {
    400: "Invalid flow configuration: correct the field named in the message.",
    401: BY_CODE["unauthenticated"],
    403: "The token may not do this: check ZEN_TENANT_ID and ZEN_API_TOKEN, and your plan.",
    404: "Check the ids in the request: ZEN_TENANT_ID, ZEN_PLANE_ID and the ids you passed.",
    409: "The request conflicts with what exists: read the message, then change the request.",
    413: BY_CODE["payload_too_large"],
    422: "The request is well formed but not valid: correct the field named in the message.",
    429: BY_CODE["rate_limited"],
}


def fix_for(status: int, code: str | None, path: str = "") -> str:
    """The fix for an API error: by its code when known, else by its status.

    A 400 on a target's path speaks of the target's configuration, not the recipe's "flow".
    """
    if code and code.lower() in BY_CODE:  # a service may spell the code in capitals (PAYLOAD_TOO_LARGE)
        return BY_CODE[code.lower()]
    if status == 400 and ("/targets" in path or "/destinations" in path):
        return BY_STATUS[400].replace("flow", "target")
    if status >= 500:
        return "The server had a fault: retry later; if it persists, report the request id."
    return BY_STATUS.get(status, "")


def slow_answer_fix(read_timeout: float) -> str:
    """The fix when the API took a request but answered later than the client waits."""
    longer = max(60, int(read_timeout * 4))
    return (
        f"The API is up but answered later than the {read_timeout:g} s this client waits: call again later "
        "(a create called again with the same idempotency_key= cannot make a second one), or wait longer "
        f"with {code(f'client = zen_nb.ZenClient(timeout=(5, {longer}))')}."
    )


def connection_fix(base_url: str) -> str:
    """The fix when nothing answers at the API base: each way out runs as printed (see :mod:`.hints`)."""
    return (
        f"Nothing answers at {base_url}: start the local sandbox with {code(SANDBOX_COMMAND)} in a terminal and "
        f"paste the export lines it prints; or in Python run {code(START_SANDBOX_PYTHON)} "
        f"and then {code(NEW_CLIENT)}; or check ZEN_API_BASE if you meant the real service."
    )
