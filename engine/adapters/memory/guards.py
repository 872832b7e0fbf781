"""What guards the decisions, in memory: request rates and failure counts, Idempotency-Key
bindings, and the merchant API keys' cache (Throttle, KeyBindings, KeyCache)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.adapters.memory.live_state import LiveState
from engine.domain.api_keys import REVOKED, key_digest
from engine.domain.clock import Clock
from engine.domain.idempotency import KeyBinding
from engine.domain.profiles import WorkerProfile
from engine.errors import IdempotencyKeyReused, TooManyAttempts


@dataclass
class Counts:
    """Counters in fixed windows, each ending `window_s` after its first count (as a
    Redis key's EXPIRE does), on the clock the engine runs on."""

    clock: Clock
    held: dict[str, tuple[int, float]] = field(default_factory=dict)  # count, ends at (s)

    def get(self, name: str) -> int:
        count, ends = self.held.get(name, (0, 0.0))
        return count if ends > self._now() else 0

    def add(self, name: str, window_s: int) -> int:
        count, ends = self.held.get(name, (0, 0.0))
        if ends <= self._now():
            count, ends = 0, self._now() + window_s
        self.held[name] = (count + 1, ends)
        return count + 1

    def wait_s(self, name: str) -> int:
        """Seconds until the counter's window ends."""
        return max(0, math.ceil(self.held.get(name, (0, 0.0))[1] - self._now()))

    def _now(self) -> float:
        return self.clock.now().timestamp()


class MemoryThrottle:
    def __init__(self, counts: Counts) -> None:
        self.counts = counts

    async def rate(self, caller: str, window_s: int, allowed: int) -> int:
        return self._count([f"rate:{caller}"], window_s, True, [allowed + 1])

    async def credential_failure(self, address: str, window_s: int, allowed: int) -> int:
        return self._count([f"credential:{address}"], window_s, True, [allowed])

    async def code_failures(
        self, merchant_id: str, limits: Sequence[tuple[str, int]], window_s: int, failed: bool
    ) -> int:
        names = [failure_name(merchant_id, scope) for scope, _ in limits]
        return self._count(names, window_s, failed, [n for _, n in limits])

    def _count(self, names: list[str], window_s: int, count: bool, limits: list[int]) -> int:
        """throttle.lua's rule: refused (the seconds to wait) once a counter reaches its limit."""
        wait = 0
        for name, limit in zip(names, limits, strict=True):
            n = self.counts.add(name, window_s) if count else self.counts.get(name)
            if n >= limit:
                wait = max(wait, self.counts.wait_s(name))
        return wait


def failure_name(merchant_id: str, scope: str) -> str:
    return f"failures:{merchant_id}:{scope}"


class MemoryKeyBindings:
    """Keys by caller and operation, bound for as long as the store lives (a test outlasts
    no key's life); the profiles are the live state's cache."""

    def __init__(self, live: LiveState, counts: Counts) -> None:
        self.live, self.counts = live, counts
        self.bound: dict[tuple[str, str, str], str] = {}

    async def bind_worker(self, binding: KeyBinding) -> WorkerProfile | None:
        self._bind(binding)
        return self.live.profiles.get(binding.caller_id)

    async def bind_merchant(
        self, binding: KeyBinding, failure_limits: Sequence[tuple[str, int]]
    ) -> None:
        for scope, allowed in failure_limits:
            name = failure_name(binding.caller_id, scope)
            if self.counts.get(name) >= allowed:
                raise TooManyAttempts(retry_after_s=max(1, self.counts.wait_s(name)))
        self._bind(binding)

    async def unbind(self, binding: KeyBinding) -> None:
        key = (binding.caller_kind, binding.caller_id, binding.key_digest)
        if self.bound.get(key) == binding.digest:
            del self.bound[key]

    def _bind(self, binding: KeyBinding) -> None:
        held = self.bound.setdefault(
            (binding.caller_kind, binding.caller_id, binding.key_digest), binding.digest
        )
        if held != binding.digest:
            raise IdempotencyKeyReused()


class MemoryKeyCache:
    """Values by key digest, never overwritten by a fill; a cached key's requests counted
    in fixed windows."""

    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.values: dict[bytes, str] = {}

    async def lookup(self, api_key: str, window_s: int, allowed: int) -> tuple[str | None, int]:
        digest = key_digest(api_key)
        value = self.values.get(digest)
        if value is None or value == REVOKED:
            return value, 0
        name = f"key-requests:{digest.hex()}"
        over = self.counts.add(name, window_s) > allowed
        return value, max(1, self.counts.wait_s(name)) if over else 0

    async def remember(self, api_key: str, value: str, ttl_s: int) -> None:
        self.values.setdefault(key_digest(api_key), value)

    async def revoke(self, digest: bytes, ttl_s: int) -> None:
        self.values[digest] = REVOKED
