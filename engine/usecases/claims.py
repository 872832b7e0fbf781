"""A worker claims a voucher, and reads back claims and vouchers."""

from __future__ import annotations

import time
from dataclasses import dataclass

from engine import keys
from engine.adapters.kafka import EventProducer
from engine.adapters.postgres import Database
from engine.adapters.redis_store import RedisStore
from engine.domain.admission import (
    Admission,
    campaign_of_claim,
    claim_id_for,
    interpret_admission,
)
from engine.domain.tokens import WorkerIdentity
from engine.errors import NotFound
from engine.events import CLAIM_ADMITTED, ClaimAdmitted
from engine.usecases.acknowledge import make_durable, until_settled


@dataclass(frozen=True, slots=True)
class ClaimAnswer:
    claim_id: str
    status: str = "admitted"


class Claims:
    def __init__(
        self, store: RedisStore, producer: EventProducer, db: Database, wait_s: float
    ) -> None:
        self.store, self.producer, self.db, self.wait_s = store, producer, db, wait_s

    async def claim(
        self, campaign_id: str, who: WorkerIdentity, idempotency_key: str, request_id: str = ""
    ) -> ClaimAnswer:
        claim_id = claim_id_for(campaign_id, who.worker_id, idempotency_key)

        async def attempt() -> Admission:
            reply = await self.store.admit(campaign_id, claim_id, who.worker_id, who.category)
            return interpret_admission(reply)

        admission = await until_settled(
            attempt, lambda a: "new" if a.is_new else a.state, self.wait_s
        )
        if admission.is_new:
            await self._make_durable(campaign_id, claim_id, who, admission, request_id)
        return ClaimAnswer(claim_id)

    async def _make_durable(
        self, campaign_id: str, claim_id: str, who: WorkerIdentity, a: Admission, request_id: str
    ) -> None:
        event = ClaimAdmitted(
            claim_id=claim_id,
            campaign_id=campaign_id,
            campaign_number=a.campaign_number,
            serial=a.serial,
            worker_id=who.worker_id,
            face_value_fen=a.face_value_fen,
            valid_until=a.valid_until,
            admitted_at_ms=int(time.time() * 1000),
            request_id=request_id,
        )
        await make_durable(
            publish=lambda: self.producer.publish(CLAIM_ADMITTED, claim_id, event),
            confirm=lambda: self.store.confirm_soon(keys.claim(campaign_id, claim_id), a.serial),
            release=lambda: self.store.release_claim(
                campaign_id, claim_id, who.worker_id, a.serial
            ),
        )

    async def get(self, claim_id: str, who: WorkerIdentity) -> dict:
        """A worker sees only their own claims; anyone else's look like missing ones."""
        campaign_id = campaign_of_claim(claim_id)
        record = await self.store.claim_record(campaign_id, claim_id)
        if record.get("worker") == who.worker_id and record.get("state") in ("acked", "taken"):
            return {"claim_id": claim_id, "status": "admitted", "voucher": None}
        return await self._from_database(claim_id, who)

    async def _from_database(self, claim_id: str, who: WorkerIdentity) -> dict:
        row = await self.db.voucher_by_claim(claim_id)
        if row is None or row["worker_id"] != who.worker_id:
            raise NotFound("No such claim")
        return {"claim_id": claim_id, "status": "issued", "voucher": voucher_view(row)}

    async def vouchers_of(self, who: WorkerIdentity) -> list[dict]:
        return [voucher_view(r) for r in await self.db.vouchers_of_worker(who.worker_id)]


def voucher_view(row) -> dict:
    return {
        "claim_id": row["claim_id"],
        "campaign_id": row["campaign_id"],
        "serial": row["serial"],
        "code": row["code"],
        "face_value_fen": row["face_value_fen"],
        "valid_until": row["valid_until"].isoformat(),
        "issued_at": row["issued_at"].isoformat(),
        "status": "redeemed" if row["redeemed"] else "issued",
    }
