"""The faust application: topics declared once, agents kept thin."""

from __future__ import annotations

import faust

from engine.events import (
    CLAIM_ADMITTED,
    VOUCHER_ISSUED,
    VOUCHER_REDEEMED,
    ClaimAdmitted,
    VoucherIssued,
    VoucherRedeemed,
)
from engine.settings import Settings
from engine.stream.issue import issue_batch
from engine.stream.ledger import record_batch
from engine.stream.resources import LazyResources, until_done


def broker_url(bootstrap: str) -> str:
    return "kafka://" + ";".join(h.strip() for h in bootstrap.split(",") if h.strip())


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        f"{settings.topic_prefix}-stream",
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
    )
    resources = LazyResources(settings)
    claims = app.topic(settings.topic(CLAIM_ADMITTED), value_type=ClaimAdmitted, key_type=bytes)
    issued = app.topic(settings.topic(VOUCHER_ISSUED), value_type=VoucherIssued, key_type=bytes)
    redeemed = app.topic(
        settings.topic(VOUCHER_REDEEMED), value_type=VoucherRedeemed, key_type=bytes
    )
    batch, within = settings.issue_batch_size, settings.issue_batch_window_s

    @app.agent(claims, name="issue")
    async def issue(stream: faust.StreamT[ClaimAdmitted]) -> None:
        async for events in stream.take(batch, within=within):
            out: list[VoucherIssued] = []

            async def step(events=events, out=out) -> None:
                out[:] = await issue_batch(await resources.get(), events)

            await until_done("issue", step)
            for event in out:
                await issued.send(key=event.claim_id.encode(), value=event)

    @app.agent(redeemed, name="ledger")
    async def ledger(stream: faust.StreamT[VoucherRedeemed]) -> None:
        async for events in stream.take(batch, within=within):

            async def step(events=events) -> None:
                await record_batch(await resources.get(), events)

            await until_done("ledger", step)

    return app
