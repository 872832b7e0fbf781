"""The faust application: topics declared once, agents kept thin."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
    VoucherIssued,
    VoucherRedeemed,
    VoucherReversed,
)
from engine.keyfiles import event_keys_of
from engine.settings import Settings
from engine.stream.batches import run_batch
from engine.stream.expiry import expire_due
from engine.stream.gauges import refresh_campaigns, refresh_lag
from engine.stream.issue import issue_batch
from engine.stream.ledger import record_batch
from engine.stream.resources import LazyResources
from engine.stream.webhooks import deliver_due
from engine.stream.windows import EXPIRES_S, KINDS, SIZES, event_time, mirror
from engine.usecases.directory import Campaigns
from engine.usecases.repair import release_abandoned

log = structlog.get_logger("engine.stream")


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
    app = faust.App(
        f"{settings.topic_prefix}-{'stream' if role == 'core' else role}",
        broker=broker_url(settings.kafka_bootstrap),
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        broker_session_timeout=settings.kafka_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.kafka_session_timeout_s / 3),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        broker_credentials=(
            faust.SASLCredentials(
                username=settings.kafka_sasl_username,
                password=settings.kafka_sasl_password.get_secret_value(),
                mechanism=settings.kafka_sasl_mechanism,
            )
            if settings.kafka_sasl_username
            else None
        ),
    )

    @app.task
    async def quiet_client_libraries() -> None:
        # The worker's logging setup leaves the client libraries at DEBUG, and aiokafka
        # logs a record per produced message: a tenth of the issuer's CPU.
        for name in ("aiokafka", "faust", "mode"):
            logging.getLogger(name).setLevel(logging.WARNING)

    topics = Topics(
        claims=app.topic(settings.topic(CLAIM_ADMITTED), value_type=ClaimAdmitted, key_type=bytes),
        issued=app.topic(settings.topic(VOUCHER_ISSUED), value_type=VoucherIssued, key_type=bytes),
        redeemed=app.topic(
            settings.topic(VOUCHER_REDEEMED), value_type=VoucherRedeemed, key_type=bytes
        ),
        reversed=app.topic(
            settings.topic(VOUCHER_REVERSED), value_type=VoucherReversed, key_type=bytes
        ),
        dead=app.topic(settings.topic(DEAD_LETTER), value_type=bytes, key_type=bytes),
    )
    resources = LazyResources(settings)
    if role == "core":
        _core(app, settings, topics, resources)
    else:
        _windows(app, settings, topics, resources)
    return app


class ForgedEvent(Exception):
    """An event whose MAC does not verify with any of the engine's event keys."""


def _core(app: faust.App, settings: Settings, topics: Topics, resources: LazyResources) -> None:
    batch, within = settings.issue_batch_size, settings.issue_batch_window_s
    event_keys = event_keys_of(settings)

    async def park(event: Event, exc: BaseException) -> None:
        body = {
            "event": json.loads(event.dumps()),
            "type": type(event).__name__,
            "error": repr(exc)[:1000],
        }
        await topics.dead.send(key=type(event).__name__.encode(), value=json.dumps(body).encode())

    async def authentic(events: Sequence[Any]) -> list[Any]:
        """Only events an engine process wrote go on; a forged one is parked, never applied."""
        kept = []
        for event in events:
            if event.authentic(event_keys):
                kept.append(event)
            else:
                log.warning("forged event parked", type=type(event).__name__)
                await park(event, ForgedEvent("the event's MAC does not verify"))
        return kept

    async def issue_with(events: Sequence[ClaimAdmitted]) -> list[VoucherIssued]:
        return await issue_batch(await resources.get(), events)

    async def record_with(events: Sequence[VoucherRedeemed | VoucherReversed]) -> list[str]:
        return await record_batch(await resources.get(), events)

    # Every worker runs it (not only a leader): expiring is idempotent, and leader
    # election is one more thing the local broker would have to get right.
    @app.timer(interval=settings.expiry_interval_s)
    async def expire() -> None:
        try:
            await expire_due(await resources.get(), datetime.now(UTC))
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("expiry run failed", error=repr(exc)[:300])

    async def publish_reversal(event: VoucherReversed) -> None:
        # Keyed by merchant, as the API keys it: one partition holds a merchant's chain.
        sent = await topics.reversed.send(
            key=event.merchant_id.encode(), value=event.signed(event_keys)
        )
        await sent  # acknowledged by the broker before the reversal is confirmed

    @app.timer(interval=settings.repair_interval_s)
    async def repair() -> None:
        try:
            r = await resources.get()
            cutoff_ms = int((time.time() - settings.unsettled_after_s) * 1000)
            await release_abandoned(r.store, r.db, Campaigns(r.db), cutoff_ms, publish_reversal)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("unsettled repair failed", error=repr(exc)[:300])

    @app.timer(interval=settings.webhook_interval_s)
    async def webhooks() -> None:
        try:
            await deliver_due(await resources.get(), settings)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("webhook run failed", error=repr(exc)[:300])

    @app.timer(interval=5.0)
    async def gauges() -> None:
        try:
            await refresh_campaigns(await resources.get())
            await refresh_lag(app)
        except Exception as exc:  # noqa: BLE001 - figures only; the next tick tries again
            log.warning("gauge refresh failed", error=repr(exc)[:300])

    @app.agent(topics.claims, name="issue")
    async def issue(stream: faust.StreamT[ClaimAdmitted]) -> None:
        async for events in stream.take(batch, within=within):
            for event in await run_batch("issue", await authentic(events), issue_with, park):
                await topics.issued.send(
                    key=event.claim_id.encode(), value=event.signed(event_keys)
                )

    @app.agent(topics.redeemed, name="ledger")
    async def ledger(stream: faust.StreamT[VoucherRedeemed]) -> None:
        async for events in stream.take(batch, within=within):
            await run_batch("ledger", await authentic(events), record_with, park)

    # A second agent, not a second topic on the first: the records differ, and the lock
    # on each merchant's chain head orders their writes.
    @app.agent(topics.reversed, name="ledger-reversals")
    async def ledger_reversals(stream: faust.StreamT[VoucherReversed]) -> None:
        async for events in stream.take(batch, within=within):
            await run_batch("ledger-reversals", await authentic(events), record_with, park)


def _windows(app: faust.App, settings: Settings, topics: Topics, resources: LazyResources) -> None:
    event_keys = event_keys_of(settings)
    tables = {
        name: app.Table(f"windows-{name}", default=int, partitions=settings.topic_partitions)
        .tumbling(size, expires=EXPIRES_S[name])
        .relative_to(lambda event: event_time(event.value))
        for name, size in SIZES.items()
    }

    def window_agent(kind: str, topic: faust.TopicT) -> None:
        # Repartitioned by "kind:campaign" so each campaign's counts live in one partition.
        @app.agent(topic, name=f"windows-{kind}")
        async def count(stream: faust.StreamT) -> None:
            grouped = stream.group_by(
                lambda e: f"{kind}:{e.campaign_id}", name=f"by-campaign-{kind}"
            )
            async for event in grouped:
                if not event.authentic(event_keys):
                    continue  # left out of the figures; the core role parks it
                key = f"{kind}:{event.campaign_id}"
                values = {}
                for name, table in tables.items():
                    table[key] += 1
                    # value(): the window of this event's own time (current() would use the
                    # log timestamp, which repartitioning rewrote).
                    values[name] = table[key].value()
                await mirror(resources, kind, event.campaign_id, event_time(event), values)

    for kind, topic in zip(KINDS, (topics.claims, topics.issued, topics.redeemed), strict=True):
        window_agent(kind, topic)
