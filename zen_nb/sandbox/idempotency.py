"""Idempotency keys on POST (contract section 5), kept in the database.

The key is claimed (an ``in_flight`` row) as soon as the request's headers arrive, so a second
request with the same key is a 409 for as long as the first one runs, however slowly its body
comes in. The finished response is stored and replayed byte for byte, with the headers that are
part of the answer (``Location``), ``Idempotent-Replayed: true`` and the original request id.
All SQL is in ``data/idempotency.py``, called on worker threads.

Only answers of requests that did something are stored: a 2xx. Stripe stores whatever an
endpoint answers once it has begun to execute, because its endpoints can fail halfway, after
a side effect; every write of the sandbox is one transaction, so an error (a 404, a 409 name
conflict, a 400, 401, 413, 422, 429 or a 5xx) means nothing changed. Storing it would only
fill the database (every mistyped plane id a row for a day) and keep the client from reusing
its key once the cause is fixed (the other flow deleted, the plane id corrected).

What is stored is bounded (:class:`~.data.idempotency.Limits`): an answer larger than
``answer_bytes`` keeps its status and headers but not its body, and its replay is a 409
``idempotency_answer_too_large`` that says where the result is; and a sweep
(:class:`SweepSchedule`) deletes expired keys, and a token's oldest past its share, in bulk.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable

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
from .auth import V1_PREFIX
from .data import Store
from .data import idempotency as keys
from .data.connection import BEFORE_COMMIT
from .errors import ApiError
from .paths import path_segments

log = logging.getLogger("zen_nb.sandbox")

MAX_KEY_LENGTH = 255
# Every error status: none is stored (see the module's docstring); openapi.py documents that
# no error answer is ever a replay.
NOT_STORED_STATUSES = frozenset(range(400, 600))
SWEEP_EVERY_CLAIMS = 100
SWEEP_EVERY_SECONDS = 60.0
# The clock of the keys (Unix seconds); a test moves it to see a day pass.
clock: Callable[[], float] = time.time
# Headers that belong to one exchange, not to the answer: a replay sends its own (the stored
# request id, this request's rate-limit count) or recomputes them. Every other header of the
# answer (Location of a 201, say) is stored and replayed.
PER_REQUEST_HEADERS = {
    "content-length",
    "content-type",  # stored on its own
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "idempotent-replayed",
    "date",
    "server",
    "connection",
    "transfer-encoding",
}


def is_stored(status: int) -> bool:
    """Whether an answer with this status is kept for replays: only a request that did something."""
    return 200 <= status < 300


class SweepSchedule:
    """When to sweep the keys: every :data:`SWEEP_EVERY_CLAIMS` claims or :data:`SWEEP_EVERY_SECONDS`,
    whichever comes first, at the first claim of a process, and again at the next claim while a
    sweep left work behind.

    It is asked on the event loop, one request at a time, so it needs no lock; each sweep checks
    the shares of the tokens that claimed keys since the one before (at most
    :data:`SWEEP_EVERY_CLAIMS` of them).
    """

    def __init__(self) -> None:
        self._claims = 0
        self._last: float | None = None
        self._tokens: set[str] = set()
        self._behind = False

    def due(self, token_sha256: str, now: float) -> set[str] | None:
        """Count a claim by this token; the tokens to sweep for if a sweep is due now, else None."""
        self._claims += 1
        self._tokens.add(token_sha256)
        last = self._last
        if not (
            self._behind
            or last is None
            or self._claims >= SWEEP_EVERY_CLAIMS
            or not last <= now < last + SWEEP_EVERY_SECONDS  # also a clock that went back
        ):
            return None
        tokens, self._tokens = self._tokens, set()
        self._claims, self._last, self._behind = 0, now, False
        return tokens

    def done(self, swept: keys.Swept | None) -> None:
        """Note how a sweep ended: one that stopped at its batch is followed by another."""
        self._behind = swept is not None and swept.more


class IdempotencyMiddleware:
    """Replay, refuse or record POSTs that carry an ``Idempotency-Key``."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store
        self.schedule = SweepSchedule()

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
            now = clock()
            tokens = self.schedule.due(digest, now)
            if tokens is not None:
                self.schedule.done(await anyio.to_thread.run_sync(self._sweep, now, tokens))
            earlier = await anyio.to_thread.run_sync(self._claim, digest, key, now)
        except ApiError as error:
            await send_error(scope, send, error)
            return
        if earlier is not None:
            await self._answer_from_earlier(scope, receive, send, earlier)
            return
        await self._run_and_record(scope, receive, send, digest, key)

    async def _answer_from_earlier(self, scope: Scope, receive: Receive, send: Send, answer: keys.StoredAnswer) -> None:
        """The key was used and its request finished: replay it, or refuse if this request differs
        (:func:`reused_key_status`)."""
        body = await read_body_or_refuse(scope, receive, send)
        if body is None:
            return
        if answer.fingerprint != fingerprint(scope, body):
            await send_error(
                scope,
                send,
                ApiError(
                    reused_key_status(scope),
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used with a different request; use a new key for a new request",
                    field="Idempotency-Key",
                ),
            )
            return
        if answer.status is None:
            await send_error(scope, send, answer_lost())
            return
        if answer.body is None:
            await send_error(scope, send, too_large_to_replay(answer))
            return
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
        headers += [(b"idempotent-replayed", b"true"), (b"x-request-id", (answer.request_id or "").encode())]
        await send_bytes(send, answer.status, answer.body, headers, content_type=answer.content_type)

    async def _run_and_record(self, scope: Scope, receive: Receive, send: Send, digest: str, key: str) -> None:
        """Run the request under a claimed key, store its response, and only then send it.

        Holding the response until it is stored means a client that has its answer can never
        meet its own key still in flight.
        """
        status = 500
        chunks: list[bytes] = []
        content_type = "application/json"
        answer_headers: list[tuple[str, str]] = []
        held: list[Message] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for raw_name, raw_value in message.get("headers", []):
                    name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
                    if name == "content-type":
                        content_type = value
                    elif name not in PER_REQUEST_HEADERS:
                        answer_headers.append((name, value))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            held.append(message)

        settled = False  # the key is stored as done, or released
        try:
            body = await read_body_or_refuse(scope, receive, send)
            if body is None:
                return
            request_fingerprint = fingerprint(scope, body)

            def note_committed(db: sqlite3.Connection) -> None:
                keys.mark_committed(db, digest, key, request_fingerprint)

            noted = BEFORE_COMMIT.set(note_committed)  # the route's write transactions carry the note
            try:
                await self.app(scope, replay_receive(body, receive), capture)
            finally:
                BEFORE_COMMIT.reset(noted)
            if is_stored(status):
                answer_body: bytes | None = b"".join(chunks)
                if len(answer_body) > keys.LIMITS.answer_bytes:
                    answer_body = None  # the request ran: keep that, and where its result is
                answer = keys.StoredAnswer(
                    fingerprint=request_fingerprint,
                    status=status,
                    body=answer_body,
                    content_type=content_type,
                    request_id=state(scope).get("request_id", ""),
                    headers=answer_headers,
                )
                await anyio.to_thread.run_sync(self._finish, digest, key, answer)
            else:
                await anyio.to_thread.run_sync(self._release, digest, key)
            settled = True
        finally:
            if not settled:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._release, digest, key)
        for message in held:
            await send(message)

    # These block on the database: they run on worker threads, never on the event loop.

    def _sweep(self, now: float, tokens: set[str]) -> keys.Swept | None:
        """One bounded sweep; a failure is logged, never the request's: the next sweep tries again."""
        try:
            with self.store.transaction() as db:
                return keys.sweep(db, now, tokens, keys.LIMITS)
        except sqlite3.Error:
            log.exception("sweeping the idempotency keys failed; the next sweep will try again")
            return None

    def _claim(self, digest: str, key: str, now: float) -> keys.StoredAnswer | None:
        """Claim the key for this request; the stored answer if the key was used already; 409 while in use."""
        try:
            with self.store.transaction() as db:
                return keys.claim(db, digest, key, now, keys.LIMITS)
        except keys.KeyInUse:
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; wait for it, then retry to get its result",
                field="Idempotency-Key",
            ) from None

    def _finish(self, digest: str, key: str, answer: keys.StoredAnswer) -> None:
        with self.store.transaction() as db:
            keys.finish(db, digest, key, answer)

    def _release(self, digest: str, key: str) -> None:
        with self.store.transaction() as db:
            keys.release(db, digest, key)


def reused_key_status(scope: Scope) -> int:
    """The status of a key reused with another request: 409 on the v1 API, as the vendor's retry and
    idempotency pages say ("idempotency-conflict"); 422 on the recipe form, as its contract says
    (and as Stripe answers)."""
    return 409 if path_segments(scope)[:1] == [V1_PREFIX] else 422


def too_large_to_replay(answer: keys.StoredAnswer) -> ApiError:
    """The answer to a retry of a request that ran but whose answer was too large to keep."""
    location = dict(answer.headers).get("location")
    where = f"GET {location}" if location else "read the result with a GET"
    return ApiError(
        409,
        "idempotency_answer_too_large",
        f"the request with this Idempotency-Key already ran (it answered {answer.status}), but its answer was "
        f"larger than the {keys.LIMITS.answer_bytes} bytes a key keeps, so it cannot be replayed; do not send "
        f"it again: {where} instead",
        field="Idempotency-Key",
        headers={"Location": location} if location else None,
    )


def answer_lost() -> ApiError:
    """The answer to a retry of a request whose write committed just before the sandbox stopped
    (a crash, a ``kill -9``), before its answer was stored: carrying it out again would do it twice."""
    return ApiError(
        409,
        "idempotency_answer_lost",
        "the request with this Idempotency-Key was carried out, but the sandbox stopped before its answer was "
        "stored, so it cannot be replayed; do not send it again: read the result with a GET (list the "
        "resource to find it)",
        field="Idempotency-Key",
    )


def fingerprint(scope: Scope, body: bytes) -> str:
    """What must be equal for a replay: method, path, query and body.

    The path is the routing path (``paths.PathMiddleware``), so the spellings of one path that
    are served alike (``/x/`` and ``/x``, ``%2D`` and ``-``) are one request.
    """
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope["path"].encode(),
        scope.get("query_string", b""),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
