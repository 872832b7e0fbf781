"""Issuance: claim.admitted -> a signed voucher in the records and made redeemable ->
voucher.issued. The stream worker's issuer (engine/stream/issuer.py) runs it on each batch
from the log."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

import structlog

from engine.domain.clock import utc_from_ms
from engine.domain.codes import (
    VoucherPayload,
    b32encode,
    code_digest,
    raw_code_digest,
    signed_code,
)
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
    kid = keyring.active_key_id
    signed = _signed_codes(unique, keyring)
    codes = {claim_id: b32encode(raw) for claim_id, raw in signed.items()}
    rows = [voucher_row(e, kid, codes[e.claim_id]) for e in unique]
    # The code PostgreSQL kept is the voucher's: a replay after a key rotation keeps the first.
    stored = dict(await vouchers.upsert_vouchers(rows))
    digests = {
        claim_id: raw_code_digest(signed[claim_id])
        if kept == codes[claim_id]
        else code_digest(kept)
        for claim_id, kept in stored.items()
    }
    await settlement.activate_many([_activation(e, digests.get(e.claim_id, "")) for e in unique])
    now_ms = int(time.time() * 1000)
    _count_issued(unique, now_ms)
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


def _activation(event: ClaimAdmitted, digest: str) -> Activation:
    return Activation(
        event.campaign_id,
        event.claim_id,
        event.serial,
        event.face_value_fen,
        event.valid_until,
        event.stored_value,
        digest,
        event.station_id,
    )


def _signed_codes(events: Sequence[ClaimAdmitted], keyring: Keyring) -> dict[str, bytes]:
    """Each claim's code, as bytes, signed with the ring's active key."""
    kid, key = keyring.active_key_id, keyring.active_key
    return {
        e.claim_id: signed_code(
            VoucherPayload(kid, e.campaign_number, e.serial, e.valid_until), key
        )
        for e in events
    }


def _count_issued(events: Sequence[ClaimAdmitted], now_ms: int) -> None:
    for e in events:
        log.debug("voucher issued", request_id=e.request_id, claim_id=e.claim_id)
        ISSUE_LAG.observe(max(0.0, (now_ms - e.admitted_at_ms) / 1000))
    # One increment per campaign and batch: a labelled counter's lookup costs more than
    # the addition.
    for campaign_id, issued in Counter(e.campaign_id for e in events).items():
        VOUCHERS_ISSUED.labels(campaign_id).inc(issued)
