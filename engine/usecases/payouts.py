"""Cash subsidies paid to workers in batches. Every issued voucher of a payout campaign is
a payout owed to its worker; one operator prepares a batch, another approves it, its
payment file goes to the bank, and the bank's result file marks each payout paid or
failed. A paid payout is the voucher redeemed whole by the campaign's paying merchant (the
union's payroll), so it is in the hash-chained ledger, the statements and the rebuild like
any redemption. A failed one is tried again in a later batch or cancelled: its voucher is
withdrawn and its amount goes back to the budget (cancel_claim.lua), so the budget holds
exactly what is owed or paid at every step. Each step is audited."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from engine.domain.admission import ClaimCancel
from engine.domain.api_keys import MerchantIdentity
from engine.domain.audit import Actor, AuditEntry
from engine.domain.campaigns import Campaign
from engine.domain.payouts import (
    BatchRecord,
    BatchState,
    Payout,
    PayoutRecord,
    PayoutState,
    approve,
    cancel,
    payment_file,
    prepare,
    read_bank_result,
    retry,
    settle,
)
from engine.domain.periods import period_id
from engine.errors import Conflict, IdempotencyKeyReused, NotFound
from engine.usecases.ports import (
    AuditLog,
    PayoutRecords,
    StationStocks,
    VoucherRecords,
)
from engine.usecases.read_caches import Campaigns
from engine.usecases.redemptions import Redemptions

# Why a cancelled payout's voucher is revoked.
PAYOUT_CANCELLED = "payout-cancelled"


class Records(PayoutRecords, VoucherRecords, AuditLog, Protocol):
    """Payouts, batches and the vouchers they pay; each step audited."""


class Payouts:
    def __init__(
        self,
        *,
        records: Records,
        live: StationStocks,
        campaigns: Campaigns,
        redemptions: Redemptions,
    ) -> None:
        self.records, self.live, self.campaigns = records, live, campaigns
        self.redemptions = redemptions

    async def _payout_campaign(self, campaign_id: str) -> Campaign:
        campaign = await self.campaigns.get(campaign_id)
        if not campaign.payout:
            raise NotFound("This campaign is not paid out in batches")
        return campaign

    async def _batch(self, batch_id: str) -> BatchRecord:
        held = await self.records.payout_batch(batch_id)
        if held is None:
            raise NotFound("No such payout batch")
        return held

    async def prepare(
        self, campaign_id: str, batch_id: str, most: int, by: Actor
    ) -> dict[str, Any]:
        """A batch of the payouts owed (every voucher issued and not paid out yet becomes
        one), at most `most`; once per batch id (a retry answers the batch made)."""
        await self._payout_campaign(campaign_id)
        async with self.records.transaction():
            made = await self.records.payout_batch(batch_id)
            if made is not None and made.campaign_id != campaign_id:
                raise IdempotencyKeyReused("This Idempotency-Key made a batch of another campaign")
            if made is None:
                await self.records.add_payouts(campaign_id)
                pending = await self.records.pending_payouts(campaign_id, most)
                batch, held = prepare(batch_id, pending, by.name)
                await self.records.insert_batch(campaign_id, batch, held)
                after = {
                    "campaign_id": campaign_id,
                    "payouts": len(held),
                    "amount_fen": sum(p.amount_fen for p in held),
                }
                await self._audit(by, "payouts.prepare", f"payout-batch:{batch_id}", after)
        return await self.batch_view(batch_id)

    async def approve(self, batch_id: str, by: Actor) -> dict[str, Any]:
        """The second person's approval: never the one who prepared the batch."""
        held = await self._batch(batch_id)
        approved = approve(held.batch, by.name)
        async with self.records.transaction():
            if not await self.records.save_batch(approved, BatchState.PREPARED):
                raise Conflict("The batch was approved meanwhile")
            await self._audit(
                by, "payouts.approve", f"payout-batch:{batch_id}", {"approved_by": by.name}
            )
        return await self.batch_view(batch_id)

    async def payment_file(self, batch_id: str, by: Actor) -> tuple[str, str]:
        """The approved batch's payment file and its SHA-256; the same file each time."""
        held = await self._batch(batch_id)
        lines = await self.records.batch_payouts(batch_id)
        if held.batch.state == BatchState.APPROVED:
            exported, text, digest = payment_file(held.batch, lines)
            async with self.records.transaction():
                if await self.records.save_batch(exported, BatchState.APPROVED, digest):
                    await self._audit(
                        by, "payouts.export", f"payout-batch:{batch_id}", {"file_sha256": digest}
                    )
            return text, digest
        if held.file_sha256 is None:
            raise Conflict(f"Batch {batch_id} is {held.batch.state}: approve it first")
        _, text, digest = payment_file(replace(held.batch, state=BatchState.APPROVED), lines)
        if digest != held.file_sha256:
            raise Conflict("The batch's lines no longer give the file exported")
        return text, digest

    async def import_result(self, batch_id: str, text: str, by: Actor) -> dict[str, Any]:
        """The bank's result file: each line checked, then every paid payout redeemed (by
        the paying merchant, once) and every failed one marked, with the batch settled."""
        held = await self._batch(batch_id)
        if held.batch.state != BatchState.EXPORTED:
            raise Conflict(f"Batch {batch_id} is {held.batch.state}: results follow its export")
        lines = await self.records.batch_payouts(batch_id)
        results = read_bank_result(text, held.batch, lines)
        campaign = await self._payout_campaign(held.campaign_id)
        payer = MerchantIdentity(campaign.merchants[0], None, "payouts")
        # Redeemed first, each once by its payout's key: a retry after a crash in between
        # finds them redeemed, and records them.
        for r in results:
            if r.paid:
                voucher = await self.records.voucher_by_claim(r.payout_id)
                assert voucher is not None  # a payout is a voucher's
                await self.redemptions.redeem(payer, voucher.code, f"payout-{r.payout_id}")
        settled, payouts = settle(held.batch, lines, results)
        async with self.records.transaction():
            if not await self.records.save_batch(settled, BatchState.EXPORTED):
                raise Conflict("The batch's results were imported meanwhile")
            await self.records.save_payouts(payouts)
            await self.records.save_results(batch_id, results)
            paid = sum(1 for r in results if r.paid)
            after = {"paid": paid, "failed": len(results) - paid}
            await self._audit(by, "payouts.import", f"payout-batch:{batch_id}", after)
        return await self.batch_view(batch_id)

    async def retry(self, payout_id: str, by: Actor) -> dict[str, Any]:
        """A failed payout owed again, for a later batch."""
        async with self.records.transaction():
            held = await self._payout(payout_id)
            again = retry(held.payout)
            await self.records.save_payouts([again])
            await self._audit(by, "payouts.retry", f"payout:{payout_id}", {"state": again.state})
        return _payout_view(held.campaign_id, again)

    async def cancel(self, payout_id: str, by: Actor) -> dict[str, Any]:
        """A payout that will not be made: its voucher is withdrawn and its amount, place
        and the worker's limit go back (recorded and decided in one transaction)."""
        async with self.records.transaction():
            held = await self._payout(payout_id)
            cancelled = cancel(held.payout)
            campaign = await self._payout_campaign(held.campaign_id)
            voucher = await self.records.voucher_by_claim(payout_id)
            assert voucher is not None
            limit = campaign.period_limit
            period = period_id(limit.period, voucher.admitted_at) if limit else "none"
            await self.records.save_payouts([cancelled])
            if not await self.records.cancel_claim(payout_id, PAYOUT_CANCELLED):
                raise Conflict("The payout's voucher was revoked")
            await self.live.cancel_claim(
                ClaimCancel(
                    campaign.id,
                    payout_id,
                    held.serial,
                    held.payout.worker_id,
                    period,
                    PAYOUT_CANCELLED,
                )
            )
            after = {"state": cancelled.state, "amount_fen": cancelled.amount_fen}
            await self._audit(by, "payouts.cancel", f"payout:{payout_id}", after)
        return _payout_view(held.campaign_id, cancelled)

    async def totals(self, campaign_id: str) -> dict[str, Any]:
        """Payouts by state, and the budget they hold: everything but the cancelled."""
        campaign = await self._payout_campaign(campaign_id)
        totals = await self.records.payout_totals(campaign_id)
        by_state = {
            s.value: {
                "payouts": totals.get(s.value, (0, 0))[0],
                "fen": totals.get(s.value, (0, 0))[1] or 0,
            }
            for s in PayoutState
        }
        return {"campaign_id": campaign_id, "budget_fen": campaign.budget_fen, "by_state": by_state}

    async def batch_view(self, batch_id: str) -> dict[str, Any]:
        held = await self._batch(batch_id)
        payouts = await self.records.batch_payouts(batch_id)
        return {
            "batch_id": batch_id,
            "campaign_id": held.campaign_id,
            "state": held.batch.state.value,
            "prepared_by": held.batch.prepared_by,
            "approved_by": held.batch.approved_by,
            "file_sha256": held.file_sha256,
            "amount_fen": sum(p.amount_fen for p in payouts),
            "payouts": [_payout_view(held.campaign_id, p) for p in payouts],
        }

    async def _payout(self, payout_id: str) -> PayoutRecord:
        held = await self.records.payout(payout_id)
        if held is None:
            raise NotFound("No such payout")
        return held

    async def _audit(self, by: Actor, action: str, target: str, after: dict[str, Any]) -> None:
        await self.records.insert_audit(AuditEntry.of(by, action, target, after=after))


def _payout_view(campaign_id: str, payout: Payout) -> dict[str, Any]:
    return {
        "payout_id": payout.payout_id,
        "campaign_id": campaign_id,
        "worker_id": payout.worker_id,
        "amount_fen": payout.amount_fen,
        "state": payout.state.value,
        "batch_id": payout.batch_id,
        "failure": payout.failure,
    }
