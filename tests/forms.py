"""The two forms of the API a client can speak, for tests that run once in each (see ``zen_nb.dialects``).

The sandbox serves the recipe form at its base URL and the v1 form under ``{base}/v1``, over the
same data; a test parametrized with :data:`FORMS` and built with :func:`client_in` runs against both.
"""

from __future__ import annotations

from zen_nb import ZenClient

from helpers import Api, client_for

FORMS = ("recipe", "v1")

# What each form's attempt adds to the contract's fields (the kit keeps unknown fields): on the recipe form
# the sandbox's nextAttemptAt; on v1 its plane, and for a delivery its own status word and error text.
V1_EXTRA_ATTEMPT_FIELDS = {"recipe": {"nextAttemptAt"}, "v1": {"planeId", "deliveryStatus", "errorMessage"}}


def client_in(api: Api, form: str) -> ZenClient:
    """The demo tenant's client speaking ``form``, chosen as a user chooses it: by ``ZEN_API_BASE``."""
    env = {"ZEN_API_BASE": api.base_url + "/v1"} if form == "v1" else {}
    client = client_for(api, **env)
    assert client.dialect.name == form
    return client
