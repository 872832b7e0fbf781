"""Issuance: claim.admitted -> a signed voucher in the records and made redeemable ->
voucher.issued. The stream worker's issuer (engine/stream/issuer.py) runs it on each batch
from the log."""

from __future__ import annotations

import time
from collections.abc import Sequence

import structlog

from engine.domain.clock import utc_from_ms
from engine.domain.codes import VoucherPayload, code_digest, sign_code
from engine.domain.keyring import Keyring
from engine.domain.settlement import VOID_STATES, Activation, Decision
from engine.domain.vouchers import VoucherRow
from engine.events import ClaimAdmitted, VoucherIssued
from engine.metrics import ISSUE_LAG, VOUCHERS_ISSUED
from engine.usecases.ports import Settlement, VoucherRecords

log = structlog.get_logger("engine.issuance")


def voucher_row(event: ClaimAdmitted, key_id: int, code: str) -> VoucherRow:
    return (
        event.claim_id,
        event.campaign_id,
        event.serial,
        event.worker_id,
        event.face_value_fen,
        key_id,
        code,
        utc_from_ms(event.valid_until * 1000),
        utc_from_ms(event.admitted_at_ms),
        event.campaign_version,
        event.partner_code or None,
        event.request_id or None,
        event.station_id or None,
    )


class Issuance:
    def __init__(
        self, *, settlement: Settlement, vouchers: VoucherRecords, keyring: Keyring
    ) -> None:
        self.settlement, self.vouchers, self.keyring = settlement, vouchers, keyring

    async def issue(self, events: Sequence[ClaimAdmitted]) -> list[VoucherIssued]:
        """Issue a batch idempotently and return the voucher.issued events to publish."""
        return await issue_batch(self.settlement, self.vouchers, self.keyring, events)


async def issue_batch(
    settlement: Settlement,
    vouchers: VoucherRecords,
    keyring: Keyring,
    events: Sequence[ClaimAdmitted],
) -> list[VoucherIssued]:
    taken = await settlement.take_many(
        [(Decision("claim", e.campaign_id, e.claim_id), e.serial) for e in events]
    )
    live: dict[str, ClaimAdmitted] = {}  # a redelivered event may share a batch with itself
    for event, state in zip(events, taken, strict=True):
        if state in VOID_STATES:
            log.info("void claim event skipped", claim_id=event.claim_id, state=state)
        else:
            live.setdefault(event.claim_id, event)
    if not live:
        return []
    unique = list(live.values())
    kid, key = keyring.active_key_id, keyring.active_key
    rows = [
        voucher_row(
            e, kid, sign_code(VoucherPayload(kid, e.campaign_number, e.serial, e.valid_until), key)
        )
        for e in unique
    ]
    # The code PostgreSQL kept is the voucher's: a replay after a key rotation keeps the first.
    stored = dict(await vouchers.upsert_vouchers(rows))
    await settlement.activate_many(
        [
            Activation(
                e.campaign_id,
                e.claim_id,
                e.serial,
                e.face_value_fen,
                e.valid_until,
                e.stored_value,
                code_digest(stored[e.claim_id]) if e.claim_id in stored else "",
                e.station_id,
            )
            for e in unique
        ]
    )
    now_ms = int(time.time() * 1000)
    for e in unique:
        log.debug("voucher issued", request_id=e.request_id, claim_id=e.claim_id)
        VOUCHERS_ISSUED.labels(e.campaign_id).inc()
        ISSUE_LAG.observe(max(0.0, (now_ms - e.admitted_at_ms) / 1000))
    return [
        VoucherIssued(
            claim_id=e.claim_id,
            campaign_id=e.campaign_id,
            serial=e.serial,
            worker_id=e.worker_id,
            key_id=kid,
            face_value_fen=e.face_value_fen,
            valid_until=e.valid_until,
            issued_at_ms=now_ms,
        )
        for e in unique
    ]
