"""Names are unique per plane under concurrent requests: the database decides, not a check-then-insert.

A race only proves something if the requests really overlap inside the server. Threads that
each send a whole request reach the server one after another (each is parsed, authenticated
and handled in well under a millisecond), so a check-then-insert would pass them too. Here every
request is sent whole but for its last byte, on its own connection; then all last bytes go at
once, and the server has every request ready at the same moment. Run against a check-then-insert
(a name lookup, then an insert in another transaction, without the unique constraint), the
same-name test gives two 201s in some of its rounds, on a file database (readers beside the
writer) as on ``:memory:`` (one lock for both), and the rename test gives two 200s.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

from zen_nb import sandbox as sandbox_pkg

from helpers import Api, assert_error


class RawResponse:
    """What a raced request got back: its status, headers and JSON body (as ``requests`` names them)."""

    def __init__(self, status: int, headers: CaseInsensitiveDict, body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")
        self._body = body

    def json(self) -> dict:
        return json.loads(self._body)


def _read_response(sock: socket.socket) -> RawResponse:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or b""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = CaseInsensitiveDict(line.split(": ", 1) for line in header_lines)
    while len(body) < int(headers["Content-Length"]):
        body += sock.recv(65536)
    return RawResponse(int(status_line.split(" ", 2)[1]), headers, body)


def race(api: Api, method: str, paths_and_bodies: list[tuple[str, dict]]) -> list[RawResponse]:
    """Send every request but its last byte, then all last bytes together; return the answers in order."""
    where = urlsplit(api.base_url)
    token = api.session.headers["Authorization"]
    sockets, last_bytes = [], []
    for path, body in paths_and_bodies:
        payload = json.dumps(body).encode()
        request = (
            f"{method} {urlsplit(api.url(path)).path} HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Authorization: {token}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        sock = socket.create_connection((where.hostname, where.port), timeout=60)
        sock.sendall(request[:-1])
        sockets.append(sock)
        last_bytes.append(request[-1:])
    barrier = threading.Barrier(len(sockets))

    def release(index: int) -> None:
        barrier.wait(timeout=30)
        sockets[index].sendall(last_bytes[index])

    threads = [threading.Thread(target=release, args=(index,)) for index in range(len(sockets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        return [_read_response(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(params=["file", "memory"])
def raced_api(request, tmp_path) -> Iterator[Api]:
    """The demo tenant on a sandbox of its own: a file database (readers beside the writer) or ``:memory:``."""
    db = tmp_path / "race.sqlite3" if request.param == "file" else ":memory:"
    with sandbox_pkg.start(port=0, db=db, rate_limit=(1_000_000, 1)) as box:
        yield Api(box)


def _flow(name: str) -> dict:
    return {"name": name, "source": "ingester_stripe", "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}}


ROUNDS = 12  # a check-then-insert slips through in some rounds: in 12, all but surely in one


def test_30_requests_creating_the_same_name_at_once_give_one_201_and_29_409(raced_api):
    names = [f"raced-flow-{round_:02d}" for round_ in range(ROUNDS)]
    for name in names:
        responses = race(raced_api, "POST", [("{plane}/delivery-flows", _flow(name))] * 30)
        assert Counter(response.status_code for response in responses) == {201: 1, 409: 29}, name
        for response in responses:
            if response.status_code == 409:
                assert_error(response, 409, "flow_name_conflict", "name")
    assert [flow["name"] for flow in raced_api.all_pages("{plane}/delivery-flows")] == names


def test_30_requests_with_30_names_at_once_all_succeed_with_distinct_ids(raced_api):
    responses = race(raced_api, "POST", [("{plane}/delivery-flows", _flow(f"parallel-{n:02d}")) for n in range(30)])
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 30


def test_renaming_two_flows_to_one_name_at_once_lets_exactly_one_win(raced_api):
    first = raced_api.create_flow("first").json()["id"]
    second = raced_api.create_flow("second").json()["id"]
    path = "{plane}/delivery-flows/"
    responses = race(
        raced_api, "PATCH", [(path + first, {"name": "same-name"}), (path + second, {"name": "same-name"})]
    )
    assert sorted(response.status_code for response in responses) == [200, 409]
    names = sorted(flow["name"] for flow in raced_api.all_pages("{plane}/delivery-flows"))
    assert names in (["first", "same-name"], ["same-name", "second"])
