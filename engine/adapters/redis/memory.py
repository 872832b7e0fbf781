"""Redis's memory in use, over every node: the benchmark reads it before and after a run
to tell the run's bytes per admission (engine/bench/per_unit.py). Synchronous: the
benchmark reads it between blocking load-generator runs."""

from __future__ import annotations

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
