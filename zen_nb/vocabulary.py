"""The contract's vocabulary (``zen-api.md``): the one module that the client and the sandbox share.

The client and the sandbox meet only in the contract, so neither imports the other; the names
both must spell alike live here instead: the ``ZEN_*`` variables, target types, flow and
attempt statuses, attempt triggers, the name rule, the sandbox's default port. The module
imports only the standard library, so reading it costs nothing on either side (``tests/test_architecture.py``
keeps it so).
"""

from __future__ import annotations

import re

VERSION = "0.1.0"  # the kit's version: the client's User-Agent, the sandbox's /health and OpenAPI

# The environment of a recipe (contract section 1), in the order its Prerequisites list them.
ENV_API_BASE = "ZEN_API_BASE"
ENV_API_TOKEN = "ZEN_API_TOKEN"  # a secret: never printed, logged or saved
ENV_TENANT_ID = "ZEN_TENANT_ID"
ENV_PLANE_ID = "ZEN_PLANE_ID"
ENV_ADAPTER_ID = "ZEN_ADAPTER_ID"
ENV_VARIABLES = (ENV_API_BASE, ENV_API_TOKEN, ENV_TENANT_ID, ENV_PLANE_ID, ENV_ADAPTER_ID)

# The sandbox's admin token for `zen-nb sandbox` and `zen-nb lab`: a secret, read from the
# environment (or a file) so that it is never on a command line, where `ps` shows it to every user.
ENV_SANDBOX_ADMIN_TOKEN = "ZEN_SANDBOX_ADMIN_TOKEN"

SANDBOX_HOST = "127.0.0.1"
SANDBOX_PORT = 8765  # where `zen-nb sandbox` listens and where the kit looks for one

TARGET_TYPES = ("stripe", "http", "slack", "s3")
FLOW_STATUSES = ("active", "paused")
ATTEMPT_STATUSES = ("succeeded", "failed", "pending")
# initial: the first attempt; automatic: a retry on the schedule; manual: `.../retry`;
# resume: the first attempt of an event held while its flow was paused.
ATTEMPT_TRIGGERS = ("initial", "automatic", "manual", "resume")
PLANS = ("free", "team", "business_plus")
FAN_OUT_PLAN = "business_plus"  # the plan on which a flow may have several targets

NAME_RULE = "1 to 64 characters of lowercase letters, digits and '-', starting with a letter"
NAME_MAX_LENGTH = 64
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,63}$"  # the same rule, for JSON Schema and for re.fullmatch
NAME_RE = re.compile(NAME_PATTERN)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 250
