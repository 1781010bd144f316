"""How long a user waits before the kit is there: ``import zen_nb`` and ``zen-nb lab``.

- **import**: ``import zen_nb`` against ``import requests`` (what any HTTP client in a notebook
  costs), each in a fresh interpreter, alternating, timed inside the interpreter around the
  import statement alone (the interpreter's own start-up, the same for both, would only dilute
  the ratio). Medians. When the goal is missed, ``-X importtime`` names the packages that
  ``zen_nb`` imports and ``requests`` does not, by their own import time: the why.
- **lab**: ``zen-nb lab --no-browser`` (its own sandbox on a free port, in memory; JupyterLab on a
  free port; Jupyter's folders and the home in a temporary folder), from the start of the process
  until the JupyterLab address it prints answers 200. Then it is stopped with Ctrl-C (SIGINT to
  the process group it leads), as a user stops it.

Nothing here imports ``zen_nb``: each measurement is a new process.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

TIMED_IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
LAB_TIMEOUT_S = 180.0
_JUPYTER_DIRS = ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR")


def import_seconds(module: str) -> float:
    """The time of ``import module`` in a fresh interpreter of this Python."""
    command = [sys.executable, "-c", TIMED_IMPORT.format(module=module)]
    return float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def imports(repeats: int) -> dict[str, float]:
    """Medians of ``repeats`` imports of each, alternating, after one untimed pair (a cold disk
    cache would count against whichever went first)."""
    import_seconds("zen_nb"), import_seconds("requests")
    times: dict[str, list[float]] = {"zen_nb": [], "requests": []}
    for _ in range(repeats):
        for module in times:
            times[module].append(import_seconds(module))
    ours, theirs = statistics.median(times["zen_nb"]), statistics.median(times["requests"])
    return {"zen_nb_s": ours, "requests_s": theirs, "ratio": ours / theirs}


def _import_profile(module: str) -> dict[str, int]:
    """``-X importtime`` of ``import module``: each imported module's own time in µs."""
    command = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    stderr = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    found = re.findall(r"^import time:\s+(\d+) \|\s+\d+ \|\s+(\S+)$", stderr, re.M)
    return {name.strip(): int(self_us) for self_us, name in found}


def heaviest_extra_imports(top: int = 3) -> list[tuple[str, float]]:
    """The top-level packages ``zen_nb`` imports beyond ``requests``' own, by total own import
    time (ms), heaviest first."""
    theirs = _import_profile("requests")
    by_package: dict[str, int] = {}
    for name, self_us in _import_profile("zen_nb").items():
        if name not in theirs:
            package = name.split(".")[0]
            by_package[package] = by_package.get(package, 0) + self_us
    ranked = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    return [(package, us / 1000) for package, us in ranked]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_seconds() -> float:
    """One ``zen-nb lab`` from its start until its printed JupyterLab address answers 200."""
    with tempfile.TemporaryDirectory(prefix="zen-bench-lab-") as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("ZEN_")}
        env.update(HOME=f"{folder}/home", XDG_DATA_HOME=f"{folder}/data")
        env.update({name: f"{folder}/{name.lower()}" for name in _JUPYTER_DIRS})
        command = [sys.executable, "-m", "zen_nb.cli", "lab", "--no-browser", "--port", str(_free_port())]
        command += ["--sandbox-port", "0", "--db", ":memory:"]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True
        )
        try:
            return _until_served(proc, started)
        finally:
            _stop(proc)


def _until_served(proc: subprocess.Popen[str], started: float) -> float:
    """Read the banner for JupyterLab's address, then GET it until it answers 200."""
    found: dict[str, str] = {}
    ready = threading.Event()

    def read() -> None:  # a thread, so that a silent process cannot block past the timeout
        assert proc.stdout is not None
        for line in proc.stdout:
            match = re.search(r"JupyterLab: (http://\S+)", line)
            if match and not ready.is_set():
                found["url"] = match.group(1)
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(LAB_TIMEOUT_S) or "url" not in found:
        raise RuntimeError(f"zen-nb lab printed no JupyterLab address within {LAB_TIMEOUT_S:.0f} s")
    while time.perf_counter() - started < LAB_TIMEOUT_S:
        try:
            if requests.get(found["url"], timeout=10).status_code == 200:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"JupyterLab's address did not answer 200 within {LAB_TIMEOUT_S:.0f} s")


def _stop(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C to the group the lab leads (it and its JupyterLab, nothing else); kill if it hangs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def labs(repeats: int) -> dict[str, float]:
    """The median of ``repeats`` lab start-ups, after one untimed (a cold disk cache would count
    against the first). Each starts in a new temporary home, as on a user's first start."""
    lab_seconds()
    times = [lab_seconds() for _ in range(repeats)]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


if __name__ == "__main__":
    print(imports(5), heaviest_extra_imports(), labs(1))
    sys.exit(0)
