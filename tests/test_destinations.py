"""``zen_nb.sandbox.destinations`` on its own: the URL rule, the served pattern that states it, and
the one resolution of a local name. (Over HTTP, with receivers: ``test_delivery_destinations.py``.)
"""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zen_nb.sandbox.destinations import URL_PATTERN, RefusedDestination, destination_of, url_problem

SOME = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def no_surrogates(text: str) -> bool:
    return not any("\ud800" <= char <= "\udfff" for char in text)  # the API refuses those before (schemas.py)


@SOME
@given(st.from_regex(URL_PATTERN, fullmatch=True).filter(lambda url: len(url) <= 2048 and no_surrogates(url)))
def test_every_url_the_served_pattern_allows_is_accepted(url: str) -> None:
    """Schemathesis sends schema-valid URLs and expects them accepted: the pattern may not promise more."""
    assert url_problem(url) is None, url


@SOME
@given(st.from_regex(r"\A[Hh]ttps?://[0-9a-fA-Fx.:\[\]@%\\/ \t_-]{0,24}\Z"))
def test_the_pattern_and_the_rule_agree_on_urls_made_of_the_tricky_characters(url: str) -> None:
    assert (re.fullmatch(URL_PATTERN, url) is not None) == (url_problem(url) is None), url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks?x=1#frag",
        "https://hooks.example.com/zen",
        "http://localhost/",
        "http://[::1]:9/",
        "http://127.0.0.1:8000/ä?q=ü",
        "http://127.0.0.1:99999/x",  # unambiguous (every parser refuses the port): an attempt fails invalid_url
    ],
)
def test_plain_urls_are_accepted(url: str) -> None:
    assert url_problem(url) is None


def resolver(*answers: str) -> tuple[list[Any], Any]:
    asked: list[Any] = []

    def resolve(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append((host, port, kwargs))
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers
        ]

    return asked, resolve


def test_a_local_name_is_resolved_once_and_connected_to_by_address() -> None:
    asked, resolve = resolver("127.0.0.1", "::1", "127.0.0.1")
    destination = destination_of("http://LocalHost:8000/s3cret?x=1", resolve)
    assert destination is not None
    assert (destination.host, destination.port, destination.addresses) == ("localhost", 8000, ("127.0.0.1", "::1"))
    assert destination.host_header == "localhost:8000" and destination.target == "/s3cret?x=1"
    assert "s3cret" not in repr(destination)  # a path may carry a secret
    assert asked == [("localhost", 8000, {"type": socket.SOCK_STREAM})]


@pytest.mark.parametrize("answers", [("10.0.0.1",), ("127.0.0.1", "10.0.0.1"), ("::ffff:10.0.0.1",)])
def test_a_local_name_with_any_answer_off_loopback_is_refused(answers: tuple[str, ...]) -> None:
    with pytest.raises(RefusedDestination) as refused:
        destination_of("http://localhost:8000/", resolver(*answers)[1])
    assert refused.value.code == "destination_not_loopback"


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/", "http://receiver.test:8000/", "http://0.0.0.0:8000/", "http://[::]:80/"]
)
def test_anything_else_is_simulated_without_a_dns_query(url: str) -> None:
    asked, resolve = resolver("127.0.0.1")
    assert destination_of(url, resolve) is None and asked == []


def test_ipv4_mapped_loopback_is_connected_to_as_ipv4() -> None:
    destination = destination_of("http://[::ffff:7f00:1]:8000/")
    assert destination is not None and destination.addresses == ("127.0.0.1",)
    assert destination.host_header == "[::ffff:7f00:1]:8000"


@pytest.mark.parametrize(
    ("url", "code"), [("http://127.0.0.1:99999/x", "invalid_url"), ("http://a\\@b/", "invalid_url")]
)
def test_an_unusable_url_is_refused_without_echoing_it(url: str, code: str) -> None:
    with pytest.raises(RefusedDestination) as refused:
        destination_of(url)
    assert refused.value.code == code and "99999" not in str(refused.value)


@SOME
@given(st.one_of(st.text(max_size=60), st.text(max_size=60).map(lambda rest: "http://" + rest)).filter(no_surrogates))
def test_no_text_makes_the_rule_raise(url: str) -> None:
    """Whatever a client sends as a URL, the answer is a verdict (a 400 at worst), never a 500."""
    problem = url_problem(url)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        try:
            destination_of(url, resolver("127.0.0.1")[1])
        except RefusedDestination:
            pass
