"""Idempotency keys (contract section 5): a key is claimed while its request runs, then holds the answer.

Keys belong to the caller's token (by digest). What they may hold is bounded (:class:`Limits`):
a key lives 24 hours, a token keeps at most so many keys and so many bytes of answers (its
oldest finished keys give way first), and an answer too large to keep is recorded without
its body. :func:`sweep` enforces all of it in bulk, a bounded batch of rows at a time, so that
no key outlives its day because its client never came back, and no sweep holds the write lock
for long. Every function takes ``now`` (Unix seconds) from its caller: the clock is the
caller's, so tests can move it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

KEY_LIFETIME_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Limits:
    """How much the idempotency keys may hold.

    An answer is at most ``answer_bytes`` (every answer of the API but an event ingested into
    thousands of flows is far below it); a token keeps at most ``keys_per_token`` keys and
    ``bytes_per_token`` bytes of answers; a sweep deletes at most ``sweep_batch`` rows.
    """

    lifetime_seconds: float = KEY_LIFETIME_SECONDS
    answer_bytes: int = 256 * 1024
    keys_per_token: int = 10_000
    bytes_per_token: int = 32 * 1024 * 1024
    sweep_batch: int = 1_000


LIMITS = Limits()


@dataclass(frozen=True)
class StoredAnswer:
    """What a finished request with a key answered, to be replayed byte for byte.

    ``body`` is None when the answer was larger than :attr:`Limits.answer_bytes`: the request
    ran, and its status and headers (``Location``) are kept, but its body is not. ``status`` is
    None too when the request's write committed but a crash came before its answer was stored
    (:func:`release_in_flight`).
    """

    fingerprint: str
    status: int | None
    body: bytes | None
    content_type: str | None
    request_id: str | None
    headers: list[tuple[str, str]]  # the headers a replay repeats, e.g. Location


@dataclass(frozen=True)
class Swept:
    """What one :func:`sweep` deleted; ``more`` when it stopped at its batch with work left."""

    expired: int
    evicted: int
    more: bool


class KeyInUse(Exception):
    """A request with this key is still running."""


def claim(
    db: sqlite3.Connection, token_sha256: str, key: str, now: float, limits: Limits = LIMITS
) -> StoredAnswer | None:
    """Claim ``key`` for a new request (None), or return the answer of the request that used it.

    :class:`KeyInUse` while that request still runs. An expired key is claimed afresh.
    """
    db.execute(
        "DELETE FROM idempotency_keys WHERE token_sha256 = ? AND key = ? AND created_at < ?",
        (token_sha256, key, now - limits.lifetime_seconds),
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


def mark_committed(db: sqlite3.Connection, token_sha256: str, key: str, fingerprint: str) -> None:
    """Note, in the transaction of the claimed request's write, that the write is committed (the
    request's fingerprint on its still ``in_flight`` row): see :func:`release_in_flight`."""
    db.execute(
        "UPDATE idempotency_keys SET fingerprint = ? WHERE token_sha256 = ? AND key = ? AND state = 'in_flight'",
        (fingerprint, token_sha256, key),
    )


def release_in_flight(db: sqlite3.Connection) -> None:
    """After a crash, settle every claimed key, whose request can never finish now.

    A key whose request never committed a write is freed: calling again runs the request. One
    whose write committed but whose answer was not stored yet (the crash fell between the two)
    is kept as done with no answer (status NULL), so that calling again is refused with
    ``idempotency_answer_lost`` rather than carried out a second time.
    """
    db.execute("DELETE FROM idempotency_keys WHERE state = 'in_flight' AND fingerprint IS NULL")
    db.execute("UPDATE idempotency_keys SET state = 'done', status = NULL, body = NULL WHERE state = 'in_flight'")


def sweep(db: sqlite3.Connection, now: float, tokens: Iterable[str] = (), limits: Limits = LIMITS) -> Swept:
    """Delete the keys older than their lifetime, then the oldest finished keys of each of
    ``tokens`` past its share; at most ``limits.sweep_batch`` rows in all.

    The expiry reads every row (there is no index on ``created_at``), which is cheap because
    the shares bound the table. A key still in flight is never evicted (its request would
    run twice); past its lifetime it goes like any other.
    """
    budget = limits.sweep_batch
    expired = db.execute(
        "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT ?)",
        (now - limits.lifetime_seconds, budget),
    ).rowcount
    evicted = 0
    for token in sorted(set(tokens)):
        if expired + evicted >= budget:
            break
        evicted += _evict_past_share(db, token, limits, budget - expired - evicted)
    return Swept(expired, evicted, more=expired + evicted >= budget)


def _evict_past_share(db: sqlite3.Connection, token_sha256: str, limits: Limits, at_most: int) -> int:
    """Delete the oldest finished keys of one token beyond its count and bytes (at most ``at_most``)."""
    held = db.execute(
        "SELECT COUNT(*) AS keys, COALESCE(SUM(LENGTH(body)), 0) AS bytes FROM idempotency_keys WHERE token_sha256 = ?",
        (token_sha256,),
    ).fetchone()
    if held["keys"] <= limits.keys_per_token and held["bytes"] <= limits.bytes_per_token:
        return 0
    # Newest first, each row with how many keys and bytes are as new as it or newer: the rows
    # past either share are the oldest, and go.
    return db.execute(
        "DELETE FROM idempotency_keys WHERE rowid IN ("
        " SELECT rowid FROM ("
        "  SELECT rowid, state,"
        "   ROW_NUMBER() OVER newest_first AS place,"
        "   SUM(COALESCE(LENGTH(body), 0)) OVER newest_first AS bytes"
        "  FROM idempotency_keys WHERE token_sha256 = ?"
        "  WINDOW newest_first AS (ORDER BY created_at DESC, rowid DESC))"
        " WHERE state = 'done' AND (place > ? OR bytes > ?) LIMIT ?)",
        (token_sha256, limits.keys_per_token, limits.bytes_per_token, at_most),
    ).rowcount
