"""Cash subsidies paid to workers in batches (issue 27): the rules, without I/O.

A payout is one approved claim's cash, owed to one worker. Payouts go out in batches:
one person prepares a batch, another approves it (never the same one), the approved
batch becomes a payment file for the bank (CSV, stated by its SHA-256), and the bank's
result file marks each payout paid or failed. A failed payout can be tried again in a
later batch or cancelled, which gives its amount back to the budget.

Money is integer fen; what a programme has committed is always what is pending, in a
batch, or paid: `committed_fen` adds exactly that, so the budget holds at every step.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from engine.errors import Conflict, ValidationFailed


class PayoutState(StrEnum):
    PENDING = "pending"  # owed, in no batch yet (or failed and to be tried again)
    IN_BATCH = "in_batch"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BatchState(StrEnum):
    PREPARED = "prepared"
    APPROVED = "approved"
    EXPORTED = "exported"
    SETTLED = "settled"  # the bank's result file was imported


@dataclass(frozen=True, slots=True)
class Payout:
    payout_id: str
    worker_id: str
    account: str  # the worker's bank account, as the register holds it
    amount_fen: int
    state: PayoutState = PayoutState.PENDING
    batch_id: str | None = None
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    batch_id: str
    payout_ids: tuple[str, ...]
    prepared_by: str
    state: BatchState = BatchState.PREPARED
    approved_by: str | None = None


@dataclass(frozen=True, slots=True)
class BankResult:
    payout_id: str
    paid: bool
    reason: str = ""


PAYMENT_COLUMNS = ("payout_id", "worker_id", "account", "amount_fen")
RESULT_COLUMNS = ("payout_id", "amount_fen", "status", "reason")


def prepare(batch_id: str, payouts: Sequence[Payout], by: str) -> tuple[Batch, list[Payout]]:
    """A batch of pending payouts; they are in it until its results come back."""
    if not payouts:
        raise ValidationFailed("a batch needs at least one payout")
    if any(p.state != PayoutState.PENDING for p in payouts):
        raise Conflict("only pending payouts can go into a batch")
    batch = Batch(batch_id, tuple(p.payout_id for p in payouts), by)
    held = [replace(p, state=PayoutState.IN_BATCH, batch_id=batch_id) for p in payouts]
    return batch, held


def approve(batch: Batch, by: str) -> Batch:
    """The second person's approval: never the one who prepared it."""
    if batch.state != BatchState.PREPARED:
        raise Conflict(f"batch {batch.batch_id} is {batch.state}, not prepared")
    if by == batch.prepared_by:
        raise Conflict("a batch is approved by someone other than who prepared it")
    return replace(batch, state=BatchState.APPROVED, approved_by=by)


def payment_file(batch: Batch, payouts: Sequence[Payout]) -> tuple[Batch, str, str]:
    """The approved batch as the bank's payment file: (the batch, exported), the CSV and
    its SHA-256."""
    if batch.state != BatchState.APPROVED:
        raise Conflict(f"batch {batch.batch_id} is {batch.state}: only an approved batch exports")
    by_id = {p.payout_id: p for p in payouts}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PAYMENT_COLUMNS)
    for payout_id in batch.payout_ids:
        p = by_id[payout_id]
        writer.writerow((p.payout_id, p.worker_id, p.account, p.amount_fen))
    text = out.getvalue()
    exported = replace(batch, state=BatchState.EXPORTED)
    return exported, text, hashlib.sha256(text.encode()).hexdigest()


def read_bank_result(text: str, batch: Batch, payouts: Sequence[Payout]) -> list[BankResult]:
    """The bank's result file for this batch, every line checked: each payout of the batch
    once, with its own amount, and status paid or failed. ValidationFailed names the line."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != RESULT_COLUMNS:
        raise ValidationFailed(f"the result file's header must be {','.join(RESULT_COLUMNS)}")
    amounts = {p.payout_id: p.amount_fen for p in payouts if p.payout_id in batch.payout_ids}
    results: dict[str, BankResult] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(RESULT_COLUMNS):
            raise ValidationFailed(f"line {line}: {len(RESULT_COLUMNS)} columns expected")
        payout_id, amount, status, reason = row
        if payout_id not in amounts:
            raise ValidationFailed(f"line {line}: {payout_id} is not in batch {batch.batch_id}")
        if payout_id in results:
            raise ValidationFailed(f"line {line}: {payout_id} appears twice")
        if not amount.isdigit() or int(amount) != amounts[payout_id]:
            raise ValidationFailed(f"line {line}: the amount is not the one paid out")
        if status not in ("paid", "failed"):
            raise ValidationFailed(f"line {line}: status is paid or failed")
        results[payout_id] = BankResult(payout_id, status == "paid", reason)
    missing = [p for p in batch.payout_ids if p not in results]
    if missing:
        raise ValidationFailed(f"the result file lacks {len(missing)} payouts, first {missing[0]}")
    return [results[p] for p in batch.payout_ids]


def settle(
    batch: Batch, payouts: Sequence[Payout], results: Iterable[BankResult]
) -> tuple[Batch, list[Payout]]:
    """The batch's payouts marked paid or failed by the bank's results."""
    if batch.state != BatchState.EXPORTED:
        raise Conflict(f"batch {batch.batch_id} is {batch.state}: results come after export")
    outcome = {r.payout_id: r for r in results}
    settled = []
    for p in payouts:
        r = outcome.get(p.payout_id)
        if r is None or p.batch_id != batch.batch_id:
            settled.append(p)
        elif r.paid:
            settled.append(replace(p, state=PayoutState.PAID, failure=None))
        else:
            settled.append(replace(p, state=PayoutState.FAILED, failure=r.reason or "failed"))
    return replace(batch, state=BatchState.SETTLED), settled


def retry(payout: Payout) -> Payout:
    """A failed payout owed again, for a later batch."""
    if payout.state != PayoutState.FAILED:
        raise Conflict(f"payout {payout.payout_id} is {payout.state}: only a failed one is retried")
    return replace(payout, state=PayoutState.PENDING, batch_id=None)


def cancel(payout: Payout) -> Payout:
    """A payout that will not be made; its amount goes back to the budget."""
    if payout.state not in (PayoutState.PENDING, PayoutState.FAILED):
        raise Conflict(f"payout {payout.payout_id} is {payout.state}: it cannot be cancelled")
    return replace(payout, state=PayoutState.CANCELLED, batch_id=None)


def committed_fen(payouts: Iterable[Payout]) -> int:
    """What the payouts hold of the budget: all but the cancelled ones (a failed payout is
    still owed until it is tried again or cancelled)."""
    return sum(p.amount_fen for p in payouts if p.state != PayoutState.CANCELLED)


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A batch as the records hold it: its campaign, and its payment file's digest once
    exported (a second download must be the same file)."""

    campaign_id: str
    batch: Batch
    file_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutRecord:
    """A payout with the voucher it pays (its claim is the payout's id)."""

    campaign_id: str
    serial: int
    payout: Payout
