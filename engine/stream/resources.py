"""Connections and use cases a stream worker holds, built on first use inside its loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from engine.adapters import postgres
from engine.adapters.kafka import EventProducer
from engine.adapters.postgres import Database
from engine.adapters.redis import Redis
from engine.domain.keyring import Keyring
from engine.events import VoucherReversed
from engine.keyfiles import event_keys_of, keyring_of
from engine.settings import Settings
from engine.usecases.issuance import Issuance
from engine.usecases.ledger import Ledger
from engine.usecases.log_watch import LogWatch
from engine.usecases.read_caches import Campaigns
from engine.usecases.redrive import Redrive
from engine.usecases.repair import Repair


@dataclass
class Resources:
    redis: Redis
    db: Database
    keyring: Keyring
    issuance: Issuance
    ledger: Ledger
    # The repair timer's: fences, re-drive and releases, with a producer of their own.
    producer: EventProducer
    log_watch: LogWatch
    repair: Repair


class LazyResources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._resources: Resources | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Resources:
        async with self._lock:
            if self._resources is None:
                self._resources = await self._open()
            return self._resources

    async def _open(self) -> Resources:
        s = self.settings
        live = Redis.from_settings(s)
        db = await postgres.connect(s.database_url.get_secret_value(), s.database_pool_size)
        keyring = keyring_of(s)
        producer = EventProducer(s, event_keys_of(s))
        await producer.start()
        campaigns = Campaigns(db)

        async def publish_reversal(event: VoucherReversed) -> None:
            # Keyed by merchant, as the API keys it: one partition holds a merchant's chain.
            await producer.publish(event, key=event.merchant_id)

        redrive = Redrive(
            settlement=live.settlement,
            redemptions=live.redemptions,
            records=db,
            campaigns=campaigns,
            publisher=producer,
        )
        return Resources(
            redis=live,
            db=db,
            keyring=keyring,
            issuance=Issuance(settlement=live.settlement, vouchers=db, keyring=keyring),
            ledger=Ledger(settlement=live.settlement, records=db),
            producer=producer,
            log_watch=LogWatch(
                fences=producer,
                marks=live.log_marks,
                redrive=redrive,
                unsettled_after_s=s.unsettled_after_s,
            ),
            repair=Repair(
                admissions=live.admissions,
                redemptions=live.redemptions,
                settlement=live.settlement,
                records=db,
                campaigns=campaigns,
                publish_reversal=publish_reversal,
            ),
        )

    async def close(self) -> None:
        if self._resources is not None:
            await self._resources.producer.stop()
            await self._resources.db.close()
            await self._resources.redis.close()
            self._resources = None
