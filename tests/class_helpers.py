"""Helpers for the tests of the kit's side of a class: trainees, a service without a class, secrets.

Trainees are made as a trainer's sandbox makes them, through ``POST /_sandbox/class/trainees``
with the admin token; the answer is the one place a test learns their tokens and join codes.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from zen_nb import sandbox as sandbox_pkg

from helpers import admin_post, serving, url_of


def enroll(box: sandbox_pkg.Sandbox, *names: str) -> list[dict[str, Any]]:
    """Add trainees to the class of ``box``: each ``{"trainee", "tenantId", "token", "joinCode"}``."""
    response = admin_post(box, "class/trainees", json={"names": list(names)})
    assert response.status_code == 201, response.text
    made = response.json()["trainees"]
    assert [row["trainee"] for row in made] == list(names)
    return made


def free_port() -> int:
    """A loopback port that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def another_code(code: str) -> str:
    """A well-formed join code that differs from ``code`` in its last symbol."""
    last = code[-1]
    return code[:-1] + ("Z" if last != "Z" else "Y")


@contextmanager
def service_without_a_class(status: int = 404, body: dict[str, Any] | None = None) -> Iterator[str]:
    """A loopback HTTP server that answers every request ``status`` with ``body``, as a service that has
    no ``/_sandbox/class/...`` does (the real API, a web server); its base URL."""
    payload = json.dumps(body if body is not None else {"error": "NotFoundError", "message": "no such path"})

    class Answer(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload.encode())

        do_GET = do_POST = _answer  # noqa: N815 - http.server's names

        def log_message(self, *args: object) -> None:
            pass

    with serving(Answer) as server:
        yield url_of(server)


def shown_forms(error: BaseException) -> dict[str, str]:
    """Every way an error reaches a user: str, repr, the IPython block, the HTML, the parsed body."""
    forms = {"str": str(error), "repr": repr(error)}
    if hasattr(error, "_render_traceback_"):
        forms["traceback"] = "\n".join(error._render_traceback_())
        forms["html"] = error._repr_html_()
    forms["body"] = json.dumps(getattr(error, "body", None), default=str)
    forms["args"] = json.dumps([str(arg) for arg in error.args])
    return forms


def assert_not_shown(secrets: dict[str, str], shown: dict[str, str]) -> None:
    """No secret (by name) occurs in any shown text (by where); the failure names them, not their values."""
    leaks = sorted(
        f"{name} in {where}" for name, secret in secrets.items() for where, text in shown.items() if secret in text
    )
    assert not leaks, leaks


def code_forms(code: str) -> dict[str, str]:
    """A join code as shown (``XXXX-XXXX``), bare, and lowercase: each must stay unseen."""
    bare = code.replace("-", "")
    return {"code": code, "bare code": bare, "lowercase code": bare.lower()}
