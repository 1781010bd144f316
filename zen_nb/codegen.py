"""The request a form would send, written out as curl, Python (requests) and JavaScript (fetch).

The snippets follow the published recipe, without its bugs (a missing ``]`` in the Python,
a stray ``"`` and an invalid regex in the JavaScript). They read the token from the
environment (``$ZEN_API_TOKEN``, ``os.environ``, ``process.env``): it is never written out.
"""

from __future__ import annotations

import json
from typing import Any


def _plane_parts(plane_id: str | None) -> tuple[str, str, str]:
    """How each language names the plane: the variable, or a literal for another plane."""
    if plane_id is None:
        return "$ZEN_PLANE_ID", 'os.environ["ZEN_PLANE_ID"]', "process.env.ZEN_PLANE_ID"
    return plane_id, repr(plane_id), json.dumps(plane_id)


def flow_request_snippets(payload: dict[str, Any], plane_id: str | None = None) -> dict[str, str]:
    """``{"curl": ..., "python": ..., "javascript": ...}`` for ``POST .../delivery-flows``.

    ``plane_id=None`` uses ``ZEN_PLANE_ID``; another id is written into the code. The payload
    holds only strings and objects, so its JSON is also a valid Python literal.
    """
    curl_plane, python_plane, js_plane = _plane_parts(plane_id)
    body = json.dumps(payload, indent=2)
    quoted_body = body.replace("'", "'\\''")
    curl = (
        'curl -sS --fail-with-body -H "Authorization: Bearer $ZEN_API_TOKEN" '
        '-H "Content-Type: application/json" -d \'' + quoted_body + "' "
        f'"${{ZEN_API_BASE%/}}/tenants/$ZEN_TENANT_ID/clusters/{curl_plane}/delivery-flows"'
    )
    python = f"""import os

import requests

base_url = os.environ["ZEN_API_BASE"].rstrip("/")
token = os.environ["ZEN_API_TOKEN"]
tenant_id = os.environ["ZEN_TENANT_ID"]
plane_id = {python_plane}

payload = {json.dumps(payload, indent=4, ensure_ascii=False)}

response = requests.post(
    f"{{base_url}}/tenants/{{tenant_id}}/clusters/{{plane_id}}/delivery-flows",
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
const planeId = {js_plane};

const payload = {body};

const response = await fetch(
  `${{baseUrl}}/tenants/${{tenantId}}/clusters/${{planeId}}/delivery-flows`,
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
