"""Run code in a kernel of a Jupyter server over its REST API and websocket, as JupyterLab does.

A kernel is started with ``POST {server}/api/kernels``; code goes to it as an ``execute_request``
on ``{server}/api/kernels/{id}/channels`` (Jupyter's messaging protocol, version 5.3), and what
it printed comes back from the stream messages of that request, until both its ``execute_reply``
and the kernel's ``idle`` status for it have come (the two channels are not ordered).
Used by the JupyterHub test, which reaches each user's server through the hub's proxy.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

EXECUTE_TIMEOUT = 120.0


class KernelError(AssertionError):
    """The code raised in the kernel: its exception's name, value and traceback."""


def start_kernel(server: str, headers: dict[str, str]) -> str:
    """A new kernel on the server at ``server`` (``http://.../user/NAME``); its id."""
    answer = requests.post(f"{server}/api/kernels", json={"name": "python3"}, headers=headers, timeout=60)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _request(code: str) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "username": "test",
            "session": uuid.uuid4().hex,
            "date": datetime.now(UTC).isoformat(),
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


async def _execute(url: str, headers: dict[str, str], code: str, timeout: float) -> str:
    connection = await websocket_connect(HTTPRequest(url, headers=headers, request_timeout=timeout))
    try:
        request = _request(code)
        await connection.write_message(json.dumps(request))
        printed: list[str] = []
        replied = idle = False
        # Done when both have come: the reply (shell channel) and the kernel's "idle" (iopub), after which
        # it sends no more for this request. The channels are not ordered between them: what the code
        # printed may come after the reply.
        while not (replied and idle):
            text = await asyncio.wait_for(connection.read_message(), timeout)
            if text is None:
                raise AssertionError("the kernel's channel closed before the code finished")
            message = json.loads(text)
            if message.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                raise KernelError(f"{content['ename']}: {content['evalue']}\n" + "\n".join(content["traceback"]))
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
        return "".join(printed)
    finally:
        connection.close()


def execute(server: str, kernel_id: str, headers: dict[str, str], code: str, timeout: float = EXECUTE_TIMEOUT) -> str:
    """Run ``code`` in the kernel; what it printed (:class:`KernelError` when it raised)."""
    url = server.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels"
    return asyncio.run(_execute(url, headers, code, timeout))
