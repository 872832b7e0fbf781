"""Request rates and failure counts, one throttle script for all of them."""

from __future__ import annotations

from collections.abc import Sequence

from engine.adapters.failures import translated
from engine.adapters.redis import keys
from engine.adapters.redis.connection import Arg, Scripts


@translated
class RedisThrottles:
    def __init__(self, scripts: Scripts) -> None:
        # Every worker request counts its rate, every redemption checks its terminal's
        # failures: concurrent ones share a round trip.
        self.throttle = scripts.group_commit("throttle")

    async def rate(self, caller: str, window_s: int, allowed: int) -> int:
        """Count a request of `caller`; seconds to wait when over the allowance, else 0.

        The failure throttle's script, counting every request: it refuses once the count
        reaches its limit, so the limit is one past the allowance.
        """
        args: list[Arg] = [window_s, "1", allowed + 1]
        return int(await self.throttle.run([keys.rate(caller)], args))

    async def credential_failure(self, address: str, window_s: int, allowed: int) -> int:
        """Count a wrong credential from `address`; seconds it must wait when over the
        allowance, else 0."""
        key = keys.credential_failures(address)
        return int(await self.throttle.run([key], [window_s, "1", allowed]))

    async def code_failures(
        self, merchant_id: str, limits: Sequence[tuple[str, int]], window_s: int, failed: bool
    ) -> int:
        """Seconds to wait before trying again (0 = go ahead); counts a failure if `failed`.

        `limits` pairs a scope (a terminal, a key) with its allowance per window.
        """
        ks = [keys.failures(merchant_id, scope) for scope, _ in limits]
        args: list[Arg] = [window_s, "1" if failed else "0", *(limit for _, limit in limits)]
        return int(await self.throttle.run(ks, args))
