"""The live state beside the decisions, in memory: definitions, figures, rebuild
(LiveDefinitions, LiveFigures, LiveRebuild)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import replace

from engine.adapters.memory.live_state import LiveCampaign, LiveState
from engine.domain.campaigns import Campaign, Status
from engine.domain.cap_rebuild import CapState
from engine.domain.profiles import WorkerProfile
from engine.domain.rebuild import CampaignState
from engine.domain.stock import Counters
from engine.domain.windows import WindowCount
from engine.errors import Conflict

_UNREVOKABLE = {
    "redeemed": "the voucher is fully redeemed",
    "expired": "the voucher has expired",
}


class MemoryDefinitions:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def init_campaign(self, definition: Campaign) -> None:
        """Write the definition (every call) and the counters (first call only)."""
        campaign = self.live.campaigns.setdefault(definition.id, LiveCampaign(definition))
        campaign.definition = definition
        campaign.merchants |= set(definition.merchants)

    async def set_status(self, campaign_id: str, status: str) -> None:
        campaign = self.live.campaigns[campaign_id]
        campaign.definition = replace(campaign.definition, status=Status(status))

    async def enrol(self, campaign_id: str, merchant_id: str) -> None:
        self.live.campaigns[campaign_id].merchants.add(merchant_id)

    async def unenrol(self, campaign_id: str, merchant_id: str) -> None:
        self.live.campaigns[campaign_id].merchants.discard(merchant_id)

    async def add_to_pool(self, campaign_id: str, codes: Sequence[str]) -> None:
        self.live.campaigns[campaign_id].pool |= set(codes)

    async def cache_profiles(self, profiles: Sequence[WorkerProfile]) -> None:
        for profile in profiles:
            self.live.profiles[profile.worker_id] = profile

    async def cached_profile(self, worker_id: str) -> WorkerProfile | None:
        return self.live.profiles.get(worker_id)

    async def revoke(self, campaign_id: str, serial: int, reason: str) -> None:
        """Stop a voucher that still has value; Conflict when it has none to stop."""
        campaign = self.live.live(campaign_id)
        voucher = campaign.state.vouchers.get(serial) if campaign else None
        if campaign is None or voucher is None:
            raise Conflict("cannot revoke: the voucher is not issued yet")
        if voucher.status in _UNREVOKABLE:
            raise Conflict(f"cannot revoke: {_UNREVOKABLE[voucher.status]}")
        if voucher.status != "revoked":
            revoked = replace(voucher, status="revoked", revoked_reason=reason)
            campaign.state.vouchers[serial] = revoked
            campaign.state.counters.revoked += 1

    async def expire_many(self, vouchers: Sequence[tuple[str, int]]) -> list[int]:
        """Expire (campaign id, serial) vouchers; 1 where this call reclaimed the stock."""
        done = []
        for campaign_id, serial in vouchers:
            campaign = self.live.live(campaign_id)
            voucher = campaign.state.vouchers.get(serial) if campaign else None
            if campaign is None or voucher is None or voucher.status != "issued":
                done.append(0)
                continue
            campaign.state.vouchers[serial] = replace(voucher, status="expired")
            campaign.state.counters.expired += 1
            campaign.state.counters.reclaimed += 1
            done.append(1)
        return done


class MemoryFigures:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def counters(self, campaign_id: str) -> Counters | None:
        campaign = self.live.live(campaign_id)
        if campaign is None:
            return None
        totals = campaign.state.counters.totals()
        return Counters(**{name: totals[name] for name in Counters.__dataclass_fields__})

    async def wave_admitted(self, campaign_id: str, wave: int) -> int:
        campaign = self.live.live(campaign_id)
        return campaign.state.counters.wave_admitted.get(wave, 0) if campaign else 0

    async def pool_size(self, campaign_id: str) -> int:
        campaign = self.live.live(campaign_id)
        return len(campaign.pool) if campaign else 0

    async def admission_buckets(self, campaign_id: str, now_ms: int) -> dict[int, tuple[int, int]]:
        """Admissions and fen per second over this minute and the one before."""
        campaign = self.live.live(campaign_id)
        if campaign is None:
            return {}
        first = (now_ms // 60_000 - 1) * 60
        return {
            second: (n, campaign.fen_per_s[second])
            for second, n in campaign.admissions_per_s.items()
            if first <= second < first + 120
        }

    async def redemptions_last_second(self, campaign_id: str, now_ms: int) -> int:
        campaign = self.live.live(campaign_id)
        return campaign.redemptions_per_s[now_ms // 1000 - 1] if campaign else 0

    async def windows(self, campaign_id: str, kind: str, size: str) -> dict[int, int]:
        return dict(self.live.windows.get((campaign_id, kind, size), {}))

    async def count_windows(self, counts: Sequence[WindowCount], epoch: int) -> int:
        """Count events in their campaigns' windows, each once; how many were new."""
        new = 0
        for c in counts:
            spot = (c.campaign_id, c.kind, c.partition)
            last = self.live.last_counted.get(spot)
            if last is not None and last[0] == epoch and last[1] >= c.offset:
                continue
            self.live.last_counted[spot] = (epoch, c.offset)
            for name, start, _ in c.windows():
                window = self.live.windows.setdefault((c.campaign_id, c.kind, name), Counter())
                window[start] += 1
            new += 1
        return new

    def count_refusal_soon(self, campaign_id: str, reason: str) -> None:
        campaign = self.live.live(campaign_id)
        if campaign is not None:
            campaign.refusals[reason] += 1

    async def refusal_counts(self, campaign_id: str) -> dict[str, int]:
        campaign = self.live.live(campaign_id)
        return dict(campaign.refusals) if campaign else {}

    async def drain(self) -> None:
        return None


class MemoryRebuild:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def has_state(self, campaign_id: str) -> bool:
        return campaign_id in self.live.campaigns

    async def read_state(self, campaign_id: str, expected: CampaignState) -> CampaignState:
        """The store's view of everything `expected` names (records it lacks are left out)."""
        campaign = self.live.live(campaign_id)
        actual = CampaignState(period=expected.period)
        if campaign is None:
            return actual
        state = campaign.state
        actual.counters = deepcopy(state.counters)
        actual.per_worker = dict(state.per_worker)
        actual.per_period = dict(campaign.per_period.get(expected.period, {}))
        actual.claims = {i: state.claims[i] for i in expected.claims if i in state.claims}
        actual.vouchers = {s: state.vouchers[s] for s in expected.vouchers if s in state.vouchers}
        actual.redemptions = {
            i: state.redemptions[i] for i in expected.redemptions if i in state.redemptions
        }
        actual.reversals = {
            i: state.reversals[i] for i in expected.reversals if i in state.reversals
        }
        if expected.pool is not None:
            actual.pool = set(campaign.pool)
        if expected.stations:
            actual.stations = dict(state.stations)
        return actual

    async def write_state(self, campaign: Campaign, state: CampaignState) -> None:
        live = self.live.campaigns.setdefault(campaign.id, LiveCampaign(campaign))
        live.definition = campaign
        live.state.claims |= state.claims
        live.state.vouchers |= state.vouchers
        live.state.redemptions |= state.redemptions
        live.state.reversals |= state.reversals
        live.state.counters = deepcopy(state.counters)
        live.state.per_worker = dict(state.per_worker)
        live.per_period = {state.period: dict(state.per_period)}
        if state.pool is not None:
            live.pool = set(state.pool)
        live.state.stations = dict(state.stations)
        live.station_moves = set()
        live.merchants |= set(campaign.merchants)
        for d in [d for d in self.live.unsettled if d.campaign_id == campaign.id]:
            del self.live.unsettled[d]

    async def read_cap(self, group_id: str, expected: CapState) -> CapState:
        spent = self.live.cap_spent.get((group_id, expected.period), {})
        actual = CapState(expected.period, dict(spent))
        for claim_id in expected.reservations:
            held = self.live.cap_reservations.get((group_id, claim_id))
            if held is not None:
                actual.reservations[claim_id] = held
        return actual

    async def write_cap(self, group_id: str, state: CapState, ttl_s: int) -> None:
        for claim_id, reservation in state.reservations.items():
            self.live.cap_reservations[(group_id, claim_id)] = reservation
        self.live.cap_spent[(group_id, state.period)] = dict(state.spent)
