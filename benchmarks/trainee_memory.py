"""The memory a trainee's server on JupyterHub needs (issue 20): a kernel, then Jupyter Server.

A trainee's server is ``jupyterhub-singleuser`` (Jupyter Server running JupyterLab) plus one
ipykernel per open notebook, and JupyterHub's memory limit (Z2JH ``singleuser.memory.limit``,
TLJH ``limits.memory``) covers them all. Both are measured here, each run in new processes of
this Python, three runs by default, medians:

- **kernel**: an ipykernel started by jupyter_client's ``KernelManager``, right after it is
  ready; after ``import zen_nb, pandas, matplotlib.pyplot as plt``; after the first cells of a
  training exercise (``%load_ext zen_nb``, the join form, ``exercises.prepare``, ``load_flows``
  shown as a table, a bar chart drawn by the inline backend) against a local sandbox's demo
  tenant. The sandbox is one process for all runs: it is the class's, not the trainee's.
- **server**: ``python -m jupyterhub.singleuser`` (JupyterLab is its default; the environment a
  spawner sets, and a stub hub in this process that answers the two questions it asks), and, to
  show what the hub's extension costs, plain ``python -m jupyterlab``: after ``/api/status``
  answers; after the requests a browser makes on opening ``/lab``; after one kernel was started
  through ``/api/kernels`` (the server alone, that kernel, and both together).

Each figure is RSS, PSS (``/proc/PID/smaps_rollup``: shared pages divided among the processes
that map them), RssAnon (what cannot be shared) and VmHWM (the peak RSS). A hundred trainees'
processes add up to between the sum of their RssAnon and the sum of their RSS. Jupyter's
folders are temporary, so nothing of this machine's profile counts. Then the sizing: the server
with a kernel plus, per open notebook, a kernel's peak, 30 % headroom, and TLJH's formula.

    PYTHONPATH=. python benchmarks/trainee_memory.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jupyterhub
import requests
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

from sandbox_process import DEMO_TOKEN, SandboxProcess

IMPORTS = "import zen_nb, pandas, matplotlib.pyplot as plt"
# The first cells of training exercise 06 (flows as a DataFrame), plus the kind of plot recipe 03 draws.
EXERCISE_CELLS = (
    "%load_ext zen_nb\nfrom zen_nb import exercises",
    "zen_nb.setup()",
    'exercises.prepare("flows-as-a-dataframe")',
    'frame = zen_nb.load_flows(planes="all")\nframe',
    'frame.groupby("target_type", observed=True).size().plot.barh(title="flows by target type")\nplt.show()',
)
SERVER_TIMEOUT_S = 120.0
JUPYTER_DIRS = ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR")
TRAINEE = "trainee"
HEADROOM = 1.3  # TLJH's resource estimation: the peak of a typical session plus 20-40 %
FIELDS = ("rss", "pss", "anon", "hwm")


@dataclass(frozen=True)
class Memory:
    """One process's memory (or several processes' summed), in MiB.

    ``anon`` (RssAnon) is the part of RSS no other process can share: the heap, Python's objects.
    The rest is files mapped (libpython, numpy's libraries), counted once however many trainees
    map them, which is why PSS is below RSS.
    """

    rss: float
    pss: float
    anon: float
    hwm: float

    def __add__(self, other: Memory) -> Memory:
        return Memory(*(getattr(self, field) + getattr(other, field) for field in FIELDS))


def _kib_field(text: str, field: str) -> float:
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    if found is None:
        raise RuntimeError(f"no {field} in /proc")
    return int(found.group(1)) / 1024


def process_memory(pid: int) -> Memory:
    """RSS, PSS and VmHWM of ``pid`` from ``/proc`` (PSS is NaN where ``smaps_rollup`` is not readable)."""
    status = Path(f"/proc/{pid}/status").read_text()
    try:
        pss = _kib_field(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss")
    except (OSError, RuntimeError):
        pss = float("nan")
    return Memory(_kib_field(status, "VmRSS"), pss, _kib_field(status, "RssAnon"), _kib_field(status, "VmHWM"))


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the kernels a Jupyter Server started)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def jupyter_env(home: Path) -> dict[str, str]:
    """This environment with Jupyter's, IPython's and matplotlib's folders in ``home``: a new trainee's."""
    env = dict(os.environ)
    for name in JUPYTER_DIRS:
        (home / name.lower()).mkdir(exist_ok=True)
        env[name] = str(home / name.lower())
    return env


def _run_cell(client: Any, code: str) -> set[str]:
    """Run ``code`` in the kernel; the MIME types it displayed. A failing cell raises."""
    shown: set[str] = set()

    def collect(message: dict[str, Any]) -> None:
        if message["msg_type"] in ("display_data", "execute_result"):
            shown.update(message["content"]["data"])

    reply = client.execute_interactive(code, timeout=180, output_hook=collect)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {code!r}: {reply['content'].get('evalue')}")
    return shown


def kernel_run(sandbox_url: str) -> dict[str, Memory]:
    """One new kernel: its memory when ready, after the imports, after the exercise's cells."""
    with tempfile.TemporaryDirectory(prefix="trainee-kernel-") as home:
        env = jupyter_env(Path(home))
        env.update(ZEN_API_BASE=sandbox_url, ZEN_API_TOKEN=DEMO_TOKEN, ZEN_TENANT_ID="tenant_demo")
        env.update(ZEN_PLANE_ID="plane_dev_us_east_1", ZEN_ADAPTER_ID="adapter_stripe_ingester")
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel(env=env, cwd=home, stderr=subprocess.DEVNULL)  # its TCP warning
        client = manager.blocking_client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            pid = manager.provisioner.pid
            figures = {"ready": process_memory(pid)}
            _run_cell(client, f"import sys; assert sys.executable == {sys.executable!r}, sys.executable")
            _run_cell(client, IMPORTS)
            figures["imports"] = process_memory(pid)
            shown: set[str] = set()
            for cell in EXERCISE_CELLS:
                shown |= _run_cell(client, cell)
            if "image/png" not in shown:
                raise RuntimeError("the plot was not drawn by the inline backend")
            figures["exercise"] = process_memory(pid)
            return figures
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check: Callable[[], bool], what: str, server: subprocess.Popen[bytes], home: Path) -> None:
    """Poll ``check`` until it is true; raise, with the server's log, if the server ended or it takes too long."""
    deadline = time.monotonic() + SERVER_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server ended ({server.returncode}): {(home / 'server.log').read_text()[-2000:]}")
        try:
            if check():
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def _wait_until_kernel_answers(connection_file: Path) -> None:
    """Wait for a kernel the server started to answer ``kernel_info``, as JupyterLab's first request does
    (the server reports ``idle`` only once some client has asked)."""
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=SERVER_TIMEOUT_S)
    finally:
        client.stop_channels()


class StubHub:
    """Just enough of a JupyterHub for ``jupyterhub-singleuser`` to start and let one token in.

    The single-user server asks its hub for its version when it starts (and exits without an
    answer), then asks ``GET /hub/api/user`` who each request's token belongs to. This answers
    both, on a free loopback port, in a thread of this process.
    """

    def __init__(self, user: str, user_token: str) -> None:
        model = {"kind": "user", "name": user, "admin": False, "groups": [], "scopes": [f"access:servers!user={user}"]}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.rstrip("/") == "/hub/api":
                    self._answer(200, {"version": jupyterhub.__version__})
                elif self.path.startswith("/hub/api/user"):
                    if self.headers.get("Authorization") == f"token {user_token}":
                        self._answer(200, model)
                    else:
                        self._answer(403, {"message": "unknown token"})
                else:
                    self._answer(404, {"message": "not in this stub"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-JupyterHub-Version", jupyterhub.__version__)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_url = f"http://127.0.0.1:{self.server.server_address[1]}/hub/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _server_command(
    kind: str, home: Path, port: int, token: str, hub: StubHub | None
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a ``lab`` (``jupyter lab``) or ``singleuser`` server."""
    env = jupyter_env(home)
    if kind == "lab":
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
        command.append(f"--IdentityProvider.token={token}")
    else:  # what a spawner sets (JupyterHub's Spawner.get_env), for user "trainee"
        assert hub is not None
        prefix = f"/user/{TRAINEE}/"
        env.update(
            JUPYTERHUB_API_TOKEN=secrets.token_hex(16),  # the server's own (the stub never checks it)
            JUPYTERHUB_API_URL=hub.api_url,
            JUPYTERHUB_BASE_URL="/",
            JUPYTERHUB_CLIENT_ID=f"jupyterhub-user-{TRAINEE}",
            JUPYTERHUB_USER=TRAINEE,
            JUPYTERHUB_SERVICE_PREFIX=prefix,
            JUPYTERHUB_SERVICE_URL=f"http://127.0.0.1:{port}{prefix}",
            JUPYTERHUB_OAUTH_CALLBACK_URL=f"{prefix}oauth_callback",
            JUPYTERHUB_OAUTH_ACCESS_SCOPES=json.dumps(
                [f"access:servers!server={TRAINEE}/", f"access:servers!user={TRAINEE}"]
            ),
        )
        command = [sys.executable, "-m", "jupyterhub.singleuser"]
    command += ["--ServerApp.port_retries=0", f"--ServerApp.root_dir={home}"]
    if os.geteuid() == 0:  # a container's root (a hub's trainee is not root: this changes nothing measured)
        command.append("--allow-root")
    return command, env


@contextmanager
def jupyter_server(kind: str, home: Path) -> Iterator[tuple[subprocess.Popen[bytes], requests.Session, str]]:
    """A ``lab`` or ``singleuser`` server on a free loopback port, with a random token; stopped by its pid."""
    port, token = _free_port(), secrets.token_hex(16)
    hub = StubHub(TRAINEE, token) if kind == "singleuser" else None
    command, env = _server_command(kind, home, port, token, hub)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    session = requests.Session()
    session.headers["Authorization"] = f"token {token}"
    try:
        yield process, session, f"http://127.0.0.1:{port}" + ("" if hub is None else f"/user/{TRAINEE}")
    finally:
        process.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        if hub is not None:
            hub.stop()


def server_run(kind: str) -> dict[str, Memory]:
    """One new server: idle, after JupyterLab's page and settings, with one kernel started."""
    with tempfile.TemporaryDirectory(prefix="trainee-server-") as home, jupyter_server(kind, Path(home)) as running:
        process, session, base = running
        _wait_for(lambda: session.get(f"{base}/api/status", timeout=5).ok, "/api/status", process, Path(home))
        figures = {"idle": process_memory(process.pid)}
        for path in ("/lab", "/lab/api/settings", "/api/kernelspecs", "/api/contents", "/lab/api/workspaces"):
            session.get(f"{base}{path}", timeout=60).raise_for_status()
        figures["lab"] = process_memory(process.pid)
        kernel = session.post(f"{base}/api/kernels", json={"name": "python3"}, timeout=60)
        kernel.raise_for_status()
        kernel_id = kernel.json()["id"]
        _wait_until_kernel_answers(Path(home) / "jupyter_runtime_dir" / f"kernel-{kernel_id}.json")
        (kernel_pid,) = child_pids(process.pid)
        figures["server_with_kernel"] = process_memory(process.pid)
        figures["its_kernel"] = process_memory(kernel_pid)
        figures["server_and_kernel"] = figures["server_with_kernel"] + figures["its_kernel"]
        session.delete(f"{base}/api/kernels/{kernel_id}", timeout=60)
        return figures


def medians(runs: list[dict[str, Memory]]) -> dict[str, Memory]:
    """Each moment's median over the runs, figure by figure."""
    return {
        moment: Memory(*(statistics.median(getattr(run[moment], field) for run in runs) for field in FIELDS))
        for moment in runs[0]
    }


KERNEL_ROWS = (
    ("ready", "ipykernel, just started"),
    ("imports", f"ipykernel, after `{IMPORTS}`"),
    ("exercise", "ipykernel, after the exercise's first cells (`load_flows`, a plot)"),
)
SERVER_ROWS = (
    ("idle", "answering `/api/status`"),
    ("lab", "after the requests of opening `/lab`"),
    ("server_with_kernel", "one kernel started (the server alone)"),
    ("its_kernel", "that kernel (nothing run in it)"),
    ("server_and_kernel", "the server + that kernel"),
)
SERVER_NAMES = {"singleuser": "`jupyterhub-singleuser`", "lab": "`jupyter lab`"}
TLJH_OVERHEAD_MIB = 128  # TLJH's resource estimation: the hub, the proxy and related services
CLASS_SIZE = 100
# One, two, three at once; six: every training exercise opened in turn and none shut down (JupyterLab
# keeps a notebook's kernel running when its tab is closed).
NOTEBOOKS_OPEN = (1, 2, 3, 6)


def _mib_up(value: float, step: int = 64) -> int:
    return int(-(-value // step) * step)


def _row(label: str, figure: Memory) -> str:
    return f"| {label} | {figure.rss:.0f} | {figure.pss:.0f} | {figure.anon:.0f} | {figure.hwm:.0f} |"


def report(kernel: dict[str, Memory], servers: dict[str, dict[str, Memory]], repeats: int) -> str:
    """The Markdown tables and the sizing the docs can quote."""
    lines = [f"| process, moment (median of {repeats}) | RSS | PSS | RssAnon | VmHWM |", "|---|---|---|---|---|"]
    lines += [_row(label, kernel[moment]) for moment, label in KERNEL_ROWS]
    for kind, figures in servers.items():
        lines += [_row(f"{SERVER_NAMES[kind]}, {label}", figures[moment]) for moment, label in SERVER_ROWS]
    # A trainee's server: the server with a kernel open, and per open notebook a kernel at its peak.
    server_mib, notebook_mib = servers["singleuser"]["server_with_kernel"].hwm, kernel["exercise"].hwm
    lines += [
        "",
        f"A trainee: `jupyterhub-singleuser` {server_mib:.0f} MiB + {notebook_mib:.0f} MiB (a kernel's peak) per open"
        f" notebook, with {HEADROOM - 1:.0%} headroom (TLJH: the peak of a typical session + 20-40 %):",
        "",
        f"| open notebooks | measured MiB | + {HEADROOM - 1:.0%} MiB | limit (64 MiB steps) | {CLASS_SIZE} on TLJH |",
        "|---|---|---|---|---|",
    ]
    for notebooks in NOTEBOOKS_OPEN:
        measured = server_mib + notebooks * notebook_mib
        limit = _mib_up(measured * HEADROOM)
        machine_gib = (CLASS_SIZE * limit + TLJH_OVERHEAD_MIB) / 1024
        lines.append(f"| {notebooks} | {measured:.0f} | {measured * HEADROOM:.0f} | {limit} | {machine_gib:.1f} GiB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="new processes per measurement (default 3)")
    arguments = parser.parse_args()
    kernel_runs: list[dict[str, Memory]] = []
    server_runs: dict[str, list[dict[str, Memory]]] = {kind: [] for kind in SERVER_NAMES}
    with tempfile.TemporaryDirectory(prefix="trainee-sandbox-") as folder:
        sandbox = SandboxProcess(Path(folder) / "s.sqlite3")
        try:
            for _ in range(arguments.repeats):  # alternating, so a busy moment falls on each alike
                kernel_runs.append(kernel_run(sandbox.base_url))
                for kind, runs in server_runs.items():
                    runs.append(server_run(kind))
        finally:
            sandbox.stop()
    servers = {kind: medians(runs) for kind, runs in server_runs.items()}
    print(report(medians(kernel_runs), servers, arguments.repeats))


if __name__ == "__main__":
    main()
