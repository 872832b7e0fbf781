"""Idempotency-Keys bound to their requests, in the caller's own slot (bind_key.lua).

Every claim leaves one binding for the key's life, so its size is part of what a burst
costs Redis: the key names the key's digest in base64 (22 characters, not 32 in hex), and
the value is 16 bytes (the request's digest, whatever its spelling, hashed once more).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from engine.adapters.failures import translated
from engine.adapters.redis import keys, replies
from engine.adapters.redis.connection import Arg, Scripts
from engine.domain.idempotency import WORKER, KeyBinding
from engine.domain.profiles import WorkerProfile, from_record


@translated
class RedisKeyBindings:
    def __init__(self, scripts: Scripts, life_s: int) -> None:
        self.scripts, self.life_s = scripts, life_s
        # Every claim and redemption binds its key first: concurrent ones share a round trip.
        self.bind_group = scripts.group_commit("bind_key")

    async def bind_worker(self, binding: KeyBinding) -> WorkerProfile | None:
        """Bind the key (IdempotencyKeyReused if it names another request); the worker's
        profile of record as cached beside it (None: not cached)."""
        ks = [_binding_key(binding), keys.worker_profile(binding.caller_id)]
        record = replies.binding(
            await self.bind_group.run(ks, [_meaning(binding), self.life_s, "profile"])
        )
        return from_record(binding.caller_id, record) if record else None

    async def bind_merchant(
        self, binding: KeyBinding, failure_limits: Sequence[tuple[str, int]]
    ) -> None:
        """Bind the key unless a failed-code counter (scope, allowance) is at its limit
        (TooManyAttempts, nothing bound); IdempotencyKeyReused if it names another request."""
        ks = [
            _binding_key(binding),
            *(keys.failures(binding.caller_id, scope) for scope, _ in failure_limits),
        ]
        args: list[Arg] = [
            _meaning(binding),
            self.life_s,
            "failures",
            *(n for _, n in failure_limits),
        ]
        replies.binding(await self.bind_group.run(ks, args))

    async def unbind(self, binding: KeyBinding) -> None:
        """Free the key of a request refused as bad input (only if this request holds it)."""
        await self.scripts.run("delete_if", [_binding_key(binding)], [_meaning(binding)])


def _binding_key(binding: KeyBinding) -> str:
    name = base64.urlsafe_b64encode(bytes.fromhex(binding.key_digest)).rstrip(b"=").decode()
    if binding.caller_kind == WORKER:
        return keys.worker_key_binding(binding.caller_id, name)
    return keys.merchant_key_binding(binding.caller_id, name)


def _meaning(binding: KeyBinding) -> bytes:
    return hashlib.blake2b(binding.digest.encode(), digest_size=16).digest()
