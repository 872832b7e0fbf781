"""What the use cases need from the world, as Protocols; the adapters implement them.

A use case imports these, never an adapter, so it runs as well over the in-memory
implementations in engine/adapters/memory as over Redis, PostgreSQL and Kafka.
"""

from engine.domain.clock import Clock
from engine.usecases.ports.decisions import (
    AdmissionStore,
    KeyBindings,
    RedemptionStore,
    Settlement,
    Throttle,
)
from engine.usecases.ports.events import EventLog, EventPublisher, LogFences
from engine.usecases.ports.live import (
    KeyCache,
    LiveDefinitions,
    LiveFigures,
    LiveRebuild,
    LogMarks,
    StationStocks,
)
from engine.usecases.ports.records import (
    AuditLog,
    CampaignRecords,
    LedgerRecords,
    LotteryRecords,
    MerchantRecords,
    OperatorRecords,
    PayoutRecords,
    SlotRecords,
    StationRecords,
    VoucherRecords,
    WatchRecords,
    WebhookRecords,
    WorkerRecords,
)

__all__ = [
    "AdmissionStore",
    "AuditLog",
    "CampaignRecords",
    "Clock",
    "EventLog",
    "EventPublisher",
    "KeyBindings",
    "KeyCache",
    "LedgerRecords",
    "LiveDefinitions",
    "LiveFigures",
    "LiveRebuild",
    "LogFences",
    "LogMarks",
    "LotteryRecords",
    "MerchantRecords",
    "OperatorRecords",
    "PayoutRecords",
    "RedemptionStore",
    "Settlement",
    "SlotRecords",
    "StationRecords",
    "StationStocks",
    "Throttle",
    "VoucherRecords",
    "WatchRecords",
    "WebhookRecords",
    "WorkerRecords",
]
