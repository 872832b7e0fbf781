"""What the in-memory decision store holds: one campaign's live state, as Redis holds it.

The records are the domain's own (engine/domain/rebuild.py's CampaignState), so this
store needs no encoding; what Redis keeps beside a record (a claim's wave and version,
a decision's request digest) is kept beside it here too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from engine.domain.admission import CapReservation
from engine.domain.campaigns import Campaign
from engine.domain.live_records import ClaimRecord
from engine.domain.profiles import WorkerProfile
from engine.domain.rebuild import CampaignState
from engine.domain.settlement import Decision
from engine.domain.stations import TO_CHOOSE


@dataclass
class LiveCampaign:
    definition: Campaign
    state: CampaignState = field(default_factory=CampaignState)
    per_period: dict[str, dict[str, int]] = field(default_factory=dict)
    merchants: set[str] = field(default_factory=set)
    pool: set[str] = field(default_factory=set)
    claim_wave: dict[str, int] = field(default_factory=dict)
    claim_version: dict[str, int] = field(default_factory=dict)
    request_digest: dict[str, str] = field(default_factory=dict)  # by decision id
    claim_requests: Counter[tuple[str, int]] = field(default_factory=Counter)  # worker, minute
    admissions_per_s: Counter[int] = field(default_factory=Counter)
    fen_per_s: Counter[int] = field(default_factory=Counter)
    redemptions_per_s: Counter[int] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    station_moves: set[str] = field(default_factory=set)
    claim_valid_until: dict[str, int] = field(default_factory=dict)  # a booking's slot end

    def give_back(self, claim_id: str, record: ClaimRecord, period: str) -> None:
        """Everything an admission counted goes back: the worker's limits, the quota, the
        budget, its wave's count and its place (a release and a cancel alike)."""
        state = self.state
        state.per_worker[record.worker_id] -= 1
        in_period = self.per_period.get(period, {})
        if record.worker_id in in_period:
            in_period[record.worker_id] -= 1
        state.counters.admitted -= 1
        state.counters.spent -= record.face_value_fen
        wave = self.claim_wave.get(claim_id, 0)
        if wave:
            state.counters.wave_admitted[wave] -= 1
        if record.station_id and record.station_id != TO_CHOOSE:
            stock = state.stations[record.station_id]
            state.stations[record.station_id] = replace(stock, left=stock.left + 1)


@dataclass
class PartitionMarks:
    """Where one partition of the log stands: the latest fence placed (offset, placing
    time ms), and the highest offsets an issuer committed and the API saw acknowledged."""

    offset: int = 0
    at: int = 0
    consumed: int = 0
    acked: int = 0


@dataclass
class LiveState:
    """Every campaign's live state, the cap groups' spending, the profiles' cache and the
    decisions not settled yet (Decision -> when it was made, ms)."""

    campaigns: dict[str, LiveCampaign] = field(default_factory=dict)
    unsettled: dict[Decision, int] = field(default_factory=dict)
    profiles: dict[str, WorkerProfile] = field(default_factory=dict)
    cap_spent: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    cap_reservations: dict[tuple[str, str], CapReservation] = field(default_factory=dict)
    cap_unsettled: dict[tuple[str, str], int] = field(default_factory=dict)
    fences: dict[str, dict[int, PartitionMarks]] = field(default_factory=dict)  # by topic
    passed: dict[str, dict[int, int]] = field(default_factory=dict)  # topic, partition: at ms
    # (campaign, kind, size) -> window start (unix s) -> events counted in it
    windows: dict[tuple[str, str, str], Counter[int]] = field(default_factory=dict)
    # (campaign, kind, partition) -> (epoch, offset) of the last event counted there
    last_counted: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    lost: str | None = None
    epoch: int = 0
    fence_lock: str | None = None

    def live(self, campaign_id: str) -> LiveCampaign | None:
        """The campaign's state once its definition is there (None: lost or never set)."""
        return self.campaigns.get(campaign_id)
