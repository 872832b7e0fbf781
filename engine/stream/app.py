"""The faust application: topics declared once, agents kept thin."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import faust
import structlog

from engine.events import (
    CLAIM_ADMITTED,
    DEAD_LETTER,
    VOUCHER_ISSUED,
    VOUCHER_REDEEMED,
    VOUCHER_REVERSED,
    ClaimAdmitted,
    Event,
    MalformedEvent,
    VoucherIssued,
    VoucherRedeemed,
    VoucherReversed,
)
from engine.keyfiles import event_keys_of
from engine.settings import Settings
from engine.stream import fences
from engine.stream.batches import run_batch
from engine.stream.consumer import FetchConsumer
from engine.stream.gauges import refresh_campaigns, refresh_lag
from engine.stream.issuer import issuer as issuer_of
from engine.stream.resources import LazyResources
from engine.stream.webhooks import deliver_due
from engine.stream.windows import window_counter
from engine.usecases.expiry import expire_due

log = structlog.get_logger("engine.stream")
E = TypeVar("E", bound=Event)
# What the ledger agents apply.
Entry = TypeVar("Entry", VoucherRedeemed, VoucherReversed)


def broker_url(bootstrap: str) -> str:
    return "kafka://" + ";".join(h.strip() for h in bootstrap.split(",") if h.strip())


ROLES = ("core", "windows")


@dataclass(frozen=True)
class Topics:
    claims: faust.TopicT
    issued: faust.TopicT
    redeemed: faust.TopicT
    reversed: faust.TopicT
    dead: faust.TopicT


def create_app(settings: Settings, role: str = "core") -> faust.App:
    """The 'core' workers issue vouchers, keep the ledger and run the timers; the
    'windows' workers count events per window. They are separate consumer groups (and
    processes) so the derived, heavier window work can never hold issuance back."""
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
        # Gather a batch's voucher.issued events into a few produce requests, not one each.
        producer_linger=0.005,
        producer_max_batch_size=settings.stream_producer_batch_bytes,
        producer_max_request_size=max(1_000_000, 2 * settings.stream_producer_batch_bytes),
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

    topics = Topics(
        claims=raw(CLAIM_ADMITTED),
        issued=raw(VOUCHER_ISSUED),
        redeemed=raw(VOUCHER_REDEEMED),
        reversed=raw(VOUCHER_REVERSED),
        dead=raw(DEAD_LETTER),
    )
    resources = LazyResources(settings)
    if role == "core":
        _core(app, settings, topics, resources)
    else:
        _windows(app, settings, resources)
    return app


def _credentials(settings: Settings) -> faust.SASLCredentials | None:
    if not settings.kafka_sasl_username:
        return None
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
    )


class ForgedEvent(Exception):
    """An event whose MAC does not verify with any of the engine's event keys."""


class Gate:
    """Decode raw events and let through only authentic ones; park the rest with why."""

    def __init__(self, topics: Topics, settings: Settings) -> None:
        self.dead, self.keys = topics.dead, event_keys_of(settings)

    async def park(self, event: Event | bytes, exc: BaseException, kind: str = "") -> None:
        if isinstance(event, Event):
            kind, fields = type(event).__name__, event.fields()
        else:
            fields = {"raw": event[:2000].decode(errors="replace")}
        body = {"event": fields, "type": kind, "error": repr(exc)[:1000]}
        await self.dead.send(key=kind.encode(), value=json.dumps(body).encode())

    async def authentic(self, raws: Sequence[bytes], record: type[E]) -> list[E]:
        kept = []
        for raw in raws:
            try:
                event = record.loads(raw)
            except MalformedEvent as exc:
                log.warning("malformed event parked", type=record.__name__)
                await self.park(raw, exc, record.__name__)
                continue
            if event.authentic(self.keys):
                kept.append(event)
            else:
                log.warning("forged event parked", type=record.__name__)
                await self.park(event, ForgedEvent("the event's MAC does not verify"))
        return kept


def _core(app: faust.App, settings: Settings, topics: Topics, resources: LazyResources) -> None:
    batch, within = settings.issue_batch_size, settings.issue_batch_window_s
    gate = Gate(topics, settings)

    async def issue_with(events: Sequence[ClaimAdmitted]) -> list[VoucherIssued]:
        return await (await resources.get()).issuance.issue(events)

    async def record_with(events: Sequence[VoucherRedeemed | VoucherReversed]) -> list[str]:
        return await (await resources.get()).ledger.record(events)

    async def issue_raw(raws: Sequence[bytes]) -> None:
        raws, met = fences.split(raws, gate.keys)
        events = await gate.authentic(raws, ClaimAdmitted)
        issued = await run_batch("issue", events, issue_with, gate.park)
        # Handed to the producer together: awaited one by one, a batch's sends took
        # longer than its database and Redis writes (docs/BENCHMARKS.md).
        await asyncio.gather(
            *(
                topics.issued.send(key=e.claim_id.encode(), value=e.signed(gate.keys).dumps())
                for e in issued
            )
        )
        await fences.passed((await resources.get()).redis.log_marks, met)

    async def committed(offsets: list[tuple[str, int, int]]) -> None:
        marks = [(partition, offset) for _, partition, offset in offsets]
        await (await resources.get()).redis.log_marks.consumed(CLAIM_ADMITTED, marks)

    issuer = issuer_of(settings, issue_raw, committed)

    @app.task  # type: ignore[untyped-decorator]
    async def issue() -> None:
        await issuer.run()

    async def ledger_raw(name: str, raws: Sequence[bytes], record: type[Entry]) -> None:
        raws, met = fences.split(raws, gate.keys)
        events = await gate.authentic(raws, record)
        await run_batch(name, events, record_with, gate.park)
        await fences.passed((await resources.get()).redis.log_marks, met)

    @app.agent(topics.redeemed, name="ledger")
    async def ledger(stream: faust.StreamT[bytes]) -> None:
        async for raws in stream.take(batch, within=within):
            await ledger_raw("ledger", raws, VoucherRedeemed)

    # A second agent, not a second topic on the first: the records differ, and the lock
    # on each merchant's chain head orders their writes.
    @app.agent(topics.reversed, name="ledger-reversals")
    async def ledger_reversals(stream: faust.StreamT[bytes]) -> None:
        async for raws in stream.take(batch, within=within):
            await ledger_raw("ledger-reversals", raws, VoucherReversed)

    _timers(app, settings, topics, resources, gate, issuer)


def _timers(
    app: faust.App,
    settings: Settings,
    topics: Topics,
    resources: LazyResources,
    gate: Gate,
    issuer: FetchConsumer,
) -> None:
    """Every worker runs them (not only a leader): each is idempotent, and leader election
    is one more thing the local broker would have to get right. A failed tick is logged
    and the next one tries again."""

    async def expire() -> None:
        r = await resources.get()
        await expire_due(r.redis.definitions, r.db, datetime.now(UTC))

    async def repair() -> None:
        r = await resources.get()
        now_ms = int(time.time() * 1000)
        cutoffs = await r.log_watch.tick(now_ms)
        caps_cutoff_ms = now_ms - int(settings.unsettled_after_s * 1000)
        await r.repair.release_abandoned(cutoffs, caps_cutoff_ms)

    async def webhooks() -> None:
        await deliver_due(await resources.get(), settings)

    async def gauges() -> None:
        r = await resources.get()
        await refresh_campaigns(r)
        for consumer in (app.consumer, issuer.consumer):
            if consumer is not None:
                await refresh_lag(consumer, r, settings)

    for name, job, interval in (
        ("expiry", expire, settings.expiry_interval_s),
        ("unsettled repair", repair, settings.repair_interval_s),
        ("webhook", webhooks, settings.webhook_interval_s),
        ("gauge refresh", gauges, 5.0),
    ):
        app.timer(interval=interval, name=name)(_logged(name, job))
    # Once at start too, without waiting a whole interval: a log lost while every worker
    # was down is found (and driven again) as soon as one is back.
    app.task(_logged("unsettled repair", repair))


def _logged(name: str, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def tick() -> None:
        try:
            await job()
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning(f"{name} run failed", error=repr(exc)[:300])

    tick.__name__ = tick.__qualname__ = f"timer_{name.replace(' ', '_')}"
    return tick


def _windows(app: faust.App, settings: Settings, resources: LazyResources) -> None:
    counter = window_counter(settings, resources, event_keys_of(settings))

    @app.task  # type: ignore[untyped-decorator]
    async def count_windows() -> None:
        await counter.run()


def run_worker(settings: Settings, role: str) -> None:
    """Run a stream worker of one role until it is stopped (blocks)."""
    faust.Worker(create_app(settings, role), loglevel="WARNING").execute_from_commandline()
