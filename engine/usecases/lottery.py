"""Lottery campaigns: registration, a published commitment, a re-runnable draw.

Winners receive vouchers through the normal issuance path: each is admitted by
the same script as a claim (with an idempotent claim id per winner), so the
stock and every limit hold, and a repeated draw admits no one twice.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from engine.domain import lottery
from engine.domain.admission import claim_id_for
from engine.domain.audit import Actor, AuditEntry
from engine.domain.campaigns import CLAIMABLE, Campaign
from engine.domain.rules import failed_rule
from engine.domain.tokens import WorkerIdentity
from engine.errors import ClaimWindowClosed, Conflict, NotEligible, ValidationFailed
from engine.usecases.claims import Claimant, Claims
from engine.usecases.ports import AuditLog, Clock, LotteryRecords
from engine.usecases.read_caches import Campaigns, Profiles

DRAW_CLAIM_KEY = "lottery-draw"


class Records(LotteryRecords, AuditLog, Protocol):
    """Registrations, the commitment and the draw, each audited in its transaction."""


class Lotteries:
    def __init__(
        self,
        *,
        records: Records,
        campaigns: Campaigns,
        profiles: Profiles,
        claims: Claims,
        clock: Clock,
    ) -> None:
        self.db, self.campaigns, self.profiles = records, campaigns, profiles
        self.claims, self.clock = claims, clock

    async def _lottery(self, campaign_id: str) -> Campaign:
        campaign = await self.campaigns.get(campaign_id)
        if campaign.lottery is None:
            raise ValidationFailed("this campaign is not a lottery")
        return campaign

    async def register(self, campaign_id: str, who: WorkerIdentity) -> str:
        """Enter the draw (idempotent); the worker's entry as the lottery will publish it."""
        campaign = await self._lottery(campaign_id)
        now = self.clock.now()
        if campaign.status not in CLAIMABLE or not (
            campaign.claim_opens_at <= now < campaign.claim_closes_at
        ):
            raise ClaimWindowClosed("Registration is not open")
        profile = await self.profiles.get(who.worker_id)
        if profile.category not in campaign.eligible_categories:
            raise NotEligible("The worker's category is not eligible", failed_rule="category")
        if campaign.rules:
            rule = failed_rule(campaign.rules, profile)
            if rule is not None:
                raise NotEligible(f"Rule not met: {rule.describe()}", failed_rule=rule.as_dict())
        salt = await self.db.register_for_lottery(campaign_id, who.worker_id, lottery.new_salt())
        return lottery.entry(salt, who.worker_id)

    async def _entries(self, campaign_id: str) -> dict[str, str]:
        """Entry -> worker id of every registrant."""
        registrants = await self.db.lottery_registrants(campaign_id)
        return {lottery.entry(salt, worker): worker for worker, salt in registrants}

    async def commit(self, campaign_id: str, by: Actor) -> dict[str, Any]:
        """At registration close: fix the list and publish the seed's commitment."""
        campaign = await self._lottery(campaign_id)
        if self.clock.now() < campaign.claim_closes_at:
            raise Conflict("registration is still open")
        entries = await self._entries(campaign_id)
        seed = secrets.token_bytes(32)
        commitment, digest = lottery.commitment(seed), lottery.registrants_digest(entries)
        facts = {"commitment": commitment, "registrants_digest": digest, "stock": campaign.quota}
        async with self.db.transaction():
            committed = await self.db.insert_lottery_commitment(
                campaign_id,
                commitment,
                digest,
                len(entries),
                campaign.quota,
                seed.hex(),
            )
            if committed:
                entry = AuditEntry.of(by, "lottery.commit", f"campaign:{campaign_id}", after=facts)
                await self.db.insert_audit(entry)
        return await self.published(campaign_id)

    async def draw(
        self,
        campaign_id: str,
        by: Actor,
        progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> dict[str, Any]:
        """Reveal the seed, rank the registrants and admit the winners (idempotent).

        `progress(done, total)` is called as winners are admitted (the CLI's progress bar).
        """
        campaign = await self._lottery(campaign_id)
        assert campaign.lottery is not None  # _lottery refuses other campaigns
        if self.clock.now() < campaign.lottery.draw_at:
            raise Conflict(f"the draw is at {campaign.lottery.draw_at.isoformat()}")
        row = await self.db.get_lottery(campaign_id)
        if row is None or row.seed_hex is None:
            raise Conflict("commit the registrant list first")
        entries = await self._entries(campaign_id)
        if lottery.registrants_digest(entries) != row.registrants_digest:
            raise Conflict("the registrant list changed after the commitment")
        winning = lottery.draw(bytes.fromhex(row.seed_hex), entries, row.stock)
        async with self.db.transaction():
            await self.db.record_lottery_draw(campaign_id, winning)
            facts = {"winners": len(winning), "seed_hex": row.seed_hex}
            target = f"campaign:{campaign_id}"
            await self.db.insert_audit(AuditEntry.of(by, "lottery.draw", target, after=facts))
        winners = [entries[e] for e in winning]
        category = campaign.eligible_categories[0]
        sem = asyncio.Semaphore(32)
        done = 0

        async def admit(worker_id: str) -> None:
            nonlocal done
            async with sem:
                who = Claimant(worker_id, str(category))
                claim_id = claim_id_for(campaign_id, worker_id, DRAW_CLAIM_KEY)
                await self.claims.admit(
                    campaign, claim_id, who, campaign.face_value_fen, via_draw=True
                )
            done += 1
            progress(done, len(winners))

        await asyncio.gather(*(admit(w) for w in winners))
        return await self.published(campaign_id)

    async def published(self, campaign_id: str) -> dict[str, Any]:
        """What anyone may see; the seed only once the draw has happened."""
        await self._lottery(campaign_id)
        row = await self.db.get_lottery(campaign_id)
        if row is None:
            return {"campaign_id": campaign_id, "state": "registering"}
        drawn = row.drawn_at is not None
        return {
            "campaign_id": campaign_id,
            "state": "drawn" if drawn else "committed",
            "commitment": row.commitment,
            "registrants_digest": row.registrants_digest,
            # Salted entries, not worker ids: each worker knows their own entry.
            "registrants": sorted(await self._entries(campaign_id)),
            "stock": row.stock,
            "seed_hex": row.seed_hex if drawn else None,
            "winners": list(row.winners or []) if drawn else None,
        }
