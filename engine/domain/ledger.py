"""The merchant ledger's hash chain (pure): every row's hash covers the previous one.

hash = sha256("prev_hash|entry_id|kind|merchant_id|seq|campaign_id|serial|amount_fen|occurred_ms")
with "|order_fen" appended for a discount's rows (so every older row's hash stays as it was).
The first row of a merchant links to 64 zeros. Migration 003 computes the same
string in SQL for rows that existed before the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    kind: str  # 'redemption' | 'reversal'
    merchant_id: str
    campaign_id: str
    serial: int
    amount_fen: int  # negative for a reversal
    face_value_fen: int
    occurred_ms: int
    reverses: str | None = None
    store_id: str | None = None
    terminal_id: str | None = None
    request_id: str | None = None  # not hashed: it traces, it does not account
    order_fen: int | None = None  # a discount's order: amount_fen is what it granted


@dataclass(frozen=True, slots=True)
class Link:
    entry: Entry
    seq: int
    prev_hash: str
    hash: str


def link_hash(prev_hash: str, entry: Entry, seq: int) -> str:
    fields = (
        prev_hash,
        entry.entry_id,
        entry.kind,
        entry.merchant_id,
        seq,
        entry.campaign_id,
        entry.serial,
        entry.amount_fen,
        entry.occurred_ms,
        *(() if entry.order_fen is None else (entry.order_fen,)),
    )
    return hashlib.sha256("|".join(str(f) for f in fields).encode()).hexdigest()


def extend(head_seq: int, head_hash: str, entries: Sequence[Entry]) -> list[Link]:
    """Chain new entries after a merchant's head, in the order given."""
    links, seq, prev = [], head_seq, head_hash
    for e in entries:
        seq += 1
        h = link_hash(prev, e, seq)
        links.append(Link(e, seq, prev, h))
        prev = h
    return links


@dataclass(frozen=True, slots=True)
class Break:
    merchant_id: str
    seq: int
    entry_id: str
    reason: str


def first_break(links: Iterable[Link]) -> Break | None:
    """Walk stored links (ordered by merchant, seq); return the first that does not hold."""
    merchant, seq, prev = None, 0, GENESIS
    for link in links:
        if link.entry.merchant_id != merchant:
            merchant, seq, prev = link.entry.merchant_id, 0, GENESIS
        e = link.entry
        if link.seq != seq + 1:
            return Break(
                e.merchant_id, link.seq, e.entry_id, f"sequence jumps from {seq} to {link.seq}"
            )
        if link.prev_hash != prev:
            return Break(
                e.merchant_id, link.seq, e.entry_id, "prev_hash is not the previous row's hash"
            )
        if link_hash(prev, e, link.seq) != link.hash:
            return Break(
                e.merchant_id, link.seq, e.entry_id, "the row's contents do not match its hash"
            )
        seq, prev = link.seq, link.hash
    return None
