"""A token given to the kit is never sent back out: not to the front ends, not in a usage error.

- The setup form's password field. ipywidgets 8 echoes each state update from a front end to
  every front end of the kernel (``echo_update``), so a token typed into a plain ``Password``
  field reaches every browser tab and collaborator on that kernel. Checked at the comm level:
  in this process with a comm that records every message the kernel side publishes, and in a
  real kernel (``jupyter_client``) whose iopub messages are read as a front end reads them,
  with the token sent in the front end's own ``comm_msg``.
- The magics. argparse's messages repeat the arguments they reject (``invalid choice: '...'``,
  ``unrecognized arguments: ...``); a token pasted into a magic's line must not come back in
  the ``UsageError`` or anything printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from comm.base_comm import BaseComm
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import zen_nb


def new_token() -> str:
    return "zen_live_" + secrets.token_hex(20)


# -- the password field, in this process ----------------------------------------------------------


class RecordingComm(BaseComm):
    """A comm that keeps every message the kernel side would publish to the front ends."""

    sent: list[dict[str, Any]] = []

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self.sent.append({"comm_id": self.comm_id, "msg_type": msg_type, "data": data, "buffers": buffers, **keys})


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Widgets made in the test open a :class:`RecordingComm`; the messages they publish, in order."""
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(RecordingComm, "sent", messages)
    monkeypatch.setattr(ipywidgets.comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))
    yield messages


def type_into(field: ipywidgets.Widget, text: str) -> None:
    """What a front end sends when the user types ``text`` and presses Enter: an ``update`` of ``value``."""
    field.comm.handle_msg(
        {"content": {"comm_id": field.comm.comm_id, "data": {"method": "update", "state": {"value": text}}}}
    )


def as_text(messages: list[dict[str, Any]]) -> str:
    return json.dumps(messages, default=repr)


def test_a_plain_password_field_echoes_what_is_typed(sent: list[dict[str, Any]]) -> None:
    """The check below can fail: ipywidgets' own Password sends the typed value back out."""
    field = ipywidgets.Password()
    token = new_token()
    type_into(field, token)
    echoes = [message for message in sent if (message["data"] or {}).get("method") == "echo_update"]
    assert echoes and token in as_text(echoes)


def test_a_token_typed_into_the_setup_form_is_never_sent_to_a_front_end(sent: list[dict[str, Any]]) -> None:
    form = zen_nb.setup(environ={})
    field = form.token_field
    token = new_token()

    type_into(field, token)

    assert form.values()["ZEN_API_TOKEN"] == token  # the form took it
    assert token not in as_text(sent)
    assert token[9:29] not in as_text(sent)
    # The front ends are told that the field is empty again (the browser's model drops the token).
    to_field = [message["data"] for message in sent if message["comm_id"] == field.comm.comm_id]
    assert {"method": "update", "state": {"value": ""}, "buffer_paths": []} in to_field
    assert field.value == ""


def test_the_form_applies_the_typed_token_without_echoing_it(sent: list[dict[str, Any]]) -> None:
    environ: dict[str, str] = {
        "ZEN_API_BASE": "http://127.0.0.1:9",
        "ZEN_TENANT_ID": "tenant_x",
        "ZEN_PLANE_ID": "plane_x",
        "ZEN_ADAPTER_ID": "adapter_x",
    }
    form = zen_nb.setup(environ=environ)
    token = new_token()
    type_into(form.token_field, token)
    form.apply()
    assert environ["ZEN_API_TOKEN"] == token
    assert token not in as_text(sent)


# -- the password field, in a real kernel ---------------------------------------------------------


def test_a_real_kernel_never_sends_the_typed_token_on_iopub(tmp_path: Path) -> None:
    """A front end's ``comm_msg`` carries the token to the kernel; nothing the kernel publishes carries it back."""
    from jupyter_client.manager import KernelManager
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    manager = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    manager.connection_file = str(tmp_path / "kernel.json")
    manager.start_kernel(env=env)
    client = manager.client()
    client.start_channels()
    published: list[dict[str, Any]] = []
    try:
        client.wait_for_ready(timeout=120)

        def run(code: str) -> list[dict[str, Any]]:
            msg_id = client.execute(code)
            return until_idle(client, msg_id, published)

        outputs = run(
            "import zen_nb\nform = zen_nb.setup(environ={})\ndisplay(form)\nprint(form.token_field.model_id)\n"
        )
        printed = [
            m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
        ]
        model_id = printed[0].strip()
        token = new_token()
        update = {"method": "update", "state": {"value": token}, "buffer_paths": []}
        message = client.session.msg("comm_msg", {"comm_id": model_id, "data": update})
        client.shell_channel.send(message)
        until_idle(client, message["header"]["msg_id"], published)
        digest = hashlib.sha256(token.encode()).hexdigest()  # compared in the kernel without sending the token again
        checked = run(
            "import hashlib\n"
            f"print(hashlib.sha256(form.values()['ZEN_API_TOKEN'].encode()).hexdigest() == {digest!r}, "
            "repr(form.token_field.value))"
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    assert [m["content"]["text"] for m in checked if m["msg_type"] == "stream"] == ["True ''\n"], checked
    assert token not in json.dumps(published, default=repr)
    field_updates = [
        m["content"]["data"]
        for m in published
        if m["msg_type"] == "comm_msg" and m["content"].get("comm_id") == model_id
    ]
    assert {"method": "update", "state": {"value": ""}, "buffer_paths": []} in field_updates


def until_idle(client: Any, msg_id: str, published: list[dict[str, Any]], timeout: float = 120) -> list[dict[str, Any]]:
    """Every iopub message until the kernel is idle after ``msg_id``; all are added to ``published``."""
    mine = []
    while True:
        message = client.get_iopub_msg(timeout=timeout)
        published.append({"msg_type": message["msg_type"], "content": message["content"]})
        if message["parent_header"].get("msg_id") == msg_id:
            mine.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return mine


# -- the magics ---------------------------------------------------------------------------------


@pytest.fixture
def shell(shell: InteractiveShell) -> InteractiveShell:
    """The shared fresh shell (conftest.py), with ``%load_ext zen_nb``."""
    shell.run_line_magic("load_ext", "zen_nb")
    return shell


TOKEN = "zen_live_" + "5f3a9c" * 6
SHORT = "zk9x"  # shorter than a token: hidden where argparse quotes or lists it

BAD_LINES = [
    ("zen_flows", f"--status {TOKEN}", ["--status", "choose from"]),
    ("zen_flows", f"--status {SHORT}", ["--status", "choose from"]),
    ("zen_flows", f"--status={TOKEN}", ["--status", "choose from"]),
    ("zen_flows", f"--target-type {TOKEN}", ["--target-type", "choose from"]),
    ("zen_flows", TOKEN, ["unrecognized arguments"]),
    ("zen_flows", f"--plane plane_x {TOKEN} {SHORT}", ["unrecognized arguments"]),
    ("zen_flows", f"--token={TOKEN}", ["unrecognized arguments"]),
    ("zen_flows", f"--s={TOKEN}", ["ambiguous option", "--status", "--source"]),
    ("zen_flows", f'--plane "{TOKEN}', ["quote"]),
    ("zen_flows", f"--source '{TOKEN}' '{SHORT}'", ["unrecognized arguments"]),
    ("zen_sandbox", TOKEN, ["action", "choose from"]),
    ("zen_sandbox", SHORT, ["action", "choose from"]),
    ("zen_sandbox", f"start {TOKEN}", ["unrecognized arguments"]),
    ("zen_setup", TOKEN, ["takes no arguments"]),
    ("zen_flow_form", f"{SHORT} {TOKEN}", ["takes no arguments"]),
]


@pytest.mark.parametrize(
    ("magic", "line", "named"), BAD_LINES, ids=[f"{m}:{n}" for n, (m, _, _) in enumerate(BAD_LINES)]
)
def test_a_usage_error_never_repeats_a_given_value(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], magic: str, line: str, named: list[str]
) -> None:
    with pytest.raises(UsageError) as raised:
        shell.run_line_magic(magic, line)
    message = str(raised.value)
    for secret in (TOKEN, TOKEN[9:21], SHORT):
        assert secret not in message, message
    for words in named:  # it still says what is wrong
        assert words in message, message
    assert message.startswith(f"%{magic}"), message
    assert "> not shown>" not in message, message  # each value hidden once, the message still readable

    result = shell.run_cell(f"%{magic} {line}")  # as in a cell: what IPython prints
    assert isinstance(result.error_in_exec, UsageError)
    captured = capsys.readouterr()
    for secret in (TOKEN, TOKEN[9:21], SHORT):
        assert secret not in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
