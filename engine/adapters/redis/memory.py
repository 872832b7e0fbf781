"""Redis's memory in use, over every node: the benchmark reads it before and after a run
to tell the run's bytes per admission (engine/bench/per_unit.py), and what each kind of
key costs. Synchronous: the benchmark reads it between blocking load-generator runs."""

from __future__ import annotations

from collections.abc import Iterable

import redis

from engine.adapters.redis.connection import CLUSTER_SCHEME, cluster_address
from engine.settings import Settings


def used_memory(settings: Settings) -> int:
    """`used_memory` of INFO, summed over the nodes the URL names (bytes)."""
    url = settings.redis_url.get_secret_value()
    if url.startswith(CLUSTER_SCHEME):
        nodes, user, password = cluster_address(url)
        clients = [redis.Redis(host=h, port=p, username=user, password=password) for h, p in nodes]
    else:
        clients = [redis.Redis.from_url(url)]
    try:
        return sum(int(c.info("memory")["used_memory"]) for c in clients)
    finally:
        for c in clients:
            c.close()


def key_sizes(settings: Settings, keys: Iterable[bytes]) -> dict[bytes, int]:
    """MEMORY USAGE of each key (bytes; 0 for one gone), on one Redis server: what a
    record costs, kind by kind (`python -m engine.bench.claim_memory`)."""
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        wanted, sizes = list(keys), {}
        for at in range(0, len(wanted), 5_000):
            pipe = client.pipeline(transaction=False)
            for key in wanted[at : at + 5_000]:
                pipe.memory_usage(key, samples=0)
            for key, size in zip(wanted[at : at + 5_000], pipe.execute(), strict=True):
                sizes[key] = int(size or 0)
        return sizes
    finally:
        client.close()


def every_key(settings: Settings) -> set[bytes]:
    """The names of every key on one Redis server (SCAN: the server keeps answering)."""
    client = redis.Redis.from_url(settings.redis_url.get_secret_value())
    try:
        return set(client.scan_iter(count=10_000))
    finally:
        client.close()
