"""``zen-nb`` processes for tests: started, read until their banner, always stopped (only what they started)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 10


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This environment without ZEN_* variables, with HOME and XDG_DATA_HOME inside ``tmp_path``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZEN_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"), **extra)
    return env


def lab_env(tmp_path: Path) -> dict[str, str]:
    """:func:`clean_env`, with every Jupyter, IPython and matplotlib folder inside ``tmp_path`` too."""
    folders = {
        name: str(tmp_path / name.lower())
        for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR")
    }
    return clean_env(tmp_path, **folders)


class CliProcess:
    """One ``zen-nb COMMAND`` process, started and read until its banner is complete.

    Pipes are drained by threads, so reads never block without a bound. The process leads a
    session of its own, so that Ctrl-C (:meth:`interrupt_group`) and the final kill reach the
    children it started, and nothing else. Use it as a context manager.
    """

    command = ""
    ready = "Press Ctrl-C to stop."  # the banner's last line starts with this
    startup_timeout: float = STARTUP_TIMEOUT

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zen_nb.cli", self.command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._banner = threading.Event()
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self._out, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self._err, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if not self._banner.wait(self.startup_timeout) or self.ready not in self.stdout:
            self.kill()
            raise AssertionError(f"no banner; stdout={self.stdout!r} stderr={self.stderr!r}")

    def _drain(self, pipe, lines: list[str], is_stdout: bool) -> None:
        for line in pipe:
            lines.append(line)
            if is_stdout and line.startswith(self.ready):
                self._banner.set()
        if is_stdout:
            self._banner.set()  # EOF: the process ended before its banner

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def export_lines(self) -> list[str]:
        """The banner's ``export ZEN_...`` lines, verbatim."""
        return [line.rstrip("\n") for line in self._out if line.startswith("export ZEN_")]

    def _finish(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=STOP_TIMEOUT)
        return code

    def interrupt(self, timeout: float = STOP_TIMEOUT) -> int:
        """Ctrl-C: SIGINT, then the exit code (TimeoutExpired if it does not stop in time)."""
        self.proc.send_signal(signal.SIGINT)
        return self._finish(timeout)

    def interrupt_group(self, timeout: float = STOP_TIMEOUT) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the process and the children it started."""
        os.killpg(self.proc.pid, signal.SIGINT)
        return self._finish(timeout)

    def kill(self) -> None:
        """Kill the process and whatever it started (its own session), if still running."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._finish(STOP_TIMEOUT)

    def __enter__(self) -> CliProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


class CliSandbox(CliProcess):
    """``zen-nb sandbox``: its base URL and port read from the banner."""

    command = "sandbox"

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        super().__init__(*args, env=env)
        self.base_url = re.search(r"serving (http://\S+)", self.stdout).group(1)  # type: ignore[union-attr]
        self.port = int(self.base_url.rsplit(":", 1)[1])


class CliClass(CliProcess):
    """``zen-nb class start ...``: the address it serves and its admin token (loopback: shown), read from the banner."""

    command = "class"

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        super().__init__("start", *args, env=env)
        self.base_url = re.search(r"serving (http://\S+)", self.stdout).group(1)  # type: ignore[union-attr]
        self.admin_token = re.search(r"Admin token: (\S+)", self.stdout).group(1)  # type: ignore[union-attr]


class CliLab(CliProcess):
    """``zen-nb lab``: JupyterLab's address and token, and the sandbox's base URL, read from the banner."""

    command = "lab"
    ready = "Press Ctrl-C to stop JupyterLab"
    startup_timeout = 120.0

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        super().__init__(*args, env=env)
        self.url = re.search(r"JupyterLab: (http://\S+)", self.stdout).group(1)  # type: ignore[union-attr]
        self.server = self.url.split("/lab", 1)[0]
        self.token = self.url.rsplit("token=", 1)[1]
        self.sandbox_url = re.search(r"ZEN_API_BASE=(http://[^,\s]+)", self.stdout).group(1)  # type: ignore[union-attr]
