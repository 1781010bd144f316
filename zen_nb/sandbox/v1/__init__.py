"""The vendor's documented v1 API (contract section 8), served over the recipe form's data.

``/v1/tenants/{tenantId}/...``: delivery flows, destinations, deliveries (with the DLQ view)
and retries by hand, snake_case, lists newest first (``listing.py``), errors as RFC 9457
problem details (rendered by ``errors.error_document`` for every path under ``/v1/``). A flow,
destination or attempt is one row whichever form wrote it. Authentication, the rate limit and
idempotency are the recipe form's middlewares, which cover ``/v1/`` paths too.

One module per resource: ``flows``, ``destinations``, ``deliveries``, ``retries``, ``health``;
``models`` (bodies and answers), ``render`` (rows to snake_case), ``listing`` (the envelope).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import deliveries, destinations, flows, health, retries

_TENANT = "/v1/tenants/{tenantId}"
_FLOW_WRITE = {404: ("flow_not_found", "target_not_found"), 409: ("flow_name_conflict",)}
# Each v1 operation's own error codes (beyond what the middlewares answer), for the served document
# (``openapi.py`` adds them to each operation's error answers): (method, path) -> {status: codes}.
OPERATION_ERRORS: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {
    ("post", _TENANT + "/delivery-flows"): {
        400: ("cluster_id_required",),
        404: ("plane_not_found", "ingester_not_found", "target_not_found"),
        409: ("flow_name_conflict",),
    },
    ("get", _TENANT + "/delivery-flows/{flowId}"): {404: ("flow_not_found",)},
    ("put", _TENANT + "/delivery-flows/{flowId}"): {400: ("source_immutable",), **_FLOW_WRITE},
    ("delete", _TENANT + "/delivery-flows/{flowId}"): {404: ("flow_not_found",)},
    ("post", _TENANT + "/destinations"): {404: ("plane_not_found",), 409: ("target_name_conflict",)},
    ("get", _TENANT + "/destinations/{destinationId}"): {404: ("target_not_found",)},
    ("patch", _TENANT + "/destinations/{destinationId}"): {
        400: ("type_immutable",),
        404: ("target_not_found",),
        409: ("target_name_conflict",),
    },
    ("delete", _TENANT + "/destinations/{destinationId}"): {404: ("target_not_found",), 409: ("target_in_use",)},
    ("get", _TENANT + "/deliveries/{deliveryId}"): {404: ("attempt_not_found",)},
    ("post", _TENANT + "/events/{eventId}/retry"): {
        404: ("event_not_found",),
        409: ("nothing_to_retry",),
        429: ("delivery_queue_full",),
    },
    ("post", _TENANT + "/retry/batch"): {429: ("delivery_queue_full",)},
}

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    flows.router,
    destinations.router,
    deliveries.router,
    retries.router,
)

__all__ = ["OPERATION_ERRORS", "ROUTERS"]
