"""Everything a running API process holds, built once at startup from the settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from engine.adapters import postgres
from engine.adapters.kafka import EventProducer
from engine.adapters.postgres import Database
from engine.adapters.redis import Redis
from engine.adapters.webhook_hosts import check_host
from engine.api.credential_guard import CredentialGuard
from engine.domain.clock import Clock, SystemClock
from engine.domain.keyring import Keyring
from engine.domain.sold_out import SoldOutMarks
from engine.keyfiles import event_keys_of, keyring_of, worker_token_keys_of
from engine.settings import Settings
from engine.usecases.admin import Admin
from engine.usecases.claims import Claims
from engine.usecases.investigations import Investigations
from engine.usecases.lottery import Lotteries
from engine.usecases.merchant_keys import MerchantKeys
from engine.usecases.merchants import Merchants
from engine.usecases.offers import Offers
from engine.usecases.operators import Operators
from engine.usecases.read_caches import Campaigns, Profiles
from engine.usecases.redemptions import Redemptions
from engine.usecases.reversals import Reversals
from engine.usecases.stats import Stats
from engine.usecases.till import Till
from engine.usecases.worker_tokens import WorkerTokens
from engine.usecases.workers import Workers


@dataclass
class Services:
    settings: Settings
    redis: Redis
    db: Database
    producer: EventProducer
    keyring: Keyring
    tokens: WorkerTokens
    admin: Admin
    claims: Claims
    redemptions: Redemptions
    reversals: Reversals
    workers: Workers
    lotteries: Lotteries
    merchants: Merchants
    merchant_keys: MerchantKeys
    stats: Stats
    offers: Offers
    till: Till
    investigations: Investigations
    operators: Operators
    credential_guard: CredentialGuard
    # Keeps this process's view of revoked worker tokens current (WorkerTokens).
    background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        keyring = keyring_of(settings)
        live = Redis.from_settings(settings)
        db = await postgres.connect(
            settings.database_url.get_secret_value(), settings.database_pool_size
        )
        producer = EventProducer(settings, event_keys_of(settings))
        await producer.start()
        wait_s = settings.kafka_produce_timeout_s + 1.0
        campaigns, profiles = Campaigns(db), Profiles(live.definitions, db)
        claims = Claims(
            admissions=live.admissions,
            bindings=live.bindings,
            settlement=live.settlement,
            throttle=live.throttles,
            publisher=producer,
            records=db,
            vouchers=db,
            campaigns=campaigns,
            profiles=profiles,
            clock=clock,
            wait_s=wait_s,
            rate_per_min=settings.worker_requests_per_min,
            sold_out_marks=SoldOutMarks(int(settings.sold_out_memory_s * 1000)),
        )
        merchant_keys = MerchantKeys(
            cache=live.key_cache,
            records=db,
            ttl_s=settings.merchant_key_cache_s,
            requests_per_min=settings.merchant_key_requests_per_min,
        )
        admin = Admin(
            live=live.definitions,
            figures=live.figures,
            records=db,
            campaigns=campaigns,
            clock=clock,
        )
        stats = Stats(
            figures=live.figures, records=db, admin=admin, campaigns=campaigns, clock=clock
        )
        services = cls(
            settings=settings,
            redis=live,
            db=db,
            producer=producer,
            keyring=keyring,
            tokens=WorkerTokens(
                keys=worker_token_keys_of(settings),
                records=db,
                clock=clock,
                ttl_s=settings.worker_token_ttl_s,
            ),
            admin=admin,
            stats=stats,
            till=Till(records=db, campaigns=campaigns, clock=clock),
            offers=Offers(
                records=db,
                campaigns=campaigns,
                profiles=profiles,
                vouchers=db,
                stats=stats,
                clock=clock,
            ),
            investigations=Investigations(
                live=live.definitions,
                redemptions=live.redemptions,
                records=db,
                public_keys=keyring.public_keys,
            ),
            claims=claims,
            redemptions=Redemptions(
                redemptions=live.redemptions,
                bindings=live.bindings,
                settlement=live.settlement,
                throttle=live.throttles,
                publisher=producer,
                records=db,
                campaigns=campaigns,
                public_keys=keyring.public_keys,
                clock=clock,
                wait_s=wait_s,
                offline_max_age=timedelta(seconds=settings.offline_max_age_s),
            ),
            reversals=Reversals(
                redemptions=live.redemptions,
                bindings=live.bindings,
                settlement=live.settlement,
                publisher=producer,
                campaigns=campaigns,
                clock=clock,
                wait_s=wait_s,
            ),
            merchants=Merchants(
                live=live.definitions,
                records=db,
                campaigns=campaigns,
                check_host=check_host,
                keys=merchant_keys,
            ),
            merchant_keys=merchant_keys,
            workers=Workers(live=live.definitions, records=db),
            lotteries=Lotteries(
                records=db, campaigns=campaigns, profiles=profiles, claims=claims, clock=clock
            ),
            operators=Operators(db),
            credential_guard=CredentialGuard(live.throttles, settings.credential_failures_per_min),
        )
        services.background.append(asyncio.create_task(services.tokens.follow_revocations()))
        return services

    async def stop(self) -> None:
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.producer.stop()
        await self.db.close()
        await self.redis.close()
