"""Events on the log, declared once; mirrored by the JSON Schemas in schemas/events/.

The API produces them with aiokafka and the stream workers consume them with
faust, so both sides share these records.
"""

from __future__ import annotations

import faust

CLAIM_ADMITTED = "claim.admitted"
VOUCHER_ISSUED = "voucher.issued"
VOUCHER_REDEEMED = "voucher.redeemed"


class Event(faust.Record, abstract=True, serializer="json", include_metadata=False):
    pass


class ClaimAdmitted(Event):
    claim_id: str
    campaign_id: str
    campaign_number: int
    serial: int
    worker_id: str
    face_value_fen: int
    valid_until: int  # unix seconds
    admitted_at_ms: int
    request_id: str = ""


class VoucherIssued(Event):
    claim_id: str
    campaign_id: str
    serial: int
    worker_id: str
    key_id: int
    face_value_fen: int
    valid_until: int
    issued_at_ms: int


class VoucherRedeemed(Event):
    redemption_id: str
    campaign_id: str
    serial: int
    merchant_id: str
    face_value_fen: int
    redeemed_at_ms: int
    request_id: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    CLAIM_ADMITTED: ClaimAdmitted,
    VOUCHER_ISSUED: VoucherIssued,
    VOUCHER_REDEEMED: VoucherRedeemed,
}
