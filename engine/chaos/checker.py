"""What a chaos run must end with, checked against every answer the clients got and the
books (PostgreSQL's vouchers and ledger, Redis's balances): the engine's promises, each a
line of the verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.chaos.clients import Answer
from engine.domain.admission import claim_id_for, redemption_id_for, reversal_id_for


@dataclass(frozen=True)
class Programme:
    quota: int
    per_worker_limit: int
    face_value_fen: int


@dataclass(frozen=True)
class Books:
    """What the records say at the end: vouchers (claim id -> campaign, serial, worker),
    ledger rows (entry id -> campaign, serial, signed amount), Redis's balance of each
    voucher ((campaign, serial) -> fen)."""

    vouchers: dict[str, tuple[str, int, str]]
    ledger: dict[str, tuple[str, int, int]]
    balances: dict[tuple[str, int], int]


@dataclass
class Verdict:
    lines: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, promise: str, broken: Sequence[str]) -> None:
        detail = f"{len(broken)} broken, e.g. {', '.join(broken[:3])}" if broken else ""
        self.lines.append((promise, not broken, detail))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.lines)


def check(
    answers: Sequence[Answer],
    books: Books,
    programmes: dict[str, Programme],
    merchant_id: str,
    reconciled: Sequence[str],
) -> Verdict:
    """`reconciled`: the differences `nuanxin reconcile` found (none, when all agree)."""
    v = Verdict()
    claims = [a for a in answers if a.kind == "claim"]
    v.add(
        "every 201 claim has exactly one voucher",
        [
            a.body["claim_id"]
            for a in claims
            if a.status == 201 and a.body["claim_id"] not in books.vouchers
        ],
    )
    serials = Counter((cid, serial) for cid, serial, _ in books.vouchers.values())
    per_campaign = Counter(cid for cid, _, _ in books.vouchers.values())
    v.add(
        "no unit is sold twice, and no campaign past its quota",
        [f"{c} serial {s}" for (c, s), n in serials.items() if n > 1]
        + [c for c, n in per_campaign.items() if n > programmes[c].quota],
    )
    held = Counter((cid, worker) for cid, _, worker in books.vouchers.values())
    v.add(
        "no worker holds more than the limit",
        [f"{w} in {c}" for (c, w), n in held.items() if n > programmes[c].per_worker_limit],
    )
    v.add(
        "every 201 redemption and reversal has exactly one ledger row",
        [
            a.key
            for a in answers
            if a.kind != "claim"
            and a.status == 201
            and entry_id(a, merchant_id) not in books.ledger
        ],
    )
    v.add("no balance is negative, and Redis agrees with the ledger", _balances(books, programmes))
    v.add(
        "every 4xx changed nothing",
        [
            f"{a.kind} {a.key} ({a.status})"
            for a in answers
            if a.status is not None and 400 <= a.status < 500 and _made(a, books, merchant_id)
        ],
    )
    v.add("reconcile finds no difference", list(reconciled))
    return v


def entry_id(answer: Answer, merchant_id: str) -> str:
    """The ledger entry a redemption or a reversal request makes."""
    if answer.kind == "redemption":
        return redemption_id_for(answer.campaign_id, merchant_id, answer.key)
    return reversal_id_for(answer.campaign_id, merchant_id, answer.key)


def _made(answer: Answer, books: Books, merchant_id: str) -> bool:
    """Whether the records hold what this request would have made."""
    if answer.kind == "claim":
        return claim_id_for(answer.campaign_id, answer.caller, answer.key) in books.vouchers
    return entry_id(answer, merchant_id) in books.ledger


def _balances(books: Books, programmes: dict[str, Programme]) -> list[str]:
    spent: Counter[tuple[str, int]] = Counter()
    for cid, serial, amount in books.ledger.values():
        spent[(cid, serial)] += amount
    broken = []
    for cid, serial, _ in books.vouchers.values():
        left = programmes[cid].face_value_fen - spent[(cid, serial)]
        in_redis = books.balances.get((cid, serial))
        if left < 0 or in_redis != left:
            broken.append(f"{cid} serial {serial}: ledger leaves {left}, Redis {in_redis}")
    return broken
