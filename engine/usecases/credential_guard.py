"""Wrong merchant keys and ops tokens, counted per client address.

Only credentials of the right shape count (a merchant key's or a named ops token's
prefix): they are the ones that cost a database look-up and could be guesses. A worker
token sent to a merchant route is refused without a look-up and counts for nothing.

Every wrong credential is counted in Redis (shared by all API processes); once an address
is over its allowance, this process refuses it from memory until the window ends, so a
guessing client costs neither a database look-up nor a Redis round trip per try, and
right credentials never pay for the count at all.
"""

from __future__ import annotations

import math

from engine.errors import RateLimited
from engine.usecases.ports import Clock, Throttle

_WINDOW_S = 60
_MAX_REMEMBERED = 10_000


class CredentialGuard:
    def __init__(self, throttle: Throttle, failures_per_min: int, clock: Clock) -> None:
        self.throttle, self.failures_per_min, self.clock = throttle, failures_per_min, clock
        self._blocked: dict[str, float] = {}

    def check(self, address: str) -> None:
        until = self._blocked.get(address)
        if until is None:
            return
        left = until - self.clock.now().timestamp()
        if left <= 0:
            del self._blocked[address]
            return
        raise RateLimited(
            f"Too many wrong credentials from this address; at most "
            f"{self.failures_per_min} a minute",
            retry_after_s=math.ceil(left),
        )

    async def failed(self, address: str) -> None:
        wait = await self.throttle.credential_failure(address, _WINDOW_S, self.failures_per_min)
        if wait:
            if len(self._blocked) >= _MAX_REMEMBERED:
                self._blocked.clear()
            self._blocked[address] = self.clock.now().timestamp() + wait
