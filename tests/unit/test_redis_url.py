"""`redis+cluster://` URLs: the nodes and credentials they name."""

from __future__ import annotations

import pytest

from engine.adapters.redis.connection import cluster_address


def test_nodes_and_credentials():
    nodes, user, password = cluster_address("redis+cluster://app:p%40ss@10.0.0.1:7000,r2:7001/")
    assert nodes == [("10.0.0.1", 7000), ("r2", 7001)]
    assert (user, password) == ("app", "p@ss")


def test_no_credentials():
    assert cluster_address("redis+cluster://127.0.0.1:6379") == ([("127.0.0.1", 6379)], None, None)


@pytest.mark.parametrize("url", ["redis+cluster://", "redis+cluster://host", "redis+cluster://h:x"])
def test_a_node_without_a_port_is_refused(url):
    with pytest.raises(ValueError, match="host:port"):
        cluster_address(url)
