"""Signs of cash-out and collusion (套现, 刷单) in redemptions: the rules, as plain
functions over the redemptions of a window, without I/O.

Each rule has a threshold ops can change (`Thresholds`) and answers `Hit`s: which rule,
who (a store, a terminal, a worker) and the evidence (the redemptions behind it). The
watch (engine/stream/watch.py) keeps the redemptions it has seen; the rules read the last
`window_minutes` of them, so redemptions rebuilt from the ledger give the same hits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, time, timedelta
from typing import Any

from engine.domain.periods import UNION_TZ


@dataclass(frozen=True, slots=True)
class Redeemed:
    """One redemption as the rules see it."""

    redemption_id: str
    merchant_id: str
    store_id: str
    terminal_id: str
    worker_id: str
    amount_fen: int
    balance_before_fen: int
    stored_value: bool
    at: datetime
    reversed: bool = False


RULES = (
    "many-workers-at-one-store",
    "outside-opening-hours",
    "terminal-at-several-merchants",
    "worker-at-several-stores",
    "round-spends-to-zero",
    "mostly-reversed",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    window_minutes: int = 10  # the rules read the redemptions of the last this many
    distinct_workers_per_store: int = 40
    # Stores' hours in the union's time zone; closing before opening runs past midnight,
    # closing equal to opening is open day and night.
    opening: time = time(7)
    closing: time = time(22)
    merchants_per_terminal: int = 2
    # In one window. "Far apart" needs the stores' locations, which the register does not
    # hold yet: several stores at all is the sign for now.
    stores_per_worker: int = 3
    round_spends_to_zero: int = 3  # stored-value spends of whole yuan that empty the card
    reversed_percent: int = 50  # more than this share of a store's redemptions
    reversed_minimum: int = 10  # redemptions before the share counts

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    def is_open(self, local: time) -> bool:
        if self.opening == self.closing:
            return True
        if self.opening < self.closing:
            return self.opening <= local < self.closing
        return local >= self.opening or local < self.closing

    def document(self) -> dict[str, Any]:
        """As stored and shown: times as HH:MM."""
        out = asdict(self)
        out["opening"], out["closing"] = (
            self.opening.strftime("%H:%M"),
            self.closing.strftime("%H:%M"),
        )
        return out

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Thresholds:
        """From `document()`'s shape; a name this version does not know is left out."""
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in stored.items() if k in known}
        for name in ("opening", "closing"):
            if isinstance(given.get(name), str):
                given[name] = time.fromisoformat(given[name])
        return cls(**given)


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    subject: str  # store:<merchant>/<store>, terminal:<id>, worker:<id>
    evidence: tuple[str, ...]  # redemption ids


def merchants_of(hit: Hit, window: Sequence[Redeemed]) -> tuple[str, ...]:
    """The merchants whose redemptions are the hit's evidence: whose settlement a hold
    on its case stops."""
    evidence = set(hit.evidence)
    return tuple(sorted({r.merchant_id for r in window if r.redemption_id in evidence}))


def hits(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    """Every rule's hits in one window of redemptions, in a stable order."""
    found = [
        *_many_workers_at_one_store(window, limits),
        *_outside_opening_hours(window, limits),
        *_terminal_at_several_merchants(window, limits),
        *_worker_at_several_stores(window, limits),
        *_round_spends_to_zero(window, limits),
        *_mostly_reversed(window, limits),
    ]
    return sorted(found, key=lambda h: (h.rule, h.subject))


def _by(window: Iterable[Redeemed], key: str) -> dict[str, list[Redeemed]]:
    groups: dict[str, list[Redeemed]] = defaultdict(list)
    for r in window:
        groups[getattr(r, key)].append(r)
    return groups


def _store(redemption: Redeemed) -> str:
    return f"store:{redemption.merchant_id}/{redemption.store_id}"


def _ids(redemptions: Iterable[Redeemed]) -> tuple[str, ...]:
    return tuple(sorted(r.redemption_id for r in redemptions))


def _at_stores(window: Iterable[Redeemed]) -> list[Redeemed]:
    """The redemptions a store made. One without a store is a merchant's own system (its
    website, its gates, the union's payroll): it has no counter, hours or place to judge,
    so the rules about a place leave it out; the others still read it."""
    return [r for r in window if r.store_id]


def _many_workers_at_one_store(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    stores: dict[str, list[Redeemed]] = defaultdict(list)
    for r in _at_stores(window):
        stores[_store(r)].append(r)
    return [
        Hit("many-workers-at-one-store", store, _ids(rs))
        for store, rs in stores.items()
        if len({r.worker_id for r in rs}) >= limits.distinct_workers_per_store
    ]


def _outside_opening_hours(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    stores: dict[str, list[Redeemed]] = defaultdict(list)
    for r in _at_stores(window):
        if not limits.is_open(r.at.astimezone(UNION_TZ).time()):
            stores[_store(r)].append(r)
    return [Hit("outside-opening-hours", store, _ids(rs)) for store, rs in stores.items()]


def _terminal_at_several_merchants(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    return [
        Hit("terminal-at-several-merchants", f"terminal:{terminal}", _ids(rs))
        for terminal, rs in _by((r for r in window if r.terminal_id), "terminal_id").items()
        if len({r.merchant_id for r in rs}) >= limits.merchants_per_terminal
    ]


def _worker_at_several_stores(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    return [
        Hit("worker-at-several-stores", f"worker:{worker}", _ids(rs))
        # A redemption whose voucher the watch could not place has no worker to judge.
        for worker, rs in _by((r for r in _at_stores(window) if r.worker_id), "worker_id").items()
        if len({_store(r) for r in rs}) >= limits.stores_per_worker
    ]


def _round_spends_to_zero(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    emptied = [
        r
        for r in window
        if r.stored_value and r.amount_fen % 100 == 0 and r.amount_fen == r.balance_before_fen
    ]
    stores: dict[str, list[Redeemed]] = defaultdict(list)
    for r in emptied:
        stores[_store(r)].append(r)
    return [
        Hit("round-spends-to-zero", store, _ids(rs))
        for store, rs in stores.items()
        if len(rs) >= limits.round_spends_to_zero
    ]


def _mostly_reversed(window: Sequence[Redeemed], limits: Thresholds) -> list[Hit]:
    stores: dict[str, list[Redeemed]] = defaultdict(list)
    for r in window:
        stores[_store(r)].append(r)
    return [
        Hit("mostly-reversed", store, _ids(r for r in rs if r.reversed))
        for store, rs in stores.items()
        if len(rs) >= limits.reversed_minimum
        and 100 * sum(r.reversed for r in rs) > limits.reversed_percent * len(rs)
    ]
