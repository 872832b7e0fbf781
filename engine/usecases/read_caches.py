"""Read-mostly lookups the hot path needs: campaign definitions and worker profiles.

Definitions are cached for a second per process: a changed rule or limit applies
within that second, while a pause applies at once because the admission script
reads the status from Redis on every claim. While PostgreSQL is down, the last
definition a process read keeps serving, so admission (Redis and the log) goes on.
"""

from __future__ import annotations

from typing import Any

from engine.domain.campaigns import Campaign
from engine.domain.profiles import (
    PROFILE_FIELDS,
    WorkerProfile,
    parse_profile,
)
from engine.errors import NotEligible, NotFound, Unavailable
from engine.usecases.ports import CampaignRecords, Clock, LiveDefinitions, WorkerRecords


class Campaigns:
    def __init__(self, records: CampaignRecords, clock: Clock, ttl_s: float = 1.0) -> None:
        self.db, self.clock, self.ttl_s = records, clock, ttl_s
        self._cache: dict[str, tuple[float, Campaign]] = {}

    async def get(self, campaign_id: str) -> Campaign:
        hit = self._cache.get(campaign_id)
        now = self.clock.now().timestamp()
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        try:
            campaign = await self.db.get_campaign(campaign_id)
        except Unavailable:
            if hit is None:
                raise
            return hit[1]
        if campaign is None:
            raise NotFound(f"No campaign {campaign_id}")
        self._cache[campaign_id] = (now, campaign)
        return campaign

    def known(self, campaign_id: str) -> bool:
        """Read from PostgreSQL (and so real) by this process at some time."""
        return campaign_id in self._cache

    def fresh(self, campaign_id: str) -> bool:
        hit = self._cache.get(campaign_id)
        return hit is not None and self.clock.now().timestamp() - hit[0] < self.ttl_s

    def forget(self, campaign_id: str) -> None:
        self._cache.pop(campaign_id, None)


class Profiles:
    """Worker profiles from the Redis cache, filled from PostgreSQL on a miss."""

    def __init__(self, live: LiveDefinitions, records: WorkerRecords) -> None:
        self.live, self.db = live, records

    async def get(self, worker_id: str) -> WorkerProfile:
        cached = await self.live.cached_profile(worker_id)
        return cached if cached is not None else await self.load(worker_id)

    async def load(self, worker_id: str) -> WorkerProfile:
        """From PostgreSQL (NotEligible when there is none), and cached in Redis again."""
        row = await self.db.get_worker(worker_id)
        if row is None:
            raise NotEligible("No profile is on record for this worker", failed_rule="profile")
        profile = parse_profile(worker_id, {"category": row.category, **_known(row.profile)})
        await self.live.cache_profiles([profile])
        return profile


def _known(profile: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in profile.items() if k in PROFILE_FIELDS}
