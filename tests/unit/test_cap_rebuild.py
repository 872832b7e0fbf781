"""A cap group's spending and reservations follow from its admissions in the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.domain.admission import CapReservation
from engine.domain.cap_rebuild import CapAdmission, CapState, cap_differences, expected_cap
from engine.domain.periods import Period

# Noon in Asia/Shanghai on the 15th: mid-month, mid-week, mid-day.
NOW = datetime(2027, 3, 15, 4, tzinfo=UTC)


def test_spending_sums_the_period_and_names_each_reservation():
    admissions = [
        CapAdmission("fuel", "fuel.1", "w1", 3_000, NOW - timedelta(days=2)),
        CapAdmission("ev", "ev.1", "w1", 5_000, NOW - timedelta(hours=1)),
        CapAdmission("ev", "ev.2", "w2", 5_000, NOW),
        CapAdmission("fuel", "fuel.old", "w1", 9_000, NOW - timedelta(days=40)),  # last month
    ]
    state = expected_cap("g", Period.MONTH, admissions, NOW)
    assert state.period == "m202703"
    assert state.spent == {"w1": 8_000, "w2": 5_000}
    assert set(state.reservations) == {"fuel.1", "ev.1", "ev.2"}
    assert state.reservations["ev.1"] == CapReservation(
        "g", state.period, "ev.1", "w1", "ev", 5_000
    )
    # A week's cap only counts this week.
    assert expected_cap("g", Period.WEEK, admissions, NOW).spent == {"w1": 5_000, "w2": 5_000}


def test_differences_name_the_worker_and_the_missing_reservation():
    expected = expected_cap("g", Period.DAY, [CapAdmission("c", "c.1", "w1", 100, NOW)], NOW)
    assert cap_differences("g", expected, expected) == []
    lost = CapState(expected.period)
    found = cap_differences("g", expected, lost)
    assert found == [
        "cap g: w1 spent 0 fen in Redis, 100 expected",
        "cap g: reservation of claim c.1 is missing in Redis",
    ]
