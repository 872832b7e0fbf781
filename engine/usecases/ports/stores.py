"""The three stores the engine is built over, each as the ports it serves: the decision
store (Redis), the system of record (PostgreSQL) and the event log (Kafka). The
composition root (engine/composition.py) takes one of each, real or in memory."""

from __future__ import annotations

from typing import Protocol

from engine.usecases.ports.decisions import (
    AdmissionStore,
    KeyBindings,
    RedemptionStore,
    Settlement,
    Throttle,
)
from engine.usecases.ports.events import EventLog, EventPublisher, LogFences
from engine.usecases.ports.live import KeyCache, LiveDefinitions, LiveFigures, LiveRebuild, LogMarks
from engine.usecases.ports.records import (
    AuditLog,
    CampaignRecords,
    LedgerRecords,
    LotteryRecords,
    MerchantRecords,
    OperatorRecords,
    VoucherRecords,
    WebhookRecords,
    WorkerRecords,
)


class Reachable(Protocol):
    async def ping(self) -> None:
        """Return when the store answers; raise when it does not."""

    async def close(self) -> None: ...


class DecisionStore(Reachable, Protocol):
    @property
    def admissions(self) -> AdmissionStore: ...
    @property
    def redemptions(self) -> RedemptionStore: ...
    @property
    def settlement(self) -> Settlement: ...
    @property
    def throttles(self) -> Throttle: ...
    @property
    def figures(self) -> LiveFigures: ...
    @property
    def definitions(self) -> LiveDefinitions: ...
    @property
    def rebuild(self) -> LiveRebuild: ...
    @property
    def key_cache(self) -> KeyCache: ...
    @property
    def bindings(self) -> KeyBindings: ...
    @property
    def log_marks(self) -> LogMarks: ...


class SystemOfRecord(
    CampaignRecords,
    VoucherRecords,
    LedgerRecords,
    MerchantRecords,
    WebhookRecords,
    WorkerRecords,
    OperatorRecords,
    AuditLog,
    LotteryRecords,
    Reachable,
    Protocol,
): ...


class Log(EventPublisher, LogFences, Protocol):
    async def stop(self) -> None: ...


__all__ = ["DecisionStore", "EventLog", "Log", "Reachable", "SystemOfRecord"]
