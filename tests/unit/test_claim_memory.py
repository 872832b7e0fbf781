"""The memory map's grouping of keys by kind (engine/bench/claim_memory.py)."""

from __future__ import annotations

from engine.adapters.redis import keys
from engine.bench.claim_memory import by_kind, kind_of


def test_every_key_a_claim_leaves_is_named_by_its_kind_and_owner():
    assert kind_of(keys.claim("c-1", "c-1.ab").encode()) == "claim"
    assert kind_of(keys.per_worker("claim").encode()) == "per-worker"
    assert kind_of(keys.worker_key_binding("w-1", "AbC-_9").encode()) == "w:idem"
    assert kind_of(keys.worker_profile("campaign").encode()) == "w:profile"
    assert kind_of(keys.rate("worker:w-1").encode()) == "rate:n"
    assert kind_of(b"not-ours") == "not-ours"


def test_keys_are_counted_and_summed_per_kind():
    sizes = {
        keys.claim("c", "1").encode(): 232,
        keys.claim("c", "2").encode(): 216,
        keys.worker_key_binding("w", "x").encode(): 136,
    }
    assert by_kind(sizes) == {"claim": (2, 448), "w:idem": (1, 136)}
