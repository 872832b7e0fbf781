"""The engine over its in-memory stores (engine/adapters/memory), for the use cases' unit
tests: wired by the composition root exactly as a running engine is, on a clock the test
moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import SecretStr

from engine.adapters.memory import MemoryDecisionStore, MemoryLog, MemoryRecords
from engine.composition import Engine
from engine.domain.audit import Actor
from engine.domain.campaigns import Campaign
from engine.domain.event_auth import EventKeys
from engine.domain.keyring import new_keyring
from engine.domain.mac_keys import MacKeys
from engine.domain.tokens import WorkerIdentity
from engine.events import ClaimAdmitted, Event, VoucherRedeemed, VoucherReversed
from engine.settings import Settings
from tests.factories import domain_campaign

E = TypeVar("E", bound=Event)
OPS = Actor("ops:unit", "req-unit")


@dataclass
class SteppingClock:
    moment: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def unit_settings(**overrides: Any) -> Settings:
    keys = {
        "signing_keys_json": SecretStr(new_keyring().to_json()),
        "worker_token_keys_json": SecretStr(MacKeys.new("t").to_json()),
        "event_keys_json": SecretStr(EventKeys.new("e").to_json()),
    }
    return Settings(**(keys | overrides))


class World:
    """An engine in memory, its stores at hand, and the steps most tests take."""

    def __init__(self, **settings: Any) -> None:
        self.clock = SteppingClock()
        self.engine = Engine.in_memory(unit_settings(**settings), self.clock)
        assert isinstance(self.engine.decisions, MemoryDecisionStore)
        assert isinstance(self.engine.db, MemoryRecords)
        assert isinstance(self.engine.producer, MemoryLog)
        self.store, self.records, self.log = (
            self.engine.decisions,
            self.engine.db,
            self.engine.producer,
        )
        self.seen = 0  # events handed to the stream so far

    async def campaign(self, **overrides: Any) -> Campaign:
        """A campaign created as operations create one (enrolling its merchants)."""
        draft = domain_campaign(prefix="uc", at=self.clock.now(), **overrides)
        created, _ = await self.engine.admin.create_campaign(draft, OPS)
        return created

    async def worker(self, worker_id: str, category: str = "courier") -> WorkerIdentity:
        await self.engine.workers.register(worker_id, {"category": category})
        return WorkerIdentity(worker_id)

    async def merchant(self, merchant_id: str, store_id: str | None = None) -> str:
        """A merchant (and store) with a key; the key."""
        created = await self.engine.merchants.create(merchant_id, merchant_id, OPS)
        if store_id is None:
            return str(created["api_key"])
        await self.engine.merchants.add_store(merchant_id, store_id, store_id, OPS)
        issued = await self.engine.merchants.issue_key(merchant_id, store_id, OPS)
        return str(issued["api_key"])

    def published(self, kind: type[E]) -> list[E]:
        return [e for _, e in self.log.published if isinstance(e, kind)]

    async def stream(self) -> None:
        """Apply everything published since: issue the claims, record the redemptions and
        reversals in the ledger, as the stream workers do."""
        fresh = [e for _, e in self.log.published[self.seen :]]
        self.seen = len(self.log.published)
        await self.engine.issuance.issue([e for e in fresh if isinstance(e, ClaimAdmitted)])
        applied: Sequence[VoucherRedeemed | VoucherReversed] = [
            e for e in fresh if isinstance(e, (VoucherRedeemed, VoucherReversed))
        ]
        await self.engine.ledger.record(applied)
