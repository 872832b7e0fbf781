"""Commands packed in C: redis-py's asyncio connection packs each command in Python
(about 13 us for an admission's EVALSHA here), hiredis in about 3 us. Every decision is
one or two script runs, so this is most of what a claim pays Redis in the API's CPU."""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import Connection


class PackedConnection(Connection):
    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0]
        # As redis-py does: a command name given as "SCRIPT LOAD" is two words to Redis.
        if isinstance(first, str):
            args = (*first.encode().split(), *args[1:])
        elif b" " in first:
            args = (*first.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:  # a value hiredis does not know: redis-py's own rules and errors
            return super().pack_command(*args)


def pack_in_c(client: RedisCluster) -> RedisCluster:
    """A cluster client whose node connections pack in C. Its constructor names the
    connection class itself; the kwargs it keeps are the ones every node is made from."""
    client.connection_kwargs["connection_class"] = PackedConnection
    for node in client.startup_nodes:
        node.connection_class = PackedConnection
    return client
