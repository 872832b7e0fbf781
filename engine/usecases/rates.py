"""Request rates per caller: a caller past its allowance is told when to come back."""

from __future__ import annotations

from engine.errors import RateLimited
from engine.usecases.ports import Throttle


class CallerRates:
    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle

    async def count(self, caller: str, per_min: int) -> None:
        """Count one request of `caller`; RateLimited past `per_min` a minute."""
        wait = await self.throttle.rate(caller, 60, per_min)
        if wait:
            raise RateLimited(f"At most {per_min} requests a minute", retry_after_s=wait)
