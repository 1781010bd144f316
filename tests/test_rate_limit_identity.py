"""The rate limit counts who a request proves to be, not how it spells its header (issue 13, finding 4).

A tenant's token counts as one caller however ``Bearer`` is written; the admin token is a
caller of its own; every request without a valid token (a wrong one, none, any header at all on
``/health``) counts against its client's address, so a flood of wrong tokens meets 429s too.
Each test starts a sandbox of its own at a limit of 10 per hour, so that a window turns over at
most once during a test: at most twice the limit can get through.
"""

from __future__ import annotations

import secrets
import time
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.rate_limit import RateLimiter

from helpers import assert_error

LIMIT = 10
WINDOW = 3600
AT_MOST = 2 * LIMIT  # the limit, twice if the window turns over during the test


@pytest.fixture
def box() -> Iterator[sandbox_pkg.Sandbox]:
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(LIMIT, WINDOW)) as started:
        yield started


def spellings(token: str, count: int) -> list[str]:
    """``count`` different ``Authorization`` headers that all carry ``token``: the case of
    ``Bearer`` and the spaces after it vary."""
    found = []
    for spaces in range(1, 10):
        for mask in range(64):
            scheme = "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate("bearer"))
            found.append(f"{scheme}{' ' * spaces}{token}")
    assert len(set(found[:count])) == count
    return found[:count]


def get_all(url: str, authorizations: list[str | None]) -> list[requests.Response]:
    session = requests.Session()
    answers = []
    for authorization in authorizations:
        headers = {"Authorization": authorization} if authorization is not None else {}
        answers.append(session.get(url, headers=headers, timeout=30))
    return answers


def assert_limited(answers: list[requests.Response], allowed_status: int) -> None:
    """At most :data:`AT_MOST` answers got through; every other one is the contract's 429."""
    statuses = [answer.status_code for answer in answers]
    through = statuses.count(allowed_status)
    assert LIMIT <= through <= AT_MOST, f"{through} of {len(answers)} got through at a limit of {LIMIT}"
    assert statuses.count(429) == len(answers) - through, sorted(set(statuses))
    limited = next(answer for answer in answers if answer.status_code == 429)
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= WINDOW
    assert limited.headers["X-RateLimit-Limit"] == str(LIMIT)
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > time.time()


def test_the_spellings_of_bearer_are_one_caller(box):
    answers = get_all(f"{box.base_url}/tenants/{box.tenant_id}", spellings(box.token, 300))
    assert_limited(answers, 200)
    # The count went down across the spellings: one caller, one count.
    remaining = [int(answer.headers["X-RateLimit-Remaining"]) for answer in answers[:LIMIT]]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] < remaining[0]


def test_wrong_tokens_are_counted_against_their_address(box):
    wrong = [f"Bearer zen_test_{secrets.token_urlsafe(24)}" for _ in range(2_000)]
    answers = get_all(f"{box.base_url}/tenants/{box.tenant_id}", wrong)
    assert_limited(answers, 401)
    limited = next(answer for answer in answers if answer.status_code == 429)
    assert "ZEN_API_TOKEN" in limited.json()["message"]
    # The right token is a caller of its own: the flood of wrong ones from its address does not stop it.
    right = requests.get(
        f"{box.base_url}/tenants/{box.tenant_id}", headers={"Authorization": f"Bearer {box.token}"}, timeout=30
    )
    assert right.status_code == 200, right.text


def test_a_forwarded_for_header_does_not_change_the_address_counted(box):
    # No proxy stands before the sandbox: a local process that claims other client addresses in
    # X-Forwarded-For (uvicorn trusts it from 127.0.0.1 unless told not to) is still one address.
    session = requests.Session()
    answers = [
        session.get(
            f"{box.base_url}/tenants/{box.tenant_id}",
            headers={
                "Authorization": f"Bearer zen_test_wrong_{number}",
                "X-Forwarded-For": f"198.51.100.{number % 250}",
                "X-Forwarded-Proto": "https",
            },
            timeout=30,
        )
        for number in range(300)
    ]
    assert_limited(answers, 401)


def test_any_header_on_health_is_counted_against_its_address(box):
    junk = [f"Bearer junk-{number}" for number in range(150)] + [f"Basic {number}" for number in range(150)]
    assert_limited(get_all(f"{box.base_url}/health", junk), 200)


def test_the_admin_token_is_one_caller_whatever_its_spelling_and_not_its_address(box):
    # The address's count is used up first: the admin token does not share it.
    assert_limited(get_all(f"{box.base_url}/health", [None] * (LIMIT + 5)), 200)
    answers = get_all(f"{box.base_url}/_sandbox/delivery", spellings(box.admin_token, 300))
    assert answers[0].status_code == 200, answers[0].text
    assert_limited(answers, 200)


def test_tenants_are_counted_apart(box):
    created = requests.post(
        f"{box.base_url}/_sandbox/tenants", headers={"Authorization": f"Bearer {box.admin_token}"}, timeout=30
    )
    assert created.status_code == 201, created.text
    other = created.json()
    demo = get_all(f"{box.base_url}/tenants/{box.tenant_id}", [f"Bearer {box.token}"] * (LIMIT + 5))
    assert_limited(demo, 200)
    theirs = get_all(f"{box.base_url}/tenants/{other['id']}", [f"Bearer {other['token']}"] * 3)
    assert [answer.status_code for answer in theirs] == [200] * 3


def test_the_limiter_keeps_a_bounded_count_of_callers():
    """A window with 100,000 different callers (addresses, say) holds a bounded number of counts."""
    limiter = RateLimiter(LIMIT, WINDOW)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(100_000):
            limiter.hit(f"addr:10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}")
        grew = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grew < 4 * 1024 * 1024, f"the limiter grew by {grew / 2**20:.1f} MiB for 100,000 callers"
    # Addresses past the bound share one count: long past the limit here, so a new one is refused;
    # a token is still counted on its own (there are only as many as tenants).
    assert limiter.hit("addr:192.0.2.1")[0] is False
    allowed, remaining, _ = limiter.hit("token:" + "0" * 64, may_share=False)
    assert allowed and remaining == LIMIT - 1


def test_a_tenant_token_on_the_class_s_paths_counts_as_its_own_caller_not_its_address(
    box: sandbox_pkg.Sandbox,
) -> None:
    """Thirty trainees behind one address (a room's NAT, a JupyterHub) check exercises: each has a
    limit of its own, as on the API's paths; one trainee past it leaves the next untouched."""
    made = requests.post(
        f"{box.base_url}/_sandbox/class/trainees",
        json={"count": 2},
        headers={"Authorization": f"Bearer {box.admin_token}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    first, second = (f"Bearer {trainee['token']}" for trainee in made.json()["trainees"])
    check = f"{box.base_url}/_sandbox/class/exercises/create-a-target/check"
    session = requests.Session()
    flood = [session.post(check, headers={"Authorization": first}, timeout=30) for _ in range(AT_MOST + 5)]
    assert_limited(flood, 200)
    after = session.post(check, headers={"Authorization": second}, timeout=30)
    assert after.status_code == 200, after.text
    assert int(after.headers["x-ratelimit-remaining"]) >= LIMIT - 2
