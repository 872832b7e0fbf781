"""The local Redis: one server, or a cluster of masters (and replicas) from the same binary.

A cluster node is an ordinary `redis-server` with cluster mode on; `redis-cli --cluster
create` hands out the slots and pairs replicas with masters. Nodes keep their identity
in `nodes.conf` in their data folder, so a node restarted on its port rejoins the
cluster (a master that was failed over comes back as a replica of its successor).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from engine.stack.processes import StackError, require_binary

# How long a node may not answer before the others fail it over: long enough that a
# master busy on 2 cores mid-burst is not failed for missing pings (docs/BENCHMARKS.md),
# short enough for a quick failover (this plus an election; Redis's default is 15 s).
NODE_TIMEOUT_MS = 5000


def redis_argv(port: int, data: Path, cluster_bus_port: int | None = None) -> list[str]:
    """A server on loopback; appendfsync always: an acknowledged admission must survive a
    Redis restart."""
    argv = [
        require_binary("redis-server", "redis-server"),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]
    if cluster_bus_port is not None:
        argv += [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-port",
            str(cluster_bus_port),
            "--cluster-node-timeout",
            str(NODE_TIMEOUT_MS),
        ]
    return argv


def create_cluster(ports: list[int], replicas: int) -> None:
    """Join fresh nodes into one cluster: the first len(ports) / (1 + replicas) become the
    masters, each of the rest a replica of one."""
    cli = require_binary("redis-cli", "redis-tools")
    addresses = [f"127.0.0.1:{p}" for p in ports]
    done = subprocess.run(
        [
            cli,
            "--cluster",
            "create",
            *addresses,
            "--cluster-replicas",
            str(replicas),
            "--cluster-yes",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise StackError(f"redis-cli --cluster create failed:\n{done.stdout}\n{done.stderr}")


def wait_cluster_ready(
    ports: list[int], masters: int, replicas: int, timeout_s: float = 30
) -> None:
    """Until every node sees all slots served by `masters` masters, and each master has
    its replicas in sync."""
    deadline = time.monotonic() + timeout_s
    last: dict[int, str] = {}
    while time.monotonic() < deadline:
        if all(_node_ready(p, masters, replicas, last) for p in ports):
            return
        time.sleep(0.2)
    raise StackError(f"the Redis Cluster did not settle within {timeout_s:.0f}s: {last}")


def _node_ready(port: int, masters: int, replicas: int, last: dict[int, str]) -> bool:
    info = _info(port, "CLUSTER", "INFO") | _info(port, "INFO", "replication")
    role = info.get("role", "unreachable")
    last[port] = f"{role}, state {info.get('cluster_state')}, slots {info.get('cluster_slots_ok')}"
    in_sync = (
        int(info.get("connected_slaves", 0)) >= replicas
        if role == "master"
        else info.get("master_link_status") == "up"
    )
    return (
        in_sync
        and info.get("cluster_state") == "ok"
        and int(info.get("cluster_slots_ok", 0)) == 16384
        and int(info.get("cluster_size", 0)) == masters
    )


def _info(port: int, *command: str) -> dict[str, str]:
    """`field:value` lines a node answers (empty when it does not answer)."""
    cli = require_binary("redis-cli", "redis-tools")
    try:
        done = subprocess.run(
            [cli, "-p", str(port), *command], capture_output=True, text=True, timeout=5, check=False
        )
    except subprocess.TimeoutExpired:
        return {}
    pairs = (line.strip().partition(":") for line in done.stdout.splitlines())
    return {k: v for k, sep, v in pairs if sep}


def masters(ports: list[int]) -> list[int]:
    """The ports of the nodes serving slots as masters now, as the first node that answers
    says (CLUSTER NODES: '<id> <ip:port@bus> <flags> ... connected <slots>')."""
    cli = require_binary("redis-cli", "redis-tools")
    for port in ports:
        try:
            done = subprocess.run(
                [cli, "-p", str(port), "CLUSTER", "NODES"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except subprocess.TimeoutExpired:
            continue
        found = []
        for line in done.stdout.splitlines():
            fields = line.split()
            flags = fields[2].split(",") if len(fields) > 8 else []
            if "master" in flags and "fail" not in flags and fields[7] == "connected":
                found.append(int(fields[1].split("@")[0].rsplit(":", 1)[1]))
        if found:
            return found
    return []


def cluster_url(ports: list[int]) -> str:
    return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
