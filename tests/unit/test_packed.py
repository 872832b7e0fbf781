"""Commands packed by hiredis are byte for byte what redis-py's own packer sends, and both
kinds of client use them."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import Connection

from engine.adapters.redis.connection import connect
from engine.adapters.redis.packed import PackedConnection

COMMANDS = [
    ("EVALSHA", "f294e4a807725617eb884cb24628ab3ae2b26ebe", 2, "nx:{c-1}:campaign", "k", 300, "1"),
    ("SCRIPT LOAD", "return 1"),
    (b"CLUSTER SLOTS",),
    ("HSET", "nx:{w:a}:profile", "hukou_city", "苏州"),
    ("SET", b"\x00\xffbinary", memoryview(b"view"), "EX", 172800),
    ("ZADD", "nx:{c-1}:unsettled", 1764864000123, "nx:{c-1}:claim:x"),
    ("SET", "k", 1.5),
    ("GET", "x" * 10_000),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_packed_like_redis_py(command):
    assert b"".join(PackedConnection().pack_command(*command)) == b"".join(
        Connection().pack_command(*command)
    )


def test_what_hiredis_does_not_know_gets_redis_py_s_answer():
    with pytest.raises(Exception) as ours:
        PackedConnection().pack_command("SET", "k", None)
    with pytest.raises(Exception) as theirs:
        Connection().pack_command("SET", "k", None)
    assert type(ours.value) is type(theirs.value)


async def test_both_clients_pack_in_c():
    single = connect("redis://127.0.0.1:1/0", 4)
    assert single.connection_pool.connection_class is PackedConnection
    cluster = connect("redis+cluster://127.0.0.1:1,127.0.0.1:2", 4)
    assert cluster.connection_kwargs["connection_class"] is PackedConnection
    assert all(n.connection_class is PackedConnection for n in cluster.startup_nodes)
    await single.aclose()
    await cluster.aclose()
