"""Idempotency keys on POST (contract section 5), kept in the database.

The key is claimed (an ``in_flight`` row) as soon as the request's headers arrive, so a second
request with the same key is a 409 for as long as the first one runs, however slowly its body
comes in. The finished response is stored and replayed byte for byte, with
``Idempotent-Replayed: true`` and the original request id. Like Stripe, answers that say the
request never ran (a malformed body, 401, 413, 422, 429) and server faults are not stored, so
the client can correct the request and retry with the same key.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

import anyio.to_thread

from .asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header,
    read_body_or_refuse,
    replay_receive,
    send_bytes,
    send_error,
    state,
)
from .errors import ApiError
from .store import Store

MAX_KEY_LENGTH = 255
KEY_LIFETIME_SECONDS = 24 * 3600
NOT_STORED_STATUSES = {400, 401, 413, 422, 429}


class IdempotencyMiddleware:
    """Replay, refuse or record POSTs that carry an ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, b"idempotency-key") if scope["type"] == "http" else None
        digest = state(scope).get("token_digest") if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or digest is None:
            await self.app(scope, receive, send)
            return
        try:
            if not key or len(key) > MAX_KEY_LENGTH:
                raise ApiError(
                    400,
                    "invalid_idempotency_key",
                    f"an Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters (a UUID is a good choice)",
                    field="Idempotency-Key",
                )
            claimed = await anyio.to_thread.run_sync(self._claim, digest, key)
        except ApiError as error:
            await send_error(scope, send, error)
            return
        if claimed is not None:
            await self._answer_from_earlier(scope, receive, send, claimed)
            return
        await self._run_and_record(scope, receive, send, digest, key)

    async def _answer_from_earlier(self, scope: Scope, receive: Receive, send: Send, row: sqlite3.Row) -> None:
        """The key was used and its request finished: replay it, or 422 if this request differs."""
        body = await read_body_or_refuse(scope, receive, send)
        if body is None:
            return
        if row["fingerprint"] != fingerprint(scope, body):
            await send_error(
                scope,
                send,
                ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used with a different request; use a new key for a new request",
                    field="Idempotency-Key",
                ),
            )
            return
        headers = [
            (b"idempotent-replayed", b"true"),
            (b"x-request-id", row["request_id"].encode()),
        ]
        await send_bytes(send, row["status"], row["body"], headers)

    async def _run_and_record(self, scope: Scope, receive: Receive, send: Send, digest: str, key: str) -> None:
        """Run the request under a claimed key, store its response, and only then send it.

        Holding the response until it is stored means a client that has its answer can never
        meet its own key still in flight.
        """
        status = 500
        chunks: list[bytes] = []
        content_type = "application/json"
        held: list[Message] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            held.append(message)

        settled = False  # the key is stored as done, or released
        try:
            body = await read_body_or_refuse(scope, receive, send)
            if body is None:
                return
            await self.app(scope, replay_receive(body, receive), capture)
            if status < 500 and status not in NOT_STORED_STATUSES:
                await anyio.to_thread.run_sync(
                    self._finish,
                    digest,
                    key,
                    fingerprint(scope, body),
                    status,
                    b"".join(chunks),
                    content_type,
                    state(scope).get("request_id", ""),
                )
            else:
                await anyio.to_thread.run_sync(self._release, digest, key)
            settled = True
        finally:
            if not settled:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._release, digest, key)
        for message in held:
            await send(message)

    def _claim(self, digest: str, key: str) -> sqlite3.Row | None:
        """Claim the key for this request; return the finished row if the key was used already."""
        now = time.time()
        with self.store.transaction() as db:
            db.execute(
                "DELETE FROM idempotency_keys WHERE token_sha256 = ? AND key = ? AND created_at < ?",
                (digest, key, now - KEY_LIFETIME_SECONDS),
            )
            row = db.execute(
                "SELECT * FROM idempotency_keys WHERE token_sha256 = ? AND key = ?", (digest, key)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO idempotency_keys (token_sha256, key, state, created_at) VALUES (?, ?, 'in_flight', ?)",
                    (digest, key, now),
                )
                return None
        if row["state"] == "in_flight":
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; wait for it, then retry to get its result",
                field="Idempotency-Key",
            )
        return row

    def _finish(
        self, digest: str, key: str, print_: str, status: int, body: bytes, content_type: str, request_id: str
    ) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE idempotency_keys SET state = 'done', fingerprint = ?, status = ?, body = ?,"
                " content_type = ?, request_id = ? WHERE token_sha256 = ? AND key = ?",
                (print_, status, body, content_type, request_id, digest, key),
            )

    def _release(self, digest: str, key: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "DELETE FROM idempotency_keys WHERE token_sha256 = ? AND key = ? AND state = 'in_flight'",
                (digest, key),
            )


def fingerprint(scope: Scope, body: bytes) -> str:
    """What must be equal for a replay: method, path, query and body."""
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope.get("raw_path") or scope["path"].encode(),
        scope.get("query_string", b""),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
