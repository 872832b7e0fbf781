"""In-memory implementations of every port, shipped with the engine as limits ships its
MemoryStorage: the use cases run over them in unit tests exactly as they are wired over
Redis, PostgreSQL and Kafka (`Engine.in_memory`). One contract suite per port runs against
these and against the real adapters (tests/integration/test_*_contracts.py), so the two
cannot drift apart.

They keep each decision's rules in plain Python, as the Lua scripts and the named queries
state them; time comes from the engine's Clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.adapters.memory.admissions import MemoryAdmissions
from engine.adapters.memory.books import (
    MemoryLedgerRecords,
    MemoryMerchantRecords,
    MemoryOperatorRecords,
    MemoryWebhookRecords,
)
from engine.adapters.memory.guards import (
    Counts,
    MemoryKeyBindings,
    MemoryKeyCache,
    MemoryThrottle,
)
from engine.adapters.memory.live import MemoryDefinitions, MemoryFigures, MemoryRebuild
from engine.adapters.memory.live_state import LiveState
from engine.adapters.memory.log import MemoryLog, MemoryLogMarks
from engine.adapters.memory.payouts import MemoryPayoutRecords
from engine.adapters.memory.records import (
    MemoryCampaignRecords,
    MemoryLotteryRecords,
    MemoryVoucherRecords,
    MemoryWorkerRecords,
)
from engine.adapters.memory.redemptions import MemoryRedemptions
from engine.adapters.memory.settlement import MemorySettlement
from engine.adapters.memory.stations import (
    MemorySlotRecords,
    MemoryStationRecords,
    MemoryStations,
)
from engine.adapters.memory.watch import MemoryWatchRecords
from engine.domain.clock import Clock

__all__ = ["MemoryDecisionStore", "MemoryLog", "MemoryRecords"]


class MemoryRecords(
    MemoryCampaignRecords,
    MemoryVoucherRecords,
    MemoryLedgerRecords,
    MemoryMerchantRecords,
    MemoryWebhookRecords,
    MemoryWorkerRecords,
    MemoryOperatorRecords,
    MemoryLotteryRecords,
    MemoryStationRecords,
    MemorySlotRecords,
    MemoryPayoutRecords,
    MemoryWatchRecords,
):
    """The system of record (PostgreSQL in production)."""

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


@dataclass
class MemoryDecisionStore:
    """The decisions and the live state beside them (Redis in production), one port per
    concern over one state."""

    clock: Clock
    state: LiveState = field(default_factory=LiveState)

    def __post_init__(self) -> None:
        live, counts = self.state, Counts(self.clock)
        self.admissions = MemoryAdmissions(live)
        self.redemptions = MemoryRedemptions(live)
        self.settlement = MemorySettlement(live)
        self.throttles = MemoryThrottle(counts)
        self.figures = MemoryFigures(live)
        self.definitions = MemoryDefinitions(live)
        self.rebuild = MemoryRebuild(live)
        self.key_cache = MemoryKeyCache(counts)
        self.bindings = MemoryKeyBindings(live, counts)
        self.log_marks = MemoryLogMarks(live)
        self.stations = MemoryStations(live)

    def lose(self) -> None:
        """Forget everything (a Redis that lost its data)."""
        self.state.__dict__.update(LiveState().__dict__)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
