"""Ports of the live state beside the decisions: figures, definitions, rebuild."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from engine.domain.admission import ClaimCancel
from engine.domain.campaigns import Campaign
from engine.domain.cap_rebuild import CapState
from engine.domain.live_records import SlotTerms, StationStock
from engine.domain.profiles import WorkerProfile
from engine.domain.rebuild import CampaignState
from engine.domain.stock import Counters
from engine.domain.windows import WindowCount


class LiveFigures(Protocol):
    """Live counters, rates, windows and refusals for operations."""

    async def counters(self, campaign_id: str) -> Counters | None:
        """The campaign's live counters (None: Redis holds no state for it)."""

    async def wave_admitted(self, campaign_id: str, wave: int) -> int: ...
    async def pool_size(self, campaign_id: str) -> int: ...
    async def admission_buckets(self, campaign_id: str, now_ms: int) -> dict[int, tuple[int, int]]:
        """Admissions and fen per second over this minute and the one before."""

    async def redemptions_last_second(self, campaign_id: str, now_ms: int) -> int: ...
    async def windows(self, campaign_id: str, kind: str, size: str) -> dict[int, int]: ...
    async def count_windows(self, counts: Sequence[WindowCount], epoch: int) -> int:
        """Count events in their campaigns' windows, each once; how many were new."""

    def count_refusal_soon(self, campaign_id: str, reason: str) -> None: ...
    async def refusal_counts(self, campaign_id: str) -> dict[str, int]: ...
    async def drain(self) -> None: ...


class LiveDefinitions(Protocol):
    """What the decisions read: definitions, enrolments, pools, profiles; revocation and expiry."""

    async def init_campaign(self, campaign: Campaign) -> None:
        """Write the definition (every call) and the counters (first call only)."""

    async def set_status(self, campaign_id: str, status: str) -> None: ...
    async def enrol(self, campaign_id: str, merchant_id: str) -> None: ...
    async def unenrol(self, campaign_id: str, merchant_id: str) -> None: ...
    async def add_to_pool(self, campaign_id: str, codes: Sequence[str]) -> None: ...
    async def cache_profiles(self, profiles: Sequence[WorkerProfile]) -> None: ...
    async def cached_profile(self, worker_id: str) -> WorkerProfile | None: ...
    async def revoke(self, campaign_id: str, serial: int, reason: str) -> None:
        """Stop a voucher that still has value; Conflict when it has none to stop."""

    async def expire_many(self, vouchers: Sequence[tuple[str, int]]) -> list[int]:
        """Expire (campaign id, serial) vouchers; 1 where this call reclaimed the stock."""


class LiveRebuild(Protocol):
    """A campaign's and a cap group's live state, read for comparison and written after a loss."""

    async def has_state(self, campaign_id: str) -> bool:
        """A campaign is live in Redis once its definition (status) is there: written last."""

    async def read_state(self, campaign_id: str, expected: CampaignState) -> CampaignState:
        """Redis's view of everything `expected` names (records it lacks come back empty)."""

    async def write_state(self, campaign: Campaign, state: CampaignState) -> None:
        """Records first, then counters and definition in one transaction: the campaign answers again only when everything it needs is back."""

    async def read_cap(self, group_id: str, expected: CapState) -> CapState:
        """Redis's view of a cap group in the expected period, and of the expected claims."""

    async def write_cap(self, group_id: str, state: CapState, ttl_s: int) -> None:
        """Reservations first, then the spending in one step; both expire with the period."""


class KeyCache(Protocol):
    """Merchant API keys' identities beside the decisions; tombstones for revoked keys."""

    async def lookup(self, api_key: str, window_s: int, allowed: int) -> tuple[str | None, int]:
        """(The cached value for a presented key: an identity, the tombstone, or None;
        seconds to wait when the key's requests are over `allowed` per window, else 0).
        A cached, unrevoked key's request is counted."""

    async def remember(self, api_key: str, value: str, ttl_s: int) -> None:
        """Cache a value unless the key already has one (never over a tombstone)."""

    async def revoke(self, digest: bytes, ttl_s: int) -> None:
        """Put the tombstone, whatever was cached."""


class LogMarks(Protocol):
    """Where the log's fences stand, beside the decisions (engine/usecases/log_watch.py)."""

    async def passed(self, topic: str, marks: Sequence[tuple[int, int]]) -> None:
        """The topic's consumer passed these fences: (partition, placing time ms)."""

    async def consumed(self, topic: str, offsets: Sequence[tuple[int, int]]) -> None:
        """The topic's consumer committed up to these (partition, next offset)."""

    async def watermark(self, topic: str, partitions: Sequence[int]) -> int:
        """The placing time (ms) of a fence every partition has both registered and passed;
        0 while one has none."""

    async def placed(
        self, holder: str, fences: Mapping[str, Sequence[tuple[int, int, int, int]]], when: str
    ) -> list[str]:
        """One tick's fences, topic -> (partition, offset, placing time ms, the highest
        offset seen there before it was placed), registered in one step with the lost flag
        while `holder` still holds the fence lock: the topics whose offset went back (the
        log was lost)."""

    async def epoch(self) -> int:
        """How many times a lost log was found: offsets are new in each epoch."""

    async def placed_offsets(self, topic: str) -> dict[int, int]:
        """Partition -> the offset of the latest fence placed there."""

    async def seen_offsets(self, topic: str) -> dict[int, int]:
        """Partition -> the highest offset the log was seen to reach there: a fence placed,
        an issuer's commit, an event acknowledged to the API."""

    async def lost(self) -> str | None: ...
    async def redriven(self, why: str) -> None: ...
    async def lock(self, holder: str, ttl_s: int) -> bool: ...
    async def unlock(self, holder: str) -> None: ...


class StationStocks(Protocol):
    """A campaign's places: a pick-up campaign's packs per station, a booking campaign's
    places per slot; admit.lua takes one with each claim."""

    async def add_stations(self, campaign_id: str, stock: Mapping[str, int]) -> int:
        """Give new stations their stock (known ones keep theirs); how many were new."""

    async def move_stock(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        """Move packs once per move id (True now, False when moved before); Conflict when
        the source has fewer left, ValidationFailed for a station not in the campaign."""

    async def close_station(self, campaign_id: str, station_id: str) -> None: ...

    async def choose_station(
        self, campaign_id: str, claim_id: str, serial: int, station_id: str
    ) -> bool:
        """A pack's station, chosen once, its stock taken: True now, False when chosen
        before; Conflict for another chosen before, NotYetIssued, or the station's refusal."""

    async def station_stock(self, campaign_id: str) -> dict[str, StationStock]: ...

    async def add_slots(self, campaign_id: str, places: Mapping[str, tuple[int, SlotTerms]]) -> int:
        """Give new slots their places and terms (known ones keep theirs); how many were new."""

    async def cancel_claim(self, cancel: ClaimCancel) -> bool:
        """Revoke a booking's voucher and give back its place and everything its admission
        counted: True now, False when cancelled before. NotFound (not this worker's),
        AlreadyRedeemed (checked in), Expired, Revoked (by operations)."""
