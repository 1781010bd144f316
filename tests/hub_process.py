"""A real JupyterHub on loopback for the tests: its proxy from npm, local process servers, a dummy login.

The hub is ``python -m jupyterhub`` with a config written into a temporary folder, which loads a
class's config (``load_subconfig``: the one ``zen-nb class start --hub-config`` wrote, as a
trainer's hub would, or one of the test's). Everything binds 127.0.0.1 on free ports: the proxy's
public and API ports and the hub's own. The users' servers are ``jupyterhub.singleuser`` from this
Python (``SimpleLocalProcessSpawner``: every user as this OS user, a home in the folder), and the
test talks to them through the proxy with a service token that may manage and reach every server.
The hub leads a session of its own and is stopped with SIGTERM (the hub then stops the servers and
the proxy it started), and killed with its group if that hangs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from class_helpers import free_port

PROXY = "configurable-http-proxy"
PROXY_MISSING = (
    "JupyterHub's proxy is not installed: npm install -g configurable-http-proxy "
    "(Node 18+; .ci/run installs it), then run these tests again"
)
SERVICE = "class-test"
PASSWORD = "the-class-password"  # DummyAuthenticator's one password for every user: the hub of a test only
START_TIMEOUT = 90.0
SERVER_TIMEOUT = 150.0


def proxy_command() -> str | None:
    """The proxy's executable, or None when npm has not installed it."""
    return shutil.which(PROXY)


DUMMY_LOGIN = f"""
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
"""


def hub_config(folder: Path, class_config: Path, ports: dict[str, int], service_token: str, before: str = "") -> str:
    """The test hub's ``jupyterhub_config.py``: loopback, local servers, ``before``, then the class's config."""
    allow_root = ["--allow-root"] if os.geteuid() == 0 else []  # CI runs as root; Jupyter Server refuses it unasked
    return f"""
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports["public"]}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports["hub"]}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.JupyterHub.db_url = "sqlite:///{folder / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = "{folder / "jupyterhub_cookie_secret"}"
c.JupyterHub.log_level = "DEBUG"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{folder / "home"}/{{username}}"
c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = {allow_root!r}
c.Spawner.debug = True
c.Spawner.start_timeout = {int(SERVER_TIMEOUT)}
c.Spawner.http_timeout = {int(SERVER_TIMEOUT)}
c.JupyterHub.services = [{{"name": {SERVICE!r}, "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": {SERVICE!r},
        "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"],
        "services": [{SERVICE!r}],
    }}
]
{before}
load_subconfig({str(class_config)!r})  # noqa: F821
"""


class LoopbackHub:
    """``python -m jupyterhub`` in ``folder`` with the class config ``class_config``; a context manager.

    ``before``: lines of the hub's own config, ahead of the class's (a login, its own allowed users).
    """

    def __init__(self, folder: Path, class_config: Path, env: dict[str, str], before: str = "") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.ports = {name: free_port() for name in ("public", "hub", "proxy_api")}
        self.url = f"http://127.0.0.1:{self.ports['public']}"
        self.service_token = secrets.token_hex(16)
        config = folder / "jupyterhub_config.py"
        text = hub_config(folder, class_config, self.ports, self.service_token, before)
        config.write_text(text, encoding="utf-8")
        self._lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    @property
    def log(self) -> str:
        """Everything the hub, its proxy and the users' servers printed (all at DEBUG)."""
        return "".join(self._lines)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {self.proc.returncode}:\n{self.log[-4000:]}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"JupyterHub did not answer in {START_TIMEOUT:.0f} s:\n{self.log[-4000:]}")

    # -- the REST API, as the test's service --------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.service_token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/hub/api/{path}", headers=self.headers, timeout=30, **kwargs)

    def start_server(self, user: str) -> requests.Response:
        """``POST /users/{user}/server``: 201 started, 202 starting, or the refusal."""
        return self.api("POST", f"users/{user}/server")

    def wait_server(self, user: str, timeout: float = SERVER_TIMEOUT) -> None:
        """Until the user's server is ready (AssertionError with the hub's log if it never is)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{user}").json()
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            if not model.get("pending") and not server:
                raise AssertionError(f"{user}'s server stopped while starting:\n{self.log[-4000:]}")
            time.sleep(0.5)
        raise AssertionError(f"{user}'s server was not ready in {timeout:.0f} s:\n{self.log[-4000:]}")

    def wait_stopped(self, user: str, timeout: float = SERVER_TIMEOUT) -> None:
        """Until the user's server is stopped (AssertionError with the hub's log if it never is)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{user}").json()
            if not model.get("servers") and not model.get("pending"):
                return
            time.sleep(0.5)
        raise AssertionError(f"{user}'s server did not stop in {timeout:.0f} s:\n{self.log[-4000:]}")

    def login(self, user: str, password: str) -> requests.Response:
        """A login through the hub's own form (with its XSRF token), as a browser does; the session's last answer."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf", "")
        answer = session.post(
            f"{self.url}/hub/login?next=",
            data={"username": user, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=30,
        )
        answer.session = session  # type: ignore[attr-defined]
        return answer

    # -- stopping ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM (the hub stops its servers and proxy), then the whole group killed if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the proxy and servers it started, if any is left
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)

    def __enter__(self) -> LoopbackHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
