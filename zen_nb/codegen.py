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

from . import dialects
from .quoting import javascript_literal, python_literal, shell_word, url_segment
from .secrets import masked


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


def flow_request_snippets(
    payload: dict[str, Any], plane_id: str | None = None, *, dialect: str = "recipe"
) -> dict[str, str]:
    """``{"curl": ..., "python": ..., "javascript": ...}`` for ``POST .../delivery-flows``.

    ``plane_id=None`` uses ``ZEN_PLANE_ID``; another id is written into the code. Any JSON
    payload works: in each language it is a literal that evaluates to exactly the payload, but
    for the value of a secret-looking key (:mod:`zen_nb.secrets`), written as ``<hidden>`` to fill in.
    ``dialect="v1"``: the same flow as the v1 form's request (``ZEN_API_BASE`` ending in ``/v1``,
    ``POST .../tenants/{t}/delivery-flows``, its snake_case body with the plane as ``cluster_id``,
    written out: ``plane_id`` is then required).
    """
    payload = masked(payload)  # a secret in a payload is not written into code a user pastes and shares
    if dialect == "v1":
        if plane_id is None:
            raise ValueError("a v1 snippet writes its plane into the body: pass plane_id")
        payload = dialects.V1Dialect().flow_body(payload, plane_id)
        plane = _Plane('delivery-flows"', "", "", "", "")
        paths = ("", "", "")
    else:
        plane = _plane(plane_id)
        paths = ("clusters/", "clusters/{" + plane.python_in_url + "}/", "clusters/${" + plane.javascript_in_url + "}/")
    curl = (
        'curl -sS --fail-with-body -H "Authorization: Bearer $ZEN_API_TOKEN" '
        f'-H "Content-Type: application/json" -d {shell_word(json.dumps(payload, indent=2))} '
        f'"${{ZEN_API_BASE%/}}/tenants/$ZEN_TENANT_ID/{paths[0]}{plane.curl_tail}'
    )
    python_import = "from urllib.parse import quote\n" if plane.python_in_url not in ("plane_id", "") else ""
    python_plane = f"plane_id = {plane.python}\n" if plane.python else ""
    python = f"""import os
{python_import}
import requests

base_url = os.environ["ZEN_API_BASE"].rstrip("/")
token = os.environ["ZEN_API_TOKEN"]
tenant_id = os.environ["ZEN_TENANT_ID"]
{python_plane}
payload = {python_literal(payload, indent=4)}

response = requests.post(
    f"{{base_url}}/tenants/{{tenant_id}}/{paths[1]}delivery-flows",
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
    js_plane = f"const planeId = {plane.javascript};\n" if plane.javascript else ""
    javascript = f"""const baseUrl = process.env.ZEN_API_BASE.replace(/\\/+$/, "");
const token = process.env.ZEN_API_TOKEN;
const tenantId = process.env.ZEN_TENANT_ID;
{js_plane}
const payload = {javascript_literal(payload, indent=2)};

const response = await fetch(
  `${{baseUrl}}/tenants/${{tenantId}}/{paths[2]}delivery-flows`,
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
