"""The request a form would send, written out as curl, Python (requests) and JavaScript (fetch).

The snippets follow the published recipe, without its bugs (a missing ``]`` in the Python,
a stray ``"`` and an invalid regex in the JavaScript). They read the token from the
environment (``$ZEN_API_TOKEN``, ``os.environ``, ``process.env``): it is never written out.

Every value in them (the payload, a plane id) may come from a server or a user, and a user
pastes the snippet into a shell or a program: each value is written as a literal of its
language (:mod:`.quoting`), never inside double quotes or a template where a shell or
JavaScript would expand it, so no value can add code. A plane id goes into the URL
percent-encoded, as the client sends it, so the request carries the id itself.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from .quoting import javascript_literal, python_literal, shell_word, url_segment


class _Plane(NamedTuple):
    """How each language writes the plane: the value of its variable, and that variable in the URL."""

    curl_tail: str  # the curl URL after ``/clusters/``, which closes its double quotes before any literal
    python: str
    javascript: str
    python_in_url: str
    javascript_in_url: str


def _plane(plane_id: str | None) -> _Plane:
    """The ``ZEN_PLANE_ID`` variable, or a literal for another plane.

    An id that is not safe in a URL as it is (``/``, ``?``, spaces...) is encoded there, as the
    client encodes it; an ordinary id is written as it is, as the recipe does.
    """
    if plane_id is None:
        # Inside the URL's double quotes only the ZEN_* variables expand: their values are not read again as code.
        return _Plane(
            '$ZEN_PLANE_ID/delivery-flows"',
            'os.environ["ZEN_PLANE_ID"]',
            "process.env.ZEN_PLANE_ID",
            "plane_id",
            "planeId",
        )
    encoded = url_segment(plane_id)
    plain = encoded == plane_id
    return _Plane(
        '"' + shell_word(f"{encoded}/delivery-flows"),
        python_literal(plane_id),
        javascript_literal(plane_id),
        "plane_id" if plain else "quote(plane_id, safe='')",
        "planeId" if plain else "encodeURIComponent(planeId)",
    )


def flow_request_snippets(payload: dict[str, Any], plane_id: str | None = None) -> dict[str, str]:
    """``{"curl": ..., "python": ..., "javascript": ...}`` for ``POST .../delivery-flows``.

    ``plane_id=None`` uses ``ZEN_PLANE_ID``; another id is written into the code. Any JSON
    payload works: in each language it is a literal that evaluates to exactly the payload.
    """
    plane = _plane(plane_id)
    curl = (
        'curl -sS --fail-with-body -H "Authorization: Bearer $ZEN_API_TOKEN" '
        f'-H "Content-Type: application/json" -d {shell_word(json.dumps(payload, indent=2))} '
        f'"${{ZEN_API_BASE%/}}/tenants/$ZEN_TENANT_ID/clusters/{plane.curl_tail}'
    )
    python_import = "from urllib.parse import quote\n" if plane.python_in_url != "plane_id" else ""
    python = f"""import os
{python_import}
import requests

base_url = os.environ["ZEN_API_BASE"].rstrip("/")
token = os.environ["ZEN_API_TOKEN"]
tenant_id = os.environ["ZEN_TENANT_ID"]
plane_id = {plane.python}

payload = {python_literal(payload, indent=4)}

response = requests.post(
    f"{{base_url}}/tenants/{{tenant_id}}/clusters/{{{plane.python_in_url}}}/delivery-flows",
    headers={{
        "Authorization": f"Bearer {{token}}",
        "Content-Type": "application/json",
    }},
    json=payload,
    timeout=30,
)
if not response.ok:
    raise SystemExit(f"Request failed: {{response.status_code}} {{response.text}}")
print(response.json())
"""
    javascript = f"""const baseUrl = process.env.ZEN_API_BASE.replace(/\\/+$/, "");
const token = process.env.ZEN_API_TOKEN;
const tenantId = process.env.ZEN_TENANT_ID;
const planeId = {plane.javascript};

const payload = {javascript_literal(payload, indent=2)};

const response = await fetch(
  `${{baseUrl}}/tenants/${{tenantId}}/clusters/${{{plane.javascript_in_url}}}/delivery-flows`,
  {{
    method: "POST",
    headers: {{
      Authorization: `Bearer ${{token}}`,
      "Content-Type": "application/json",
    }},
    body: JSON.stringify(payload),
  }}
);
if (!response.ok) {{
  throw new Error(`Request failed: ${{response.status}} ${{await response.text()}}`);
}}
const data = await response.json();
console.log(data);
"""
    return {"curl": curl, "python": python, "javascript": javascript}
