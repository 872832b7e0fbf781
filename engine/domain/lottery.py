"""Lottery draws anyone can re-run: commit to a seed, publish the list, reveal, draw.

Registrants are published as entries, sha256("<salt>:<worker id>") with a random salt
per registration, never as worker ids: a worker finds their own entry (the registration
answer names it), nobody learns who registered, and a hardship-gated programme's list
does not reveal who is in hardship.

At registration close the engine publishes sha256(seed) and the digest of the sorted
entry list. At the draw it reveals the seed; every entry is ranked by
HMAC-SHA256(seed, entry) and the first `stock` win. Given the published entries and
seed, `nuanxin lottery verify` recomputes the same winning entries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


def new_salt() -> str:
    return secrets.token_hex(16)


def entry(salt: str, worker_id: str) -> str:
    return hashlib.sha256(f"{salt}:{worker_id}".encode()).hexdigest()


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def registrants_digest(worker_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(worker_ids))).encode()).hexdigest()


def rank(seed: bytes, worker_id: str) -> str:
    return hmac.new(seed, worker_id.encode(), hashlib.sha256).hexdigest()


def draw(seed: bytes, worker_ids: Iterable[str], stock: int) -> list[str]:
    """Winners in rank order; never more than the stock."""
    unique = sorted(set(worker_ids))
    return sorted(unique, key=lambda w: (rank(seed, w), w))[: max(0, stock)]


def verify(
    seed: bytes,
    published_commitment: str,
    worker_ids: Iterable[str],
    published_digest: str,
    stock: int,
    published_winners: list[str],
) -> list[str]:
    """Every way the published draw could disagree with a re-run; empty when it holds."""
    ids = list(worker_ids)
    problems = []
    if commitment(seed) != published_commitment:
        problems.append("the seed does not match the published commitment")
    if registrants_digest(ids) != published_digest:
        problems.append("the registrant list does not match the published digest")
    if draw(seed, ids, stock) != published_winners:
        problems.append("re-running the draw gives other winners")
    return problems


@dataclass(frozen=True, slots=True)
class LotteryDraw:
    """A lottery's commitment and, once drawn, its seed and winning entries."""

    campaign_id: str
    commitment: str
    registrants_digest: str
    registrants: int
    stock: int
    seed_hex: str | None
    winners: list[str] | None
    committed_at: datetime
    drawn_at: datetime | None
