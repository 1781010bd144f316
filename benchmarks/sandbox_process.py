"""``zen-nb sandbox`` as its own process, for the benchmarks: started, measured, stopped.

It imports nothing from ``zen_nb``: a benchmark meets the sandbox only over HTTP, as a user does,
so ``source`` can run another checkout (``PYTHONPATH`` and the working directory point there)
for before/after figures, even while this checkout is mid-edit. The admin token goes on the
command line, where every checkout since the first understands it (the sandbox warns that it
shows in the process list: harmless on loopback, for a benchmark's throwaway token).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

DEMO_TOKEN = "zen_test_sandbox_demo_token"
UNLIMITED = "100000000/1"  # --rate-limit that no benchmark reaches


class SandboxProcess:
    """A sandbox on a free loopback port and ``db`` (a file, or ``:memory:``), from ``source`` if given."""

    def __init__(self, db: Path | str, source: Path | None = None, rate_limit: str = UNLIMITED) -> None:
        self.admin_token = f"bench-admin-{secrets.token_hex(8)}"
        command = [sys.executable, "-m", "zen_nb.cli", "sandbox", "--port", "0", "--db", str(db)]
        command += ["--rate-limit", rate_limit, "--admin-token", self.admin_token]
        env = None if source is None else {**os.environ, "PYTHONPATH": str(source)}
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=source, env=env
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            found = re.search(r"serving (http://\S+)", line)
            if found:
                self.base_url = found.group(1)
                # Keep reading what it prints, so its last line (on stopping) finds the pipe open.
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return
        self.proc.wait()
        raise RuntimeError(f"the sandbox did not start (exit status {self.proc.returncode})")

    def admin_post(self, path: str, body: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
        """POST to ``/_sandbox/{path}`` with the admin token; the answer's JSON."""
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        response = requests.post(f"{self.base_url}/_sandbox/{path}", json=body, headers=headers, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def status(self, field: str) -> float:
        """A ``/proc/PID/status`` figure (``VmRSS``, ``VmHWM``) of the sandbox process, in MiB."""
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
        if found is None:
            raise RuntimeError(f"/proc/{self.proc.pid}/status has no {field}")
        return int(found.group(1)) / 1024

    def stop(self) -> None:
        """Terminate the process we started; kill it if it has not stopped in 30 s."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
