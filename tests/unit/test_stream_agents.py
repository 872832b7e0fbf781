"""The stream agents driven directly, without faust or a broker: the issuer over the
in-memory adapters, the ledger agent over a recording ledger. Each parks what is forged or
malformed, applies the rest, and records the log fences it met only once the batch is
applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.adapters.memory import MemoryDecisionStore, MemoryRecords
from engine.domain.admission import AdmitRequest
from engine.domain.clock import SystemClock
from engine.domain.event_auth import EventKeys
from engine.domain.keyring import new_keyring
from engine.errors import BackendDown, Unavailable
from engine.events import (
    CLAIM_ADMITTED,
    VOUCHER_REDEEMED,
    ClaimAdmitted,
    LogFence,
    VoucherRedeemed,
)
from engine.stream.gate import Gate
from engine.stream.issuer import Issuer
from engine.stream.ledger import LedgerAgent
from engine.usecases.issuance import Issuance
from tests.factories import domain_campaign

KEYS = EventKeys.new("e")


@dataclass
class Marks:
    passed: list[tuple[str, list[tuple[int, int]]]] = field(default_factory=list)

    async def passed_(self, topic: str, marks: list[tuple[int, int]]) -> None:
        self.passed.append((topic, marks))


class Resources:
    """What the agents take from the engine: its use cases and its log marks."""

    def __init__(self, issuance=None, ledger=None) -> None:
        self.marks = Marks()
        self.issuance, self.ledger = issuance, ledger
        self.decisions = type("Redis", (), {"log_marks": type("LogMarks", (), {})()})()
        self.decisions.log_marks.passed = self.marks.passed_

    async def get(self):
        return self


class Sent(list):
    async def __call__(self, key: bytes, value: bytes) -> None:
        self.append((key, value))


class Published(list):
    async def __call__(self, events) -> None:
        self.extend(events)


def _claim(campaign, worker: str) -> tuple[ClaimAdmitted, AdmitRequest]:
    """A claim's event (its serial set once admitted) and the admission it comes from."""
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    claim_id = f"{campaign.id}.{worker}"
    request = AdmitRequest(campaign.id, claim_id, worker, "courier", now_ms, 300)
    return ClaimAdmitted(
        claim_id=claim_id,
        campaign_id=campaign.id,
        campaign_number=campaign.number,
        serial=0,
        worker_id=worker,
        face_value_fen=300,
        valid_until=int(campaign.valid_until.timestamp()),
        admitted_at_ms=now_ms,
    ), request


def _fence(topic: str, partition: int, at_ms: int, keys: EventKeys = KEYS) -> bytes:
    return (
        LogFence(fence_id="f", topic=topic, partition=partition, at_ms=at_ms).signed(keys).dumps()
    )


async def test_the_issuer_applies_the_authentic_parks_the_rest_and_passes_its_fences():
    live, records = MemoryDecisionStore(SystemClock()), MemoryRecords(SystemClock())
    campaign = domain_campaign(prefix="ag", number=5)
    await records.insert_campaign(campaign)
    await live.definitions.init_campaign(campaign)
    good, request = _claim(campaign, "w1")
    admission = await live.admissions.admit(request)
    good.serial = admission.serial
    forged = ClaimAdmitted(**(good.fields() | {"claim_id": f"{campaign.id}.w2", "mac": ""}))
    forged = forged.signed(EventKeys.new("x"))  # not the engine's keys
    resources = Resources(
        issuance=Issuance(settlement=live.settlement, vouchers=records, keyring=new_keyring())
    )
    dead, issued = Sent(), Published()
    issuer = Issuer(resources, Gate(KEYS, dead), issued)
    raws = [
        good.signed(KEYS).dumps(),
        forged.dumps(),
        b"not json",
        _fence(CLAIM_ADMITTED, 2, 1_000),
        _fence(CLAIM_ADMITTED, 3, 2_000, EventKeys.new("x")),  # a forged fence counts nothing
    ]
    await issuer.issue_raw(raws)
    assert list(records.t.vouchers) == [good.claim_id]
    assert [(e.claim_id, k) for e, k in issued] == [(good.claim_id, good.claim_id)]
    assert len(dead) == 2 and {k for k, _ in dead} == {b"ClaimAdmitted"}
    assert resources.marks.passed == [(CLAIM_ADMITTED, [(2, 1_000)])]


class AcknowledgedOnSecondTry(Published):
    """A log that does not acknowledge the first append (a broker down for a moment)."""

    tries = 0

    async def __call__(self, events) -> None:
        self.tries += 1
        if self.tries == 1:
            raise Unavailable("The event log did not acknowledge the events")
        await super().__call__(events)


async def test_the_issuer_waits_for_the_log_to_acknowledge_its_issued_events():
    live, records = MemoryDecisionStore(SystemClock()), MemoryRecords(SystemClock())
    campaign = domain_campaign(prefix="ak", number=6)
    await records.insert_campaign(campaign)
    await live.definitions.init_campaign(campaign)
    event, request = _claim(campaign, "w1")
    event.serial = (await live.admissions.admit(request)).serial
    resources = Resources(
        issuance=Issuance(settlement=live.settlement, vouchers=records, keyring=new_keyring())
    )
    dead, issued = Sent(), AcknowledgedOnSecondTry()
    await Issuer(resources, Gate(KEYS, dead), issued).issue_raw([event.signed(KEYS).dumps()])
    assert issued.tries == 2 and [e.claim_id for e, _ in issued] == [event.claim_id]
    assert dead == []  # waited for, not parked


@dataclass
class RecordingLedger:
    applied: list[str] = field(default_factory=list)
    batches: int = 0

    async def record(self, events) -> list[str]:
        self.batches += 1
        self.applied += [e.redemption_id for e in events]
        return [e.redemption_id for e in events]


async def test_the_ledger_agent_records_fences_only_after_its_batch():
    ledger = RecordingLedger()
    resources = Resources(ledger=ledger)
    dead = Sent()
    agent = LedgerAgent(resources, Gate(KEYS, dead))
    redeemed = VoucherRedeemed(
        redemption_id="c.r1",
        campaign_id="c",
        serial=1,
        merchant_id="m",
        face_value_fen=300,
        redeemed_at_ms=1,
    ).signed(KEYS)
    await agent.apply("ledger", [_fence(VOUCHER_REDEEMED, 0, 5), redeemed.dumps()], VoucherRedeemed)
    assert ledger.applied == ["c.r1"] and dead == []
    assert resources.marks.passed == [(VOUCHER_REDEEMED, [(0, 5)])]


async def test_a_batch_of_fences_only_writes_nothing_and_passes_them():
    """With the database down, a fence-only batch must not wait on it."""
    ledger = RecordingLedger()
    resources = Resources(ledger=ledger)
    agent = LedgerAgent(resources, Gate(KEYS, Sent()))
    await agent.apply("ledger", [_fence(VOUCHER_REDEEMED, 1, 7)], VoucherRedeemed)
    assert ledger.batches == 0
    assert resources.marks.passed == [(VOUCHER_REDEEMED, [(1, 7)])]


async def test_redis_unreachable_for_the_marks_never_stops_an_agent():
    """A fence not recorded as passed only delays releases; the batch stays applied."""
    ledger = RecordingLedger()
    resources = Resources(ledger=ledger)

    async def unreachable(topic, marks):
        raise BackendDown() from ConnectionError("Redis is being rebuilt")

    resources.decisions.log_marks.passed = unreachable
    agent = LedgerAgent(resources, Gate(KEYS, Sent()))
    redeemed = VoucherRedeemed(
        redemption_id="c.r2",
        campaign_id="c",
        serial=2,
        merchant_id="m",
        face_value_fen=300,
        redeemed_at_ms=1,
    ).signed(KEYS)
    await agent.apply("ledger", [redeemed.dumps(), _fence(VOUCHER_REDEEMED, 0, 9)], VoucherRedeemed)
    assert ledger.applied == ["c.r2"]
