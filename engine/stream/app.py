"""The faust application: topics declared once, and each role's agents, consumers and
timers attached, each kept in the module of its area (issuer, ledger, timers, windows)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import faust

from engine.events import DEAD_LETTER, VoucherIssued
from engine.keyfiles import event_keys_of
from engine.settings import Settings
from engine.stream.gate import Gate
from engine.stream.issuer import Issuer
from engine.stream.ledger import LedgerAgent
from engine.stream.resources import LazyResources
from engine.stream.timers import Timers, logged
from engine.stream.watch import cashout_watch
from engine.stream.windows import window_counter


def broker_url(bootstrap: str) -> str:
    return "kafka://" + ";".join(h.strip() for h in bootstrap.split(",") if h.strip())


ROLES = ("core", "windows", "watch")


@dataclass(frozen=True)
class Topics:
    """What the worker sends to through faust's producer (each consumer reads its own)."""

    dead: faust.TopicT


def create_app(settings: Settings, role: str = "core") -> faust.App:
    """The 'core' workers issue vouchers, keep the ledger and run the timers; the
    'windows' workers count events per window; the 'watch' worker watches redemptions for
    cash-out. They are separate consumer groups (and processes) so the derived, heavier
    work can never hold issuance or the ledger back."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    app_id = f"{settings.topic_prefix}-{'stream' if role == 'core' else role}"
    app = faust.App(
        app_id,
        broker=broker_url(settings.kafka_bootstrap),
        store="memory://",
        # faust makes a folder even for in-memory tables: in the state folder, not the
        # working directory (read-only in a container).
        datadir=str(settings.state_dir / f"{app_id}-data"),
        autodiscover=False,
        web_enabled=False,
        broker_session_timeout=settings.kafka_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.kafka_session_timeout_s / 3),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        broker_credentials=_credentials(settings),
    )

    @app.task  # type: ignore[untyped-decorator]
    async def quiet_client_libraries() -> None:
        # The worker's logging setup leaves the client libraries at DEBUG, where aiokafka
        # logs every produced message.
        for name in ("aiokafka", "faust", "mode"):
            logging.getLogger(name).setLevel(logging.WARNING)

    def raw(name: str) -> faust.TopicT:
        # Raw bytes: the agents decode them into engine.events records themselves.
        return app.topic(
            settings.topic(name), key_type=bytes, value_type=bytes, value_serializer="raw"
        )

    topics = Topics(dead=raw(DEAD_LETTER))
    resources = LazyResources(settings)
    if role == "core":
        _core(app, settings, topics, resources)
    elif role == "windows":
        _windows(app, settings, resources)
    else:
        _watch(app, settings, resources)
    return app


def _credentials(settings: Settings) -> faust.SASLCredentials | None:
    if not settings.kafka_sasl_username:
        return None
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
    )


def _core(app: faust.App, settings: Settings, topics: Topics, resources: LazyResources) -> None:

    async def send_dead(key: bytes, value: bytes) -> None:
        await topics.dead.send(key=key, value=value)

    async def publish_issued(issued: Sequence[tuple[VoucherIssued, str]]) -> None:
        # The engine's own producer, not faust's: faust's per-message send cost more than
        # the issuer's own work on the event (docs/BENCHMARKS.md).
        await (await resources.get()).producer.publish_all(issued)

    gate = Gate(event_keys_of(settings), send_dead)
    issuer = Issuer(resources, gate, publish_issued).consumer(settings)
    ledger = LedgerAgent(resources, gate).consumer(settings)

    @app.task  # type: ignore[untyped-decorator]
    async def issue() -> None:
        await issuer.run()

    @app.task  # type: ignore[untyped-decorator]
    async def keep_ledger() -> None:
        await ledger.run()

    timers = Timers(settings, resources, lambda: [app.consumer, issuer.consumer, ledger.consumer])
    for name, job, interval in timers.jobs():
        app.timer(interval=interval, name=name)(logged(name, job))
    # Once at start too, without waiting a whole interval: a log lost while every worker
    # was down is found (and driven again) as soon as one is back.
    app.task(logged("unsettled repair", timers.repair))


def _windows(app: faust.App, settings: Settings, resources: LazyResources) -> None:
    counter = window_counter(settings, resources, event_keys_of(settings))

    @app.task  # type: ignore[untyped-decorator]
    async def count_windows() -> None:
        await counter.run()


def _watch(app: faust.App, settings: Settings, resources: LazyResources) -> None:
    watch = cashout_watch(settings, resources, event_keys_of(settings))

    @app.task  # type: ignore[untyped-decorator]
    async def watch_for_cashout() -> None:
        await watch.run()


def run_worker(settings: Settings, role: str) -> None:
    """Run a stream worker of one role until it is stopped (blocks)."""
    faust.Worker(create_app(settings, role), loglevel="WARNING").execute_from_commandline()
