"""A target's secrets (``config.apiKey``...) never show: not in a repr, HTML, frame, snippet, error or log.

A unique secret goes into a target's ``config`` through the client, in each form of the API, on the
session's sandbox (which echoes ``config`` as the vendor does); then everything the kit can show of
it is gathered and searched: zero hits. The dict itself keeps the value (the caller may need it).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from IPython.lib.pretty import pretty

import zen_nb
from zen_nb import ZenClient, ZenConfig
from zen_nb.codegen import flow_request_snippets
from zen_nb.errors import BadRequestError, TargetNameConflict, ZenAPIError
from zen_nb.secrets import MASK, is_secret_key, masked, secret_values

from forms import FORMS, client_in
from helpers import Api, serving, url_of


@pytest.fixture(params=FORMS)
def client(api: Api, request: pytest.FixtureRequest) -> Iterator[ZenClient]:
    with client_in(api, request.param) as made:
        yield made


def shown_error(error: ZenAPIError) -> list[str]:
    """Everything an error shows: its text, its notebook forms, and its body."""
    return [
        str(error),
        repr(error),
        error.message,
        error._repr_html_(),
        "\n".join(error._render_traceback_()),
        pretty(error),
        json.dumps(error.body),
    ]


def test_a_targets_secret_is_in_no_repr_html_frame_snippet_error_or_log(client, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3's and everyone's debug lines too
    secret = f"sk_live_{uuid.uuid4().hex}"
    hook_secret = f"whsec_{uuid.uuid4().hex}"
    config = {"apiKey": secret, "webhookSecret": hook_secret, "region": "eu-west-1", "nested": {"Password": secret}}

    target = client.create_target("secret-sink", "stripe", config=config)
    assert target.config == config  # the API echoed it and the dict keeps it
    listed = client.list_targets()
    fetched = client.get_target(target.id)
    shown = [
        repr(target),
        str(target),
        pretty(target),
        target._repr_html_(),
        repr(listed),
        listed._repr_html_(),
        repr(fetched),
        fetched._repr_html_(),
    ]
    frame = zen_nb.load_targets(client)
    row = frame[frame["id"] == target.id].iloc[0]
    assert row["config"] == {"apiKey": MASK, "webhookSecret": MASK, "region": "eu-west-1", "nested": {"Password": MASK}}
    shown += [repr(frame), frame.to_html(), frame.to_json(date_format="iso"), frame.to_csv()]
    shown += list(flow_request_snippets({"name": "x", "source": "s", "config": config}).values())
    assert "<hidden>" in repr(target) and "eu-west-1" in repr(target)  # masked, not dropped

    with pytest.raises(TargetNameConflict) as raised:  # the same name again: the error must not show the request
        client.create_target("secret-sink", "stripe", config=config)
    shown += shown_error(raised.value)

    for text in [*shown, caplog.text]:
        assert secret not in text and hook_secret not in text, text[:2000]
    assert fetched.config["apiKey"] == secret


def test_an_error_that_echoes_the_requests_secret_masks_it_in_message_and_body():
    """A real service may echo what it was sent; the client hides what it knows to be secret."""
    secret = f"sk_live_{uuid.uuid4().hex}"

    class Echo(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def do_POST(self) -> None:  # noqa: N802 - the base class's name
            sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps(
                {"error": "ValidationError", "message": f"config {sent['config']} is invalid", "echo": sent}
            ).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Echo) as server:
        env = {"ZEN_API_BASE": url_of(server), "ZEN_API_TOKEN": "tok-echo-1", "ZEN_TENANT_ID": "t"}
        env |= {"ZEN_PLANE_ID": "p", "ZEN_ADAPTER_ID": "a"}
        with ZenClient(ZenConfig(environ=env), retry=0) as client:
            with pytest.raises(BadRequestError) as raised:
                client.create_target("x", "stripe", config={"signingSecret": secret, "mode": "live"})
    error = raised.value
    assert error.body["echo"]["config"] == {"signingSecret": MASK, "mode": "live"}
    assert MASK in error.message and "live" in error.message
    for text in shown_error(error):
        assert secret not in text


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("apiKey", True),
        ("api_key", True),
        ("webhookSecret", True),
        ("X-Hub-Signature-256", True),
        ("Authorization", True),
        ("privateKeyPem", True),
        ("db_passwd", True),
        ("Cookie", True),
        ("credentials", True),
        ("accessToken", True),
        ("region", False),
        ("url", False),
        ("name", False),
    ],
)
def test_which_keys_are_secret(key, secret):
    assert is_secret_key(key) is secret


def test_masked_keeps_the_shape_and_the_kind_and_leaves_the_original_alone():
    target = zen_nb.objects.Target(id="dest_1", config={"apiKey": "sk_1", "list": [{"token": "t"}], "n": None})
    shown = masked(target)
    assert type(shown) is zen_nb.objects.Target
    assert shown["config"] == {"apiKey": MASK, "list": [{"token": MASK}], "n": None}
    assert target["config"]["apiKey"] == "sk_1"
    assert masked({"token": None}) == {"token": None}  # nothing to hide: shown as missing, not as hidden


def test_a_urls_password_is_masked_wherever_it_is_and_the_rest_of_the_url_shown():
    target = zen_nb.objects.Target(id="dest_1", url="https://hooks:s3cr3t-pass@example.test/in?x=1")
    assert masked(target)["url"] == "https://hooks:<hidden>@example.test/in?x=1"
    assert "s3cr3t-pass" not in repr(target) and "s3cr3t-pass" not in target._repr_html_()
    assert list(secret_values({"config": {"url": "http://u:p4ss@h/"}})) == ["p4ss"]
    plain = "https://example.test/hook and user@example.test"  # no password: nothing to hide
    assert masked(plain) == plain
