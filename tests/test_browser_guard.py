"""The browser tests' own machinery, with no browser: the guard on the checkout's recipes, the silent server.

The guard (``browser.leaves_untouched``) is what says at once that a Lab wrote into the tracked
recipes (an autosave, a checkpoint folder); the silent server is what the busy-state tests click
"Check connection" against. Each is checked here to catch what it must.
"""

from __future__ import annotations

import socket
import time

import pytest

from browser import changes, fingerprint, leaves_untouched, silent_server


def test_the_guard_names_a_changed_an_added_and_a_removed_file(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "b.ipynb").write_text("{}")
    with pytest.raises(AssertionError) as failed:
        with leaves_untouched(tmp_path):
            (tmp_path / "a.ipynb").write_text('{"outputs": 1}')
            (tmp_path / ".ipynb_checkpoints").mkdir()
            (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
            (tmp_path / "b.ipynb").unlink()
    message = str(failed.value)
    assert "changed: a.ipynb" in message
    assert "added: .ipynb_checkpoints/a-checkpoint.ipynb" in message
    assert "removed: b.ipynb" in message


def test_the_guard_lets_a_folder_rewritten_with_the_same_bytes_pass(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    with leaves_untouched(tmp_path):
        (tmp_path / "a.ipynb").write_text("{}")  # saved again, unchanged: a new mtime, the same bytes
    assert changes(fingerprint(tmp_path), fingerprint(tmp_path)) == []


def test_the_silent_server_accepts_and_never_answers():
    with silent_server() as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            connection.settimeout(1.0)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                connection.recv(1)
            assert time.monotonic() - started >= 0.9
