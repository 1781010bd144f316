"""One real POST to a checked :class:`~.destinations.Destination`, and nowhere else.

The connection goes to the addresses that were checked (never to a name that DNS could answer
differently the second time), with the URL's own host in the ``Host`` header and for TLS. No
redirect is followed (a 3xx is the attempt's answer), no proxy is used (urllib3's pools read no
``HTTP_PROXY`` from the environment, unlike ``requests``), and the answer's body is not read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .destinations import Destination

__all__ = ["Answer", "post"]


@dataclass(frozen=True)
class Answer:
    """What one POST got: the HTTP status, or the error code of why none came; and how long it took."""

    status: int | None
    error_code: str | None
    latency_ms: int


def post(destination: Destination, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``destination``: its addresses in turn until one takes the connection."""
    started = time.perf_counter()
    code = "connection_error"
    for address in destination.addresses:
        pool = _pool(destination, address, timeout)
        try:
            response = pool.urlopen(
                "POST",
                destination.target,
                body=body,
                headers={**headers, "Host": destination.host_header},
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
            )
            response.close()  # only the status counts: the body is never read, however long it is
            return Answer(response.status, None, _since(started))
        except NewConnectionError as error:  # (a subclass of the timeout below) try the next address
            code = "connection_refused" if isinstance(error.__cause__, ConnectionRefusedError) else "connection_error"
        except Urllib3Timeout:
            return Answer(None, "timeout", _since(started))
        except HTTPError:
            return Answer(None, "connection_error", _since(started))
        finally:
            pool.close()
    return Answer(None, code, _since(started))


def _pool(destination: Destination, address: str, timeout: float) -> HTTPConnectionPool:
    limits = {"timeout": Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if destination.scheme == "https":
        return HTTPSConnectionPool(address, destination.port, server_hostname=destination.host, **limits)
    return HTTPConnectionPool(address, destination.port, **limits)


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
