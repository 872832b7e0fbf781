"""Each part's cost per unit of work, from a run's CPU shares and answers."""

from __future__ import annotations

from engine.bench.per_unit import Work, per_unit


def test_cpu_shares_become_microseconds_per_unit_and_bytes_per_admission():
    cpu = {"api": 0.9, "stream": 0.5, "redis": 0.2, "redis-2": 0.1, "broker": 0.05, "postgres": 0.3}
    costs = per_unit(cpu, 10.0, Work(requests=45_000, admitted=30_000, redis_bytes=16_950_000))
    assert costs == {
        "API µs/request": 200.0,  # 9 s of one core over 45,000 requests
        "Redis µs/decision": 66.7,  # both Redis nodes
        "stream µs/201 (voucher or ledger row)": 166.7,
        "broker µs/event": 16.7,
        "PostgreSQL µs/admission": 100.0,
        "Redis bytes/admission": 565.0,
    }


def test_a_part_without_work_is_left_out():
    assert per_unit({"api": 0.5}, 2.0, Work(requests=0, admitted=0, redis_bytes=0)) == {}
    sold_out = per_unit({"api": 0.5}, 2.0, Work(requests=1_000, admitted=0, redis_bytes=10))
    assert set(sold_out) == {"API µs/request", "Redis µs/decision"}
