"""Lottery registrations, the published commitment and the draw."""

from __future__ import annotations

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.lottery import LotteryDraw


@translated
class LotteryRecords(Queries):
    async def register_for_lottery(self, campaign_id: str, worker_id: str, salt: str) -> str:
        """The registration's salt (the first one, if the worker registered before)."""
        return await self.db().fetchval(
            self.q["register_for_lottery"], campaign_id, worker_id, salt
        )

    async def lottery_salt(self, campaign_id: str, worker_id: str) -> str | None:
        salt: str | None = await self.db().fetchval(self.q["lottery_salt"], campaign_id, worker_id)
        return salt

    async def lottery_registrants(self, campaign_id: str) -> list[tuple[str, str]]:
        """(worker id, salt) of every registrant."""
        rows = await self.db().fetch(self.q["lottery_registrants"], campaign_id)
        return [(r["worker_id"], r["salt"]) for r in rows]

    async def insert_lottery_commitment(
        self, campaign_id: str, commitment: str, digest: str, count: int, stock: int, seed_hex: str
    ) -> bool:
        """False when the campaign's list was committed before (the first one stands)."""
        inserted = await self.db().fetchval(
            self.q["insert_lottery_commitment"],
            campaign_id,
            commitment,
            digest,
            count,
            stock,
            seed_hex,
        )
        return inserted is not None

    async def record_lottery_draw(self, campaign_id: str, winners: list[str]) -> None:
        await self.db().execute(self.q["record_lottery_draw"], campaign_id, winners)

    async def get_lottery(self, campaign_id: str) -> LotteryDraw | None:
        row = await self.db().fetchrow(self.q["get_lottery"], campaign_id)
        return None if row is None else LotteryDraw(**dict(row))
