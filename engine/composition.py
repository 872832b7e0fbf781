"""The one composition root: every adapter and every use case, built once from the
settings. The API (api/services.py), each stream role (stream/resources.py) and each
command line (cli/) take what they need from it, so a use case is wired one way only."""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from engine.adapters import postgres
from engine.adapters.kafka import EventProducer, KafkaLog
from engine.adapters.memory import MemoryDecisionStore, MemoryLog, MemoryRecords
from engine.adapters.redis import Redis
from engine.adapters.webhook_hosts import check_host
from engine.domain.clock import Clock, SystemClock
from engine.domain.sold_out import SoldOutMarks
from engine.events import VoucherReversed
from engine.keyfiles import event_keys_of, keyring_of, worker_token_keys_of
from engine.settings import Settings
from engine.usecases.admin import Admin
from engine.usecases.claims import Claims
from engine.usecases.credential_guard import CredentialGuard
from engine.usecases.health import Health
from engine.usecases.investigations import Investigations
from engine.usecases.issuance import Issuance
from engine.usecases.ledger import Ledger
from engine.usecases.log_watch import LogWatch
from engine.usecases.lottery import Lotteries
from engine.usecases.merchant_keys import MerchantKeys
from engine.usecases.merchants import Merchants
from engine.usecases.offers import Offers
from engine.usecases.operators import Operators
from engine.usecases.payer_statements import PayerStatements
from engine.usecases.payouts import Payouts
from engine.usecases.ports import EventLog
from engine.usecases.ports.stores import DecisionStore, Log, SystemOfRecord
from engine.usecases.rates import CallerRates
from engine.usecases.read_caches import Campaigns, Profiles
from engine.usecases.reconcile import Reconciler
from engine.usecases.redemptions import Redemptions
from engine.usecases.redrive import Redrive
from engine.usecases.repair import Repair
from engine.usecases.reversals import Reversals
from engine.usecases.slots import Slots
from engine.usecases.stations import Stations
from engine.usecases.stats import Stats
from engine.usecases.till import Till
from engine.usecases.watch import Watch
from engine.usecases.worker_tokens import WorkerTokens
from engine.usecases.workers import Workers


class Engine:
    """The stores (`decisions`, `db`, `producer` and `events`) and the use cases over them."""

    def __init__(
        self,
        settings: Settings,
        decisions: DecisionStore,
        db: SystemOfRecord,
        producer: Log,
        events: EventLog,
        clock: Clock,
    ) -> None:
        self.settings, self.decisions, self.db = settings, decisions, db
        self.producer, self.events = producer, events
        self.clock, self.keyring = clock, keyring_of(settings)
        self.campaigns = Campaigns(db, clock)
        self.profiles = Profiles(decisions.definitions, db)
        self._decision_use_cases()
        self._operations()
        self._merchants()
        self._stream()

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None, log: bool = True) -> Self:
        """Connected to Redis, PostgreSQL and (`log`) the broker: a command that publishes
        nothing need not reach the broker."""
        redis = Redis.from_settings(settings)
        db = await postgres.connect(
            settings.database_url.get_secret_value(), settings.database_pool_size
        )
        producer = EventProducer(settings, event_keys_of(settings))
        if log:
            await producer.start()
        return cls(settings, redis, db, producer, KafkaLog(settings), clock or SystemClock())

    @classmethod
    def in_memory(cls, settings: Settings, clock: Clock) -> Self:
        """The same use cases over the in-memory stores (engine/adapters/memory): a unit
        test's engine, wired exactly as a running one."""
        log = MemoryLog(event_keys_of(settings), settings.topic_partitions)
        return cls(settings, MemoryDecisionStore(clock), MemoryRecords(clock), log, log, clock)

    async def stop(self) -> None:
        await self.producer.stop()
        await self.db.close()
        await self.decisions.close()

    def _decision_use_cases(self) -> None:
        """Claims, redemptions and reversals: the decisions and what they read."""
        s, live, db, clock = self.settings, self.decisions, self.db, self.clock
        wait_s = s.kafka_produce_timeout_s + 1.0
        self.claims = Claims(
            admissions=live.admissions,
            bindings=live.bindings,
            settlement=live.settlement,
            throttle=live.throttles,
            publisher=self.producer,
            records=db,
            vouchers=db,
            campaigns=self.campaigns,
            profiles=self.profiles,
            clock=clock,
            wait_s=wait_s,
            rate_per_min=s.worker_requests_per_min,
            sold_out_marks=SoldOutMarks(int(s.sold_out_memory_s * 1000)),
        )
        self.redemptions = Redemptions(
            redemptions=live.redemptions,
            bindings=live.bindings,
            settlement=live.settlement,
            throttle=live.throttles,
            publisher=self.producer,
            records=db,
            vouchers=db,
            campaigns=self.campaigns,
            public_keys=self.keyring.public_keys,
            clock=clock,
            wait_s=wait_s,
            offline_max_age=timedelta(seconds=s.offline_max_age_s),
        )
        self.reversals = Reversals(
            redemptions=live.redemptions,
            bindings=live.bindings,
            settlement=live.settlement,
            publisher=self.producer,
            campaigns=self.campaigns,
            clock=clock,
            wait_s=wait_s,
        )
        self.lotteries = Lotteries(
            records=db,
            campaigns=self.campaigns,
            profiles=self.profiles,
            claims=self.claims,
            clock=clock,
        )

    def _operations(self) -> None:
        """What operations staff and the workers' register use."""
        s, live, db, clock = self.settings, self.decisions, self.db, self.clock
        self.admin = Admin(
            live=live.definitions,
            figures=live.figures,
            records=db,
            campaigns=self.campaigns,
            clock=clock,
        )
        self.stations = Stations(records=db, live=live.stations, campaigns=self.campaigns)
        self.slots = Slots(records=db, live=live.stations, campaigns=self.campaigns, clock=clock)
        self.payer_statements = PayerStatements(records=db, campaigns=self.campaigns)
        self.watch = Watch(records=db)
        self.payouts = Payouts(
            records=db, live=live.stations, campaigns=self.campaigns, redemptions=self.redemptions
        )
        self.stats = Stats(
            figures=live.figures,
            records=db,
            admin=self.admin,
            campaigns=self.campaigns,
            clock=clock,
        )
        self.offers = Offers(
            records=db,
            campaigns=self.campaigns,
            profiles=self.profiles,
            vouchers=db,
            stats=self.stats,
            clock=clock,
        )
        self.investigations = Investigations(
            live=live.definitions,
            redemptions=live.redemptions,
            records=db,
            public_keys=self.keyring.public_keys,
        )
        self.workers = Workers(live=live.definitions, records=db)
        self.tokens = WorkerTokens(
            keys=worker_token_keys_of(s), records=db, clock=clock, ttl_s=s.worker_token_ttl_s
        )
        self.operators = Operators(db)
        self.credential_guard = CredentialGuard(
            live.throttles, s.credential_failures_per_min, clock
        )
        self.rates = CallerRates(live.throttles)
        self.health = Health([live, db], s.log_durable)

    def _merchants(self) -> None:
        s, live, db = self.settings, self.decisions, self.db
        self.merchant_keys = MerchantKeys(
            cache=live.key_cache,
            records=db,
            ttl_s=s.merchant_key_cache_s,
            requests_per_min=s.merchant_key_requests_per_min,
        )
        self.merchants = Merchants(
            live=live.definitions,
            records=db,
            campaigns=self.campaigns,
            check_host=check_host,
            keys=self.merchant_keys,
        )
        self.till = Till(records=db, campaigns=self.campaigns, clock=self.clock)

    def _stream(self) -> None:
        """What the stream workers apply, repair and reconcile with."""
        s, live, db = self.settings, self.decisions, self.db
        self.issuance = Issuance(settlement=live.settlement, vouchers=db, keyring=self.keyring)
        self.ledger = Ledger(settlement=live.settlement, records=db)
        redrive = Redrive(
            settlement=live.settlement,
            redemptions=live.redemptions,
            records=db,
            campaigns=self.campaigns,
            publisher=self.producer,
        )
        self.log_watch = LogWatch(
            fences=self.producer,
            marks=live.log_marks,
            redrive=redrive,
            unsettled_after_s=s.unsettled_after_s,
        )
        self.repair = Repair(
            admissions=live.admissions,
            redemptions=live.redemptions,
            settlement=live.settlement,
            records=db,
            campaigns=self.campaigns,
            publish_reversal=self._publish_reversal,
        )
        self.reconciler = Reconciler(
            records=db,
            admissions=live.admissions,
            settlement=live.settlement,
            live=live.rebuild,
            events=self.events,
            event_keys=event_keys_of(s),
            unsettled_after_s=s.unsettled_after_s,
        )

    async def _publish_reversal(self, event: VoucherReversed) -> None:
        # Keyed by merchant, as the API keys it: one partition holds a merchant's chain.
        await self.producer.publish(event, key=event.merchant_id)
