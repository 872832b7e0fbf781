"""The three stores the engine is built over, each as the ports it serves: the decision
store (Redis), the system of record (PostgreSQL) and the event log (Kafka). The
composition root (engine/composition.py) takes one of each, real or in memory."""

from __future__ import annotations

from typing import Protocol

from engine.usecases import ports


class Reachable(Protocol):
    async def ping(self) -> None:
        """Return when the store answers; raise when it does not."""

    async def close(self) -> None: ...


class DecisionStore(Reachable, Protocol):
    @property
    def admissions(self) -> ports.AdmissionStore: ...
    @property
    def redemptions(self) -> ports.RedemptionStore: ...
    @property
    def settlement(self) -> ports.Settlement: ...
    @property
    def throttles(self) -> ports.Throttle: ...
    @property
    def figures(self) -> ports.LiveFigures: ...
    @property
    def definitions(self) -> ports.LiveDefinitions: ...
    @property
    def rebuild(self) -> ports.LiveRebuild: ...
    @property
    def key_cache(self) -> ports.KeyCache: ...
    @property
    def bindings(self) -> ports.KeyBindings: ...
    @property
    def log_marks(self) -> ports.LogMarks: ...
    @property
    def stations(self) -> ports.StationStocks: ...


class SystemOfRecord(
    ports.CampaignRecords,
    ports.VoucherRecords,
    ports.LedgerRecords,
    ports.MerchantRecords,
    ports.WebhookRecords,
    ports.WorkerRecords,
    ports.OperatorRecords,
    ports.AuditLog,
    ports.LotteryRecords,
    ports.StationRecords,
    ports.SlotRecords,
    ports.PayoutRecords,
    ports.WatchRecords,
    Reachable,
    Protocol,
): ...


class Log(ports.EventPublisher, ports.LogFences, Protocol):
    async def stop(self) -> None: ...


__all__ = ["DecisionStore", "Log", "Reachable", "SystemOfRecord"]
