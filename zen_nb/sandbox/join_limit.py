"""The join limiter: failed joins per client address, so that join codes cannot be guessed.

A join code has 40 bits. Past 10 failed joins (a malformed, unknown or revoked code) from one
address in a 60-second window, every join from it is refused with 429 until the window ends,
even one with a right code: a guesser learns nothing more in that window. Guessing one of a
class's 100 codes then takes about 2^40 / 100 / 10 minutes, some 2,000 years. Successful joins
are not counted: a room behind one address joins at once.

It counts in memory, per server process (the CLI never joins), in the fixed windows of
:class:`~.rate_limit.RateLimiter`, with its bounded memory.
"""

from __future__ import annotations

from .rate_limit import RateLimiter

FAILED_JOINS = 10
WINDOW_SECONDS = 60.0


class JoinLimiter(RateLimiter):
    """A :class:`RateLimiter` of failed joins that can also be asked, without counting, whether an
    address is past its limit."""

    def __init__(self, limit: int = FAILED_JOINS, window_seconds: float = WINDOW_SECONDS, **kwargs: object) -> None:
        super().__init__(limit, window_seconds, **kwargs)  # type: ignore[arg-type]

    def refusal(self, address: str) -> int | None:
        """Seconds until ``address`` may join again (``Retry-After``), or None when it may now."""
        failed, reset_at = self.peek(address)
        return self.retry_after(reset_at) if failed >= self.limit else None

    def failed(self, address: str) -> int | None:
        """Count a failed join; the ``Retry-After`` when it went past the limit (a race of guesses), else None."""
        allowed, _, reset_at = self.hit(address)
        return None if allowed else self.retry_after(reset_at)

    def forget(self) -> None:
        """Forget every failure (a reset sandbox starts afresh)."""
        self.clear()
