"""The state of a local attempt history (``_zen_sync.json``) and the lock that keeps one sync at a time.

The state says which service, tenant and plane a folder holds and how far it is known to be
complete, so the next sync re-reads only what may have changed. It is replaced atomically (a temp
file, fsync, ``os.replace``, fsync of the folder): a crash leaves the old state or the new, never
half of one. The token is never written: only ``api_base``, tenant and plane identify the source.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ZenError

STATE_FILE = "_zen_sync.json"
LOCK_FILE = "_zen_sync.lock"
FORMAT_VERSION = 1


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that a reader sees the old file or the new one, never a part."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)
    fsync_dir(target.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_state(folder: Path) -> dict[str, Any] | None:
    """The folder's state, or None for a folder never synced."""
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ZenError(
            f"{path} is not a sync state written by zen_nb",
            fix="Sync into another folder, or delete that folder to start the history again.",
        ) from None
    if state.get("version") != FORMAT_VERSION:
        raise ZenError(
            f"{path} has state format {state.get('version')!r}; this zen_nb reads {FORMAT_VERSION}",
            fix="Sync into a new folder, or upgrade zen_nb.",
        )
    return state


def write_state(folder: Path, state: dict[str, Any]) -> None:
    """Replace the folder's state atomically."""
    text = json.dumps({**state, "version": FORMAT_VERSION}, indent=2, sort_keys=True)
    atomic_write_bytes(folder / STATE_FILE, text.encode("utf-8"))


def check_source(folder: Path, state: dict[str, Any], source: dict[str, str]) -> None:
    """Refuse to mix two histories: the folder must hold the same service, tenant and plane."""
    stored = {key: state.get(key) for key in source}
    if stored != source:

        def describe(values: dict[str, Any]) -> str:
            return f"{values['api_base']} tenant {values['tenant_id']} plane {values['plane_id']}"

        raise ZenError(
            f"{folder} holds the history of {describe(stored)}, not of {describe(source)}",
            fix="Sync this tenant and plane into another folder: zen_nb.sync_attempts('another/path', since=...).",
        )


@contextlib.contextmanager
def sync_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for one sync; a second sync at the same time gets a clear error.

    ``flock`` is released by the kernel when the process dies, so a killed sync never leaves the
    folder locked.
    """
    import fcntl  # POSIX only: imported here so that ``import zen_nb`` works everywhere

    handle = open(folder / LOCK_FILE, "a+b")  # noqa: SIM115 - held for the whole sync
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ZenError(
                f"another sync is writing {folder} right now",
                fix="Wait for it to finish (or stop it), then sync again.",
            ) from None
        yield
    finally:
        handle.close()
