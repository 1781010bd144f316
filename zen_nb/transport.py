"""HTTP for the client: a ``requests.Session`` with the token, timeouts and urllib3 retries,
and the translation of answers into Python values or :mod:`zen_nb.errors`.

Retries are urllib3's ``Retry`` (no loop of our own): connection failures, lost responses,
429 and 502/503/504, with exponential backoff, ``Retry-After`` honoured (capped), and a bound
on both the count and the total time. Every POST carries an ``Idempotency-Key`` made once per
call, so a retried create replays the first answer instead of creating twice. A caller whose
call raised after its retries may call again with the key of its own it gave the first time
(``idempotency_key=``): the API then replays the first call's answer if it was carried out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from .config import ZenConfig
from .errors import (
    RateLimitedError,
    ServerError,
    ZenAPIError,
    ZenConfigError,
    ZenConnectionError,
    ZenError,
    ZenTimeoutError,
    error_class,
)
from .fixes import connection_fix, fix_for, slow_answer_fix
from .secrets import masked, redact_text, secret_values
from .vocabulary import VERSION
from .wire import error_fields, list_items, next_cursor

RETRY_STATUSES = frozenset({429, 502, 503, 504})
PAGE_RESUMES = 2  # more calls of one list page after its retries ran out (Transport.page)
PAGE_RESUME_WAIT = 1.0  # seconds before the first of them, more before the next
LOG = logging.getLogger(__name__)
MAX_IDEMPOTENCY_KEY = 255  # characters: the contract's bound (section 5)
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds


class ZenRetry(Retry):
    """urllib3's ``Retry`` with a cap on ``Retry-After`` and a budget for the whole call."""

    retry_after_cap = 30.0
    time_budget = 90.0

    def __init__(self, *args: Any, started: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started = started

    def new(self, **kwargs: Any) -> ZenRetry:
        kwargs.setdefault("started", self.started if self.started is not None else time.monotonic())
        return super().new(**kwargs)  # type: ignore[return-value]

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.retry_after_cap)

    def is_exhausted(self) -> bool:
        over_time = self.started is not None and time.monotonic() - self.started > self.time_budget
        return over_time or super().is_exhausted()


def default_retry(attempts: int = 4) -> ZenRetry:
    """``attempts`` retries after the first try, on every method: POSTs are made safe by their key."""
    return ZenRetry(
        total=attempts,
        connect=attempts,
        read=attempts,
        status=attempts,
        other=0,
        allowed_methods=None,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=0.25,
        backoff_max=8.0,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=True,
    )


class Endpoint(Protocol):
    """What a transport reads of its configuration: a :class:`ZenConfig`, or for the sandbox's own
    surface (``/_sandbox/class/...``) an API base with the token that call needs, or none (a join)."""

    @property
    def api_base(self) -> str: ...

    @property
    def api_token(self) -> str: ...

    @property
    def tenant_id(self) -> str: ...


class Transport:
    """Sends requests under ``/tenants/{tenantId}`` of one configuration and returns parsed JSON."""

    def __init__(
        self,
        config: ZenConfig | Endpoint,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: Retry | int | None = None,
        root: str | None = None,
        prefix: str = "",
        auth_header: str = "bearer",
    ) -> None:
        self.config = config
        self.root = (root if root is not None else config.api_base).rstrip("/")
        self.prefix = prefix  # "/v1" for the v1 form: tenant paths are {root}/v1/tenants/{t}/...
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc from the environment in front of the sandbox
        self.session.headers.update({"Accept": "application/json", "User-Agent": f"zen_nb/{VERSION}"})
        if config.api_token:  # a join sends none: an empty "Bearer " would be a malformed credential
            self.session.headers.update(auth_headers(config.api_token, auth_header))
        max_retries = default_retry(retry) if isinstance(retry, int) else (retry or default_retry())
        adapter = HTTPAdapter(max_retries=max_retries)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str, *, under_tenant: bool = True) -> str:
        """The URL of ``path`` under ``/tenants/{tenantId}`` (or under the API root: the sandbox's own surface)."""
        if not under_tenant:
            return f"{self.root}{path}"
        return f"{self.root}{self.prefix}/tenants/{self.config.tenant_id}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        under_tenant: bool = True,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one call (retried as above); return its JSON, or None for an empty answer.

        A POST carries ``idempotency_key`` if given (see :func:`checked_idempotency_key`), else a
        fresh key; the key is made once here, so urllib3's retries of this call all send it.
        """
        headers = {"Idempotency-Key": idempotency_key_for(idempotency_key)} if method == "POST" else {}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        url = self.url(path, under_tenant=under_tenant)
        response = self.send(method, url, params=params, data=data, headers=headers)
        if response.status_code == 404 and method == "DELETE" and _earlier_try_may_have_landed(response):
            return None  # an earlier DELETE went through; its answer was lost on the way back
        if not response.ok:
            raise self.error(response, sent=body)
        if not response.content:
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            shown = self.redact(response.text[:300])
            raise ServerError(
                f"the API answered {response.status_code} with a body that is not JSON: {shown}",
                status=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
                fix="Check that ZEN_API_BASE points at the Zen Mesh API, not at another web server.",
            ) from None

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """The raw exchange; a failure to connect becomes :class:`ZenConnectionError`, an answer
        that never came (after the retries) :class:`ZenTimeoutError`.

        requests raises ``ConnectionError`` for a read time-out once urllib3's retries are spent
        (``MaxRetryError`` wraps it), so the cause is read from the chain, not from the class.
        """
        try:
            return self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as error:
            where = f"{method} {urlsplit(url).path}"
            if _caused_by(error, ReadTimeoutError) or isinstance(error, requests.ReadTimeout):
                read_timeout = self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout
                raise ZenTimeoutError(
                    f"the API at {self.config.api_base} took the request but did not answer within "
                    f"{read_timeout:g} s ({self.redact(where)})",
                    fix=slow_answer_fix(read_timeout),
                ) from None
            # urllib3's NewConnectionError (refused, no route) is a kind of ConnectTimeoutError: asked first
            timed_out = isinstance(error, requests.Timeout) or _caused_by(error, ConnectTimeoutError)
            if timed_out and not _caused_by(error, NewConnectionError):
                reason = "no connection within the connect time-out"
            else:
                reason = _root_reason(error)
            failure = ZenConnectionError(
                f"could not reach the API at {self.config.api_base}: {self.redact(reason)}",
                fix=connection_fix(self.config.api_base),
            )
            failure.reached = _caused_by(error, ProtocolError)  # it took the connection, then lost it
            raise failure from None

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list, following its cursor; any documented wrapper (see :mod:`zen_nb.wire`).

        A page whose tries were all spent on transient failures is fetched again from its own
        cursor (:meth:`page`), so that a long load goes on where it was instead of starting over.
        """
        params = {key: value for key, value in params.items() if value is not None}
        while True:
            body = self.page(path, params)
            yield list_items(body)
            cursor = next_cursor(body)
            if cursor is None or cursor == params.get("cursor"):
                return  # the last page (a cursor that does not move would loop for ever)
            params = {**params, "cursor": cursor}

    def page(self, path: str, params: dict[str, Any]) -> Any:
        """One page of a list, with up to :data:`PAGE_RESUMES` more calls after a transient error.

        Each call is already retried by urllib3 (:func:`default_retry`); a read of a list is safe
        to repeat, and the cursor pins the page. A refused connection or a 4xx is raised at once.
        """
        for resume in range(PAGE_RESUMES):
            try:
                return self.request("GET", path, params=params)
            except (RateLimitedError, ServerError, ZenConnectionError) as error:
                if not is_transient(error):
                    raise
                wait = getattr(error, "retry_after", None) or PAGE_RESUME_WAIT * (resume + 1)
                LOG.info("page of %s failed after its retries (%s); fetching it again in %.1f s", path, error, wait)
                time.sleep(min(wait, ZenRetry.retry_after_cap))
        return self.request("GET", path, params=params)  # the last call: what it raises is the caller's

    def error(self, response: requests.Response, sent: Any = None) -> ZenAPIError:
        """The typed error for an error answer, whatever shape its body has.

        Neither its message nor its ``.body`` shows the token or a secret of the request ``sent``
        (a target's ``config``) or of the answer: a server may echo either.
        """
        status = response.status_code
        code = field = None
        request_id = response.headers.get("X-Request-Id")
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        fields = error_fields(parsed)
        if fields.message:
            code, field = fields.code, fields.field
            message = fields.message
            request_id = fields.request_id or request_id
        else:
            text = " ".join(response.text.split())[:500] or "(no body)"
            message = f"HTTP {status} {response.reason or ''}: {text}".replace("  ", " ")
        secrets = [*secret_values(sent), *secret_values(parsed)]

        def hide(text: str) -> str:
            return redact_text(self.redact(text), secrets)

        cls = error_class(status, code)
        error = cls(
            hide(message),
            status=status,
            code=code,
            field=field,
            request_id=request_id,
            fix=fix_for(status, code, urlsplit(response.url or "").path),
            body=_redact_json(masked(parsed), hide),
        )
        if isinstance(error, RateLimitedError):
            retry_after = response.headers.get("Retry-After", "")
            error.retry_after = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None
        return error

    def redact(self, text: str) -> str:
        """Text with the token cut out, wherever a server or proxy may have echoed it."""
        token = self.config.api_token
        return text.replace(token, "<token hidden>") if token else text

    def close(self) -> None:
        self.session.close()


def auth_headers(token: str, scheme: str = "bearer") -> dict[str, str]:
    """The credential header: ``Authorization: Bearer`` (the recipes), or ``X-API-Key`` (the v1 pages' other way)."""
    if scheme.lower() in ("x-api-key", "api-key", "api_key"):
        return {"X-API-Key": token}
    if scheme.lower() != "bearer":
        raise ZenConfigError(
            f"auth_header must be 'bearer' or 'x-api-key', not {scheme!r}",
            fix="Leave it out for Authorization: Bearer, or pass auth_header='x-api-key'.",
        )
    return {"Authorization": f"Bearer {token}"}


def idempotency_key_for(key: str | None) -> str:
    """The ``Idempotency-Key`` of one POST: the caller's own (checked), or a fresh one."""
    return f"zen-nb-{uuid.uuid4()}" if key is None else checked_idempotency_key(key)


def checked_idempotency_key(key: object) -> str:
    """A caller's ``idempotency_key=``, refused before anything is sent if the API would refuse it.

    The contract takes 1 to 255 characters; an HTTP header holds printable ASCII only (a line
    break would end the header, and ``requests`` would fail with a message that names neither
    the keyword nor the fix), and loses the spaces around its value.
    """
    fix = (
        "Pass a string of 1 to 255 printable ASCII characters that you keep, e.g. "
        "key = f'create-{uuid.uuid4()}', then call again with idempotency_key=key after an error."
    )
    if not isinstance(key, str):
        raise ZenError(f"idempotency_key must be a string, not {type(key).__name__}", fix=fix)
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        raise ZenError(f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} characters, not {len(key)}", fix=fix)
    if not all(" " <= char <= "~" for char in key):
        bad = next(char for char in key if not " " <= char <= "~")
        raise ZenError(f"idempotency_key holds {bad!r}: an HTTP header takes printable ASCII only", fix=fix)
    if key != key.strip():  # HTTP drops a header value's outer spaces: the server would see another key
        raise ZenError("idempotency_key starts or ends with a space, which HTTP would drop", fix=fix)
    return key


def part_key(key: str | None, part: object) -> str | None:
    """The key of one request of a call that sends several (``retry_attempts``): made from the
    caller's ``key`` and what that request is about, so the same call again sends the same keys.

    A key that would pass the contract's 255 characters is shortened to a digest of both.
    """
    if key is None:
        return None
    made = f"{checked_idempotency_key(key)}:{part}"
    if len(made) <= MAX_IDEMPOTENCY_KEY and made.isascii() and made.isprintable():
        return made
    return f"zen-nb-{hashlib.sha256(made.encode()).hexdigest()}"


def _earlier_try_may_have_landed(response: requests.Response) -> bool:
    """Whether a retried request may have been carried out by an earlier try.

    A lost answer (a read error) or a gateway status may hide a request the server carried out;
    a refused connection or a 429 means it never ran.
    """
    retries = getattr(response.raw, "retries", None)
    for attempt in getattr(retries, "history", ()):
        if attempt.status in (502, 503, 504):
            return True
        if attempt.error is not None and not isinstance(attempt.error, (ConnectTimeoutError, NewConnectionError)):
            return True
    return False


def is_transient(error: ZenError) -> bool:
    """Whether calling again soon may work: a 429, a gateway's 502/503/504, a lost or late answer."""
    if isinstance(error, ZenConnectionError):
        return error.reached
    return getattr(error, "status", None) in RETRY_STATUSES


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is in the chain of ``error``: its ``reason``s, causes, contexts and args."""
    seen: set[int] = set()
    todo: list[Any] = [error]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        if isinstance(item, kind):
            return True
        seen.add(id(item))
        todo += [getattr(item, "reason", None), item.__cause__, item.__context__, *item.args]
    return False


def _redact_json(value: Any, redact: Any) -> Any:
    """A parsed JSON value with ``redact`` applied to every string in it."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(item, redact) for item in value]
    if isinstance(value, dict):
        return {redact(str(key)): _redact_json(item, redact) for key, item in value.items()}
    return value


def _root_reason(error: BaseException) -> str:
    """The innermost cause of a connection failure, e.g. 'Connection refused'."""
    reason: BaseException = error
    while True:
        inner = getattr(reason, "reason", None) or reason.__cause__ or reason.__context__
        if inner is None or inner is reason or isinstance(inner, str):
            break
        reason = inner
    text = str(reason)
    if "Connection refused" in text or isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return text.split(": ", 1)[-1] if ": " in text else text
