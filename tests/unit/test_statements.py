from datetime import UTC, date, datetime

from engine.domain.ledger import Entry
from engine.domain.listings import SettlementDay
from engine.domain.statements import added, day_totals


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def entry(kind: str, merchant: str, amount: int, at: str) -> Entry:
    return Entry(f"{kind}-{at}", kind, merchant, "c", 1, amount, 300, _ms(at))


def test_totals_are_per_merchant_and_union_day_with_reversals_counted_apart():
    entries = [
        entry("redemption", "m1", 300, "2026-12-06T15:59:59"),  # 23:59:59 in Shanghai
        entry("redemption", "m1", 200, "2026-12-06T16:00:00"),  # the next union day
        entry("reversal", "m1", -50, "2026-12-06T17:00:00"),
        entry("redemption", "m0", 100, "2026-12-06T01:00:00"),
    ]
    assert day_totals(entries) == [
        SettlementDay("m0", date(2026, 12, 6), 1, 100, 0, 0, 100),
        SettlementDay("m1", date(2026, 12, 6), 1, 300, 0, 0, 300),
        SettlementDay("m1", date(2026, 12, 7), 1, 200, 1, 50, 150),
    ]
    assert day_totals([]) == []


def test_a_statement_adds_another():
    day = SettlementDay("m1", date(2026, 12, 6), 2, 500, 1, 50, 450)
    assert added(day, SettlementDay("m1", date(2026, 12, 6), 1, 20, 0, 0, 20)) == SettlementDay(
        "m1", date(2026, 12, 6), 3, 520, 1, 50, 470
    )
