"""Idempotency keys (contract section 5): a key is claimed while its request runs, then holds the answer.

Keys belong to the caller's token (by digest) and live :data:`KEY_LIFETIME_SECONDS`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

KEY_LIFETIME_SECONDS = 24 * 3600


@dataclass(frozen=True)
class StoredAnswer:
    """What a finished request with a key answered, to be replayed byte for byte."""

    fingerprint: str
    status: int
    body: bytes
    content_type: str
    request_id: str
    headers: list[tuple[str, str]]  # the headers a replay repeats, e.g. Location


class KeyInUse(Exception):
    """A request with this key is still running."""


def claim(db: sqlite3.Connection, token_sha256: str, key: str) -> StoredAnswer | None:
    """Claim ``key`` for a new request (None), or return the answer of the request that used it.

    :class:`KeyInUse` while that request still runs. An expired key is claimed afresh.
    """
    now = time.time()
    db.execute(
        "DELETE FROM idempotency_keys WHERE token_sha256 = ? AND key = ? AND created_at < ?",
        (token_sha256, key, now - KEY_LIFETIME_SECONDS),
    )
    row = db.execute(
        "SELECT * FROM idempotency_keys WHERE token_sha256 = ? AND key = ?", (token_sha256, key)
    ).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO idempotency_keys (token_sha256, key, state, created_at) VALUES (?, ?, 'in_flight', ?)",
            (token_sha256, key, now),
        )
        return None
    if row["state"] == "in_flight":
        raise KeyInUse(key)
    return StoredAnswer(
        fingerprint=row["fingerprint"],
        status=row["status"],
        body=row["body"],
        content_type=row["content_type"],
        request_id=row["request_id"],
        headers=[tuple(pair) for pair in json.loads(row["headers"] or "[]")],
    )


def finish(db: sqlite3.Connection, token_sha256: str, key: str, answer: StoredAnswer) -> None:
    """Store the answer of the request that claimed ``key``."""
    db.execute(
        "UPDATE idempotency_keys SET state = 'done', fingerprint = ?, status = ?, body = ?,"
        " content_type = ?, request_id = ?, headers = ? WHERE token_sha256 = ? AND key = ?",
        (
            answer.fingerprint,
            answer.status,
            answer.body,
            answer.content_type,
            answer.request_id,
            json.dumps([list(pair) for pair in answer.headers]),
            token_sha256,
            key,
        ),
    )


def release(db: sqlite3.Connection, token_sha256: str, key: str) -> None:
    """Give up a claim (the request failed in a way that must not be stored): the key is free again."""
    db.execute(
        "DELETE FROM idempotency_keys WHERE token_sha256 = ? AND key = ? AND state = 'in_flight'",
        (token_sha256, key),
    )


def release_in_flight(db: sqlite3.Connection) -> None:
    """Free every claimed key: after a crash, their requests can never finish."""
    db.execute("DELETE FROM idempotency_keys WHERE state = 'in_flight'")
