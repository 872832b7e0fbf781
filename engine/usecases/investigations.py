"""Operations look into a code's or a worker's history, and revoke a voucher."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.domain.audit import Actor, AuditEntry
from engine.domain.codes import VoucherPayload, verify_code
from engine.domain.listings import document
from engine.domain.live_records import VoucherState
from engine.errors import InvalidCode, NotFound
from engine.usecases.ports import (
    AuditLog,
    CampaignRecords,
    LedgerRecords,
    LiveDefinitions,
    RedemptionStore,
    VoucherRecords,
    WorkerRecords,
)
from engine.usecases.voucher_views import voucher_view


class Records(CampaignRecords, VoucherRecords, LedgerRecords, WorkerRecords, AuditLog, Protocol):
    """A history reads vouchers, their ledger, the worker and the audit log."""


class Investigations:
    def __init__(
        self,
        *,
        live: LiveDefinitions,
        redemptions: RedemptionStore,
        records: Records,
        public_keys: Mapping[int, Ed25519PublicKey],
    ) -> None:
        self.live, self.redemptions, self.db = live, redemptions, records
        self.public_keys = public_keys

    async def _voucher(self, code: str) -> tuple[VoucherPayload, str]:
        payload = verify_code(code, self.public_keys)
        campaign_id = await self.db.campaign_id_by_number(payload.campaign_number)
        if campaign_id is None:
            raise InvalidCode()
        return payload, campaign_id

    async def code_history(self, code: str) -> dict[str, Any]:
        payload, campaign_id = await self._voucher(code)
        row = await self.db.voucher_by_serial(campaign_id, payload.serial)
        if row is None:
            raise NotFound("This genuine code has no voucher row (yet)")
        state = await self.redemptions.voucher_state(campaign_id, payload.serial)
        ledger = await self.db.ledger_of_voucher(campaign_id, payload.serial)
        return {
            "campaign_id": campaign_id,
            "serial": payload.serial,
            "key_id": payload.key_id,
            "voucher": voucher_view(row)
            | {
                "worker_id": row.worker_id,
                "admitted_at": row.admitted_at.isoformat(),
                "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
                "revoked_reason": row.revoked_reason,
                "request_id": row.request_id,
            },
            "redis_state": _live_view(state),
            "ledger": [document(e) for e in ledger],
        }

    async def worker_history(self, worker_id: str) -> dict[str, Any]:
        worker = await self.db.get_worker(worker_id)
        if worker is None:
            raise NotFound(f"No worker {worker_id}")
        vouchers = []
        for row in await self.db.vouchers_of_worker(worker_id):
            ledger = await self.db.ledger_of_voucher(row.campaign_id, row.serial)
            vouchers.append(voucher_view(row) | {"ledger": [document(e) for e in ledger]})
        audit = await self.db.list_audit(f"worker:{worker_id}", None, 100)
        return {
            "worker_id": worker_id,
            "category": worker.category,
            "profile": worker.profile,
            "vouchers": vouchers,
            "audit": [document(a) for a in audit],
        }

    async def revoke(self, code: str, reason: str, by: Actor) -> dict[str, Any]:
        """Stop a voucher that still has value; Redis first (it decides redemptions)."""
        payload, campaign_id = await self._voucher(code)
        await self.live.revoke(campaign_id, payload.serial, reason)
        async with self.db.transaction():
            worker_id = await self.db.revoke_voucher(campaign_id, payload.serial, reason)
            result_doc = {
                "campaign_id": campaign_id,
                "serial": payload.serial,
                "revoked": True,
                "worker_id": worker_id,
                "reason": reason,
            }
            target = f"voucher:{campaign_id}:{payload.serial}"
            await self.db.insert_audit(
                AuditEntry.of(by, "voucher.revoke", target, after=result_doc)
            )
        return result_doc


def _live_view(state: VoucherState | None) -> dict[str, str]:
    """The voucher's live state for an investigator, every field as text (the contract's
    shape); empty before the voucher is issued."""
    if state is None:
        return {}
    fields = asdict(state)
    del fields["claim_id"]  # the voucher's own, shown with it
    return {name: str(value) for name, value in fields.items() if value is not None}
