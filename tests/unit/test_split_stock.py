"""The split-stock design of docs/SCALING.md, checked by its simulation (pure logic)."""

from __future__ import annotations

import pytest

from engine.bench.split_stock import Broken, Design, simulate


@pytest.mark.parametrize(
    "buckets,stock,workers",
    [(4, 12, 20), (8, 30, 40), (2, 5, 30), (4, 40, 25)],  # short of stock, and not
)
def test_the_design_keeps_every_promise_under_random_interleavings(buckets, stock, workers):
    design = Design(buckets=buckets)
    runs = [simulate(seed, design, stock, workers) for seed in range(150)]
    assert all(r.admitted == min(stock, workers) for r in runs)
    # The interleavings did exercise what the design must survive.
    assert sum(r.killed for r in runs) > 0 and sum(r.given_back for r in runs) > 0
    if workers > stock:
        assert sum(r.refusals for r in runs) > 0


def test_a_return_the_pool_does_not_hear_of_lets_a_refusal_through_while_stock_remains():
    design = Design(returns_through_pool=False)
    found = []
    for seed in range(300):
        try:
            simulate(seed, design)
        except Broken as exc:
            found.append(str(exc))
    assert found and all("refused while" in f for f in found), found[:3]
