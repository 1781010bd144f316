"""``zen-nb lab``: the sandbox and JupyterLab on the recipes; a kernel started there sees the sandbox.

One real ``zen-nb lab`` runs for this module, with Jupyter, IPython and the data directory in a
temporary home. A kernel is started through JupyterLab's REST API and driven over its websocket,
as the browser does.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import requests
import websocket

from zen_nb import recipes, sandbox
from zen_nb.lab import free_port

from notebook_sandbox import NOTEBOOKS
from processes import CliLab, lab_env

RECIPES = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliLab]:
    tmp_path = tmp_path_factory.mktemp("lab")
    port = free_port(18888)
    with CliLab("--no-browser", "--port", str(port), "--sandbox-port", "0", env=lab_env(tmp_path)) as process:
        process.tmp_path = tmp_path  # type: ignore[attr-defined]
        yield process


def run_in_kernel(lab: CliLab, code: str) -> str:
    """Start a kernel through JupyterLab, run ``code`` there, return its stdout; shut the kernel down."""
    params = {"token": lab.token}
    response = requests.post(f"{lab.server}/api/kernels", params=params, json={"name": "python3"}, timeout=60)
    assert response.status_code == 201, response.text
    kernel_id = response.json()["id"]
    ws_url = lab.server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?token={lab.token}"
    connection = websocket.create_connection(ws_url, timeout=60)
    try:
        msg_id = uuid.uuid4().hex
        connection.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "test",
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
                }
            )
        )
        stdout = []
        while True:
            message = json.loads(connection.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "stream" and message["content"]["name"] == "stdout":
                stdout.append(message["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(message["content"]["traceback"]))
            elif kind == "execute_reply":
                return "".join(stdout)
    finally:
        connection.close()
        requests.delete(f"{lab.server}/api/kernels/{kernel_id}", params=params, timeout=60)


def test_the_banner_gives_an_address_that_serves_the_recipes(lab):
    assert lab.url.startswith(f"{lab.server}/lab/tree/00-setup-environment.ipynb?token=")
    # From a checkout too, a copy in the data directory: Lab's autosave never writes into notebooks/.
    assert "recipes: " + str(lab.tmp_path / "data" / "zen-nb" / "recipes") in lab.stdout
    assert "  copied here: 00-setup-environment.ipynb, " in lab.stdout
    listing = requests.get(f"{lab.server}/api/contents", params={"token": lab.token}, timeout=30)
    assert listing.status_code == 200
    assert sorted(item["name"] for item in listing.json()["content"] if item["type"] == "notebook") == RECIPES
    page = requests.get(lab.url, timeout=30)
    assert page.status_code == 200 and "JupyterLab" in page.text


def test_the_banner_never_shows_the_api_token(lab):
    assert sandbox.DEMO_TOKEN not in lab.stdout + lab.stderr


def test_jupyterlab_wants_its_token_and_listens_on_loopback_only(lab):
    assert requests.get(f"{lab.server}/api/contents", timeout=30).status_code == 403
    assert lab.server.startswith("http://127.0.0.1:")


def test_a_kernel_started_there_sees_the_sandboxs_zen_variables_and_reaches_it(lab):
    output = run_in_kernel(
        lab,
        "import json, os, zen_nb\nfrom zen_nb.sandbox import DEMO_TOKEN\n"
        "names = ['ZEN_API_BASE', 'ZEN_TENANT_ID', 'ZEN_PLANE_ID', 'ZEN_ADAPTER_ID']\n"
        "seen = {name: os.environ.get(name) for name in names}\n"
        "seen['demo_token'] = os.environ.get('ZEN_API_TOKEN') == DEMO_TOKEN\n"
        "seen['tenant'] = zen_nb.ZenClient().get_tenant().id\n"
        "seen['cwd'] = os.path.basename(os.getcwd())\n"
        "print(json.dumps(seen))\n",
    )
    assert json.loads(output) == {
        "ZEN_API_BASE": lab.sandbox_url,
        "ZEN_TENANT_ID": sandbox.DEMO_TENANT_ID,
        "ZEN_PLANE_ID": sandbox.DEMO_PLANE_ID,
        "ZEN_ADAPTER_ID": sandbox.DEMO_ADAPTER_ID,
        "demo_token": True,
        "tenant": sandbox.DEMO_TENANT_ID,
        "cwd": "recipes",  # the workspace copy (data directory), where the recipes are opened
    }


def test_the_sandbox_keeps_its_database_in_the_data_directory(lab):
    database = lab.tmp_path / "data" / "zen-nb" / "sandbox.sqlite3"  # type: ignore[attr-defined]
    assert f"({database})" in lab.stdout
    assert database.exists()


def test_ctrl_c_stops_jupyterlab_and_the_sandbox(tmp_path):
    port = free_port(19888)
    process = CliLab("--no-browser", "--port", str(port), "--sandbox-port", "0", env=lab_env(tmp_path))
    try:
        assert requests.get(f"{process.server}/api/status", params={"token": process.token}, timeout=30).ok
        assert process.interrupt_group(timeout=60) == 0
    finally:
        process.kill()
    assert "JupyterLab and the sandbox are stopped." in process.stdout
    for url in (process.server, process.sandbox_url):
        host, port_text = url.removeprefix("http://").split(":")
        with pytest.raises(OSError):
            socket.create_connection((host, int(port_text)), timeout=2).close()


def test_a_missing_recipes_folder_is_one_line_and_exit_2(tmp_path):
    from zen_nb.cli import main

    assert main(["lab", "--dir", str(tmp_path / "nowhere"), "--no-browser"]) == 2


def test_a_source_checkout_opens_a_copy_so_autosave_never_writes_into_tracked_recipes(tmp_path):
    """The README's first command installs a checkout: what JupyterLab saves must land in the workspace."""
    before = {path: path.read_bytes() for path in NOTEBOOKS.rglob("*.ipynb")}
    folder = recipes.locate(workspace=tmp_path / "workspace")
    assert folder.path == tmp_path / "workspace"
    assert "02-create-a-flow.ipynb" in folder.copied and "training/01-create-a-target.ipynb" in folder.copied
    (folder.path / "02-create-a-flow.ipynb").write_text("{}")  # what an autosave of a failed run does
    assert {path: path.read_bytes() for path in NOTEBOOKS.rglob("*.ipynb")} == before
    assert recipes.locate(NOTEBOOKS).path == NOTEBOOKS  # --dir notebooks: a recipe author edits in place


# As jupyter_server does: the info file first, the listening socket a moment later (an io-loop callback).
_WRITES_INFO_THEN_LISTENS = """
import json, os, socket, sys, time
port = int(sys.argv[2])
info = {"url": f"http://127.0.0.1:{port}/", "hostname": "127.0.0.1", "port": port, "token": "t"}
with open(os.path.join(sys.argv[1], f"jpserver-{os.getpid()}.json"), "w") as file:
    json.dump(info, file)
time.sleep(1.0)
server = socket.create_server(("127.0.0.1", port))
while True:
    server.accept()[0].close()
"""


def test_the_address_is_printed_only_once_jupyterlab_accepts_connections(tmp_path):
    from zen_nb.lab import wait_for_server

    port = free_port(19777)
    child = subprocess.Popen([sys.executable, "-c", _WRITES_INFO_THEN_LISTENS, str(tmp_path), str(port)])
    try:
        info = wait_for_server(child, tmp_path)
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # refused if returned too early
        assert info["port"] == port
    finally:
        child.kill()
        child.wait()
