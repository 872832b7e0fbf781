"""What the cash-out watch takes from the log: each redemption and reversal as a fact it
keeps, which subjects a batch of them touches, and the windows to judge them in. Plain
functions, without I/O (the stream's watch, engine/stream/watch.py, does the I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.domain.clock import utc_from_ms
from engine.domain.ledger import Entry


@dataclass(frozen=True, slots=True)
class Seen:
    """A redemption as the watch keeps it (its worker is read from the voucher's row)."""

    redemption_id: str
    campaign_id: str
    serial: int
    merchant_id: str
    store_id: str
    terminal_id: str
    amount_fen: int
    balance_before_fen: int
    at: datetime


@dataclass(frozen=True, slots=True)
class SeenReversal:
    reversal_id: str
    redemption_id: str
    merchant_id: str
    store_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Subjects:
    """Whom a batch touches: its stores and terminals, and the workers of its redemptions
    (named by redemption, since the events do not carry the worker)."""

    stores: frozenset[tuple[str, str]]
    terminals: frozenset[str]
    redemption_ids: frozenset[str]


def _text(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name, "")
    return value if isinstance(value, str) else None


def _whole(fields: Mapping[str, object], name: str, default: int | None = 0) -> int | None:
    value = fields.get(name, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def seen_redemption(fields: Mapping[str, object]) -> Seen | None:
    """From a voucher.redeemed event's fields; None for anything else (a fence)."""
    texts = [_text(fields, n) for n in ("redemption_id", "campaign_id", "merchant_id")]
    numbers = [_whole(fields, n) for n in ("serial", "amount_fen", "balance_fen")]
    numbers.append(_whole(fields, "redeemed_at_ms", None))  # a time, never a default
    store, terminal = _text(fields, "store_id"), _text(fields, "terminal_id")
    if not all(texts) or None in numbers or store is None or terminal is None:
        return None
    (redemption, campaign, merchant), (serial, amount, after, at_ms) = texts, numbers
    return Seen(
        str(redemption),
        str(campaign),
        int(serial or 0),
        str(merchant),
        store,
        terminal,
        int(amount or 0),
        int(amount or 0) + int(after or 0),
        utc_from_ms(int(at_ms or 0)),
    )


def seen_reversal(fields: Mapping[str, object]) -> SeenReversal | None:
    """From a voucher.reversed event's fields; None for anything else (a fence)."""
    texts = [_text(fields, n) for n in ("reversal_id", "redemption_id", "merchant_id")]
    store, at_ms = _text(fields, "store_id"), _whole(fields, "reversed_at_ms", None)
    if not all(texts) or store is None or at_ms is None:
        return None
    reversal, redemption, merchant = (str(t) for t in texts)
    return SeenReversal(reversal, redemption, merchant, store, utc_from_ms(at_ms))


def subjects_of(redemptions: Sequence[Seen], reversals: Sequence[SeenReversal]) -> Subjects:
    stores = {(s.merchant_id, s.store_id) for s in redemptions}
    stores |= {(r.merchant_id, r.store_id) for r in reversals}
    return Subjects(
        frozenset(stores),
        frozenset(s.terminal_id for s in redemptions if s.terminal_id),
        frozenset(s.redemption_id for s in redemptions),
    )


def window_ends(times: Sequence[datetime], window: timedelta) -> list[datetime]:
    """The fewest window ends such that each time is in (end - window, end] of one: one
    for a batch of a live stream, more when a batch spans a backlog."""
    ends: list[datetime] = []
    for at in sorted(times, reverse=True):
        if not ends or at <= ends[-1] - window:
            ends.append(at)
    return ends


def seen_in_ledger(
    entries: Iterable[Entry], since: datetime
) -> tuple[list[Seen], list[SeenReversal]]:
    """The redemptions and reversals of the ledger from `since` on, as the watch keeps
    them: a card's balance before each redemption is its face less its earlier rows."""
    used: dict[tuple[str, int], int] = {}
    redemptions: list[Seen] = []
    reversals: list[SeenReversal] = []
    # In the same millisecond a redemption comes before the reversals of it.
    for e in sorted(entries, key=lambda e: (e.occurred_ms, e.kind, e.entry_id)):
        card = (e.campaign_id, e.serial)
        before = e.face_value_fen - used.get(card, 0)
        used[card] = used.get(card, 0) + e.amount_fen
        at = utc_from_ms(e.occurred_ms)
        if at < since:
            continue
        store, terminal = e.store_id or "", e.terminal_id or ""
        if e.kind == "redemption":
            redemptions.append(
                Seen(e.entry_id, e.campaign_id, e.serial, e.merchant_id, store, terminal,
                     e.amount_fen, before, at)
            )  # fmt: skip
        elif e.reverses:
            reversals.append(SeenReversal(e.entry_id, e.reverses, e.merchant_id, store, at))
    return redemptions, reversals
