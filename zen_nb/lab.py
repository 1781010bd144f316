"""``zen-nb lab``: the local sandbox and JupyterLab on the recipes, so a newcomer's first command works.

The sandbox serves from this process (a background thread, the persistent database of
``zen-nb sandbox``), with the admin token of ``ZEN_SANDBOX_ADMIN_TOKEN`` when that is set (so
it is never on a command line); JupyterLab runs as a child process whose environment holds the
sandbox's five ``ZEN_*`` variables, which every kernel it starts inherits, and not the admin
token. Ctrl-C, SIGTERM and SIGHUP (a closed terminal) stop both: JupyterLab is asked to shut its
kernels down, and killed if it does not. A sandbox that was already running when ``zen-nb lab``
started is used and left running.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import local_sandbox
from .hints import INSTALL_LAB, code
from .recipes import RecipeFolder, RecipesNotFound, locate
from .stop_signals import Stopped, children_ignore_hangup, stopping_on_signals
from .vocabulary import ENV_SANDBOX_ADMIN_TOKEN

FIRST_RECIPE = "00-setup-environment.ipynb"
DEFAULT_LAB_PORT = 8888
STARTUP_TIMEOUT = 120.0  # seconds for JupyterLab to start serving
STOP_TIMEOUT = 20.0  # seconds for JupyterLab to shut down its kernels before it is killed


class LabError(RuntimeError):
    """Something ``zen-nb lab`` cannot do, with what to do about it."""


def free_port(preferred: int) -> int:
    """``preferred`` if nothing listens there on loopback, else the next free port above it."""
    for port in range(preferred, preferred + 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise LabError(f"no free port from {preferred} to {preferred + 49}: pass --port N")


def admin_token(environ: Mapping[str, str]) -> str | None:
    """The admin token for the sandbox started here: ``ZEN_SANDBOX_ADMIN_TOKEN``'s, or None (a new one,
    never shown); a :class:`LabError` when that variable holds no usable token."""
    from .sandbox.admin_token import AdminTokenError, read_admin_token

    try:
        token = read_admin_token(None, None, environ)
    except AdminTokenError as error:
        raise LabError(str(error)) from None
    return None if token.generated else token.value


def lab_environment(environ: Mapping[str, str], zen_env: Mapping[str, str]) -> dict[str, str]:
    """JupyterLab's environment, which its kernels inherit: ``environ`` with the sandbox's five
    ``ZEN_*`` values, and without the admin token (notebook code has no need of it)."""
    env = {**environ, **zen_env}
    env.pop(ENV_SANDBOX_ADMIN_TOKEN, None)
    return env


def start_sandbox(port: int, db: str | None, admin: str | None = None) -> tuple[Any, str, str]:
    """A sandbox to point the kernels at: (the one started here or None, its base URL, what was done).

    ``admin`` is its admin token (None: a new random one).
    """
    from . import sandbox

    database = db or sandbox.default_db_path()
    try:
        box = sandbox.start(port=port, db=database, admin_token=admin)
    except OSError:
        base = f"http://127.0.0.1:{port}"
        if local_sandbox.is_sandbox(base):
            return None, base, f"using the sandbox already running at {base}"
        box = sandbox.start(port=0, db=database, admin_token=admin)
        return box, box.base_url, f"port {port} is taken, so a sandbox started at {box.base_url} ({database})"
    return box, box.base_url, f"sandbox started at {box.base_url} ({database})"


def lab_command(recipes: Path, port: int, open_browser: bool) -> list[str]:
    """The JupyterLab command line: loopback only, this port or none, the recipes as its root."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={recipes}",
        "--ServerApp.log_level=WARN",
        f"--ServerApp.open_browser={open_browser}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # JupyterLab refuses root unless told; containers and CI run as root, on loopback here.
        command.append("--ServerApp.allow_root=True")
    if (recipes / FIRST_RECIPE).exists():
        command.append(f"--LabApp.default_url=/lab/tree/{FIRST_RECIPE}")
    return command


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def wait_for_server(process: subprocess.Popen[bytes], runtime_dir: Path) -> dict[str, Any]:
    """The server info JupyterLab writes (``jpserver-<pid>.json``: url, token, port), once its port accepts.

    jupyter_server writes that file before its event loop runs the callback that listens, so the
    file alone does not mean the address answers: an address printed then could be refused.
    """
    info_file = runtime_dir / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    info: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabError(f"JupyterLab exited with status {process.returncode} before serving (see its log above)")
        if info is None:
            try:
                info = json.loads(info_file.read_text())
            except (OSError, ValueError):
                info = None
        if info is not None and _accepts(info.get("hostname") or "127.0.0.1", int(info["port"])):
            return info
        time.sleep(0.05 if info is not None else 0.2)
    raise LabError(f"JupyterLab did not start serving within {STARTUP_TIMEOUT:.0f} s")


def lab_url(info: dict[str, Any], recipes: Path) -> str:
    """The address to open: the first recipe when there is one, with the server's token."""
    url = info["url"].rstrip("/") + (f"/lab/tree/{FIRST_RECIPE}" if (recipes / FIRST_RECIPE).exists() else "/lab")
    return f"{url}?token={info['token']}" if info.get("token") else url


def stop_lab(process: subprocess.Popen[bytes]) -> None:
    """Ask JupyterLab to stop (it shuts its kernels down), and kill it if it does not."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _check_installed() -> None:
    from .sandbox import missing_server_modules

    missing = [name for name in ("jupyterlab",) if importlib.util.find_spec(name) is None] + missing_server_modules()
    if missing:
        raise LabError(f"{', '.join(missing)} not installed: {code(INSTALL_LAB)}")


def _stop_words(started_sandbox: bool, base_url: str) -> tuple[str, str]:
    """What Ctrl-C stops, and what is said once stopped: a sandbox found running is not ours to stop."""
    if started_sandbox:
        return "Press Ctrl-C to stop JupyterLab and the sandbox.", "JupyterLab and the sandbox are stopped."
    return (
        f"Press Ctrl-C to stop JupyterLab (the sandbox at {base_url} was already running, and keeps running).",
        f"JupyterLab is stopped; the sandbox at {base_url} keeps running.",
    )


def _say(text: str, stream: Any = None) -> None:
    """Print, unless the terminal is gone (after SIGHUP a write may fail): stopping must go on."""
    try:
        print(text, file=stream or sys.stdout, flush=True)
    except OSError:
        pass


def _summary(recipes: RecipeFolder, url: str, sandbox_text: str, env: dict[str, str], stop_line: str) -> str:
    lines = [f"Zen Mesh recipes in JupyterLab: {url}", f"  recipes: {recipes.path}", *recipes.summary_lines()]
    lines += [
        f"  {sandbox_text}",
        f"  every kernel gets ZEN_API_BASE={env['ZEN_API_BASE']}, ZEN_TENANT_ID={env['ZEN_TENANT_ID']}, "
        f"ZEN_PLANE_ID={env['ZEN_PLANE_ID']}, ZEN_ADAPTER_ID={env['ZEN_ADAPTER_ID']} and the demo ZEN_API_TOKEN",
        stop_line,
    ]
    return "\n".join(lines)


def run_lab(args: argparse.Namespace) -> int:
    """Run until Ctrl-C or until JupyterLab exits; return the process exit code."""
    try:
        _check_installed()
        recipes = locate(Path(args.dir) if args.dir else None)
        lab_port = args.port if args.port is not None else free_port(DEFAULT_LAB_PORT)
        admin = admin_token(os.environ)
    except (LabError, RecipesNotFound) as error:
        print(f"zen-nb lab: {error}", file=sys.stderr)
        return 2
    with stopping_on_signals():
        try:
            return _serve(args, recipes, lab_port, admin)
        except Stopped:  # before JupyterLab was started: the sandbox is already stopped
            return 0


def _serve(args: argparse.Namespace, recipes: RecipeFolder, lab_port: int, admin: str | None) -> int:
    """Start the sandbox and JupyterLab, wait until JupyterLab ends or a stop signal comes, stop both."""
    from .sandbox.data.schema import UnusableDatabase

    try:
        box, base_url, sandbox_text = start_sandbox(args.sandbox_port, args.db, admin)
    except UnusableDatabase as error:  # another application's file, or not a database: left untouched
        _say(f"zen-nb lab: {error}", sys.stderr)
        return 1
    stop_line, stopped_line = _stop_words(box is not None, base_url)
    env = local_sandbox.sandbox_env(base_url)
    from jupyter_core.paths import jupyter_runtime_dir

    try:
        with children_ignore_hangup():
            process = subprocess.Popen(
                lab_command(recipes.path, lab_port, open_browser=not args.no_browser),
                env=lab_environment(os.environ, env),
                cwd=recipes.path,  # kernels started without a notebook also run in the recipes' folder
                # Without a terminal on stdin, JupyterLab stops at the first Ctrl-C instead of asking.
                stdin=subprocess.DEVNULL,
            )
    except BaseException:
        if box is not None:
            box.stop()
        raise
    try:
        info = wait_for_server(process, Path(jupyter_runtime_dir()))
        _say(_summary(recipes, lab_url(info, recipes.path), sandbox_text, env, stop_line))
        return_code = process.wait()
        if return_code:
            _say(f"zen-nb lab: JupyterLab exited with status {return_code}", sys.stderr)
        return return_code
    except Stopped as stop:
        if stop.signal_name != "SIGINT":
            _say(f"zen-nb lab: {stop.signal_name} received, stopping")
        return 0
    except LabError as error:
        _say(f"zen-nb lab: {error}", sys.stderr)
        return 1
    finally:
        try:
            stop_lab(process)
        except Stopped:  # asked again while stopping: do not wait any longer
            process.kill()
            process.wait()
        if box is not None:
            box.stop()
        _say(f"zen-nb lab: {stopped_line}")
