"""Settling decisions in memory, by confirm.lua's, take.lua's and activate.lua's rules
(Settlement)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.adapters.memory.live_state import LiveCampaign, LiveState, PartitionMarks
from engine.domain.live_records import (
    MISSING,
    ClaimRecord,
    DecisionRecord,
    RedemptionRecord,
    ReversalRecord,
    VoucherState,
)
from engine.domain.settlement import (
    UNAPPLIED_STATES,
    Activation,
    ClaimInFlight,
    Decision,
    InFlight,
    RedemptionInFlight,
    ReversalInFlight,
)
from engine.events import LogPosition


class MemorySettlement:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def confirm(self, decision: Decision, serial: int) -> str:
        record = self._record(decision)
        if not record.exists:
            return MISSING
        if record.serial != serial:
            return "stale"
        self.live.unsettled.pop(decision, None)
        if record.state == "pending":
            self._put(decision, replace(record, state="acked"))
            return "acked"
        return record.state

    def confirm_soon(self, decision: Decision, serial: int, at: LogPosition | None = None) -> None:
        """At once here: the Redis adapter confirms within a round trip, in the background."""
        record = self._record(decision)
        if record.exists and record.serial == serial:
            self.live.unsettled.pop(decision, None)
            if record.state == "pending":
                self._put(decision, replace(record, state="acked"))
        if at is not None:
            marks = self.live.fences.setdefault(at.topic, {}).setdefault(
                at.partition, PartitionMarks()
            )
            marks.acked = max(marks.acked, at.offset + 1)

    async def take_many(self, decisions: Sequence[tuple[Decision, int]]) -> list[str]:
        states = []
        for d, serial in decisions:
            record = self._record(d)
            if not record.exists:
                states.append(MISSING)
            elif record.serial != serial:
                states.append("stale")
            elif record.state in ("pending", "acked"):
                self.live.unsettled.pop(d, None)
                self._put(d, replace(record, state="taken"))
                states.append("taken")
            else:
                states.append(record.state)
        return states

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        done = []
        for v in vouchers:
            campaign = self.live.campaigns[v.campaign_id]
            claims = campaign.state.claims
            held = claims.get(v.claim_id, ClaimRecord(MISSING))
            claims[v.claim_id] = replace(held, state="issued")
            if v.serial in campaign.state.vouchers:
                done.append(0)
                continue
            place = campaign.state.stations.get(v.station_id) if v.station_id else None
            slot = place.slot if place else None
            campaign.state.vouchers[v.serial] = VoucherState(
                "issued",
                v.claim_id,
                v.face_value_fen,
                v.face_value_fen,
                v.expires_at,
                v.stored_value,
                v.code_digest,
                station_id=slot.store_id if slot else v.station_id,
                check_in_from_ms=slot.check_in_from_ms if slot else 0,
            )
            campaign.state.counters.issued += 1
            done.append(1)
        return done

    async def unsettled_before(
        self, campaign_id: str, cutoff_ms: int, limit: int = 1000
    ) -> list[Decision]:
        found = sorted(
            (at, d) for d, at in self.live.unsettled.items() if d.campaign_id == campaign_id
        )
        return [d for at, d in found if at <= cutoff_ms][:limit]

    async def forget_unsettled(self, decision: Decision) -> None:
        self.live.unsettled.pop(decision, None)

    async def record(self, decision: Decision) -> DecisionRecord:
        return self._record(decision)

    async def in_flight(self, campaign_ids: Sequence[str]) -> list[InFlight]:
        """Every decision of these campaigns not applied yet: what a lost log carried."""
        found: list[InFlight] = []
        for campaign_id in campaign_ids:
            campaign = self.live.live(campaign_id)
            if campaign is not None:
                found += _in_flight(campaign_id, campaign)
        return found

    async def drain(self) -> None:
        return None

    def _record(self, decision: Decision) -> DecisionRecord:
        campaign = self.live.live(decision.campaign_id)
        if campaign is None:
            return _MISSING[decision.kind]
        table = _table(campaign, decision)
        return table.get(decision.decision_id) or _MISSING[decision.kind]

    def _put(self, decision: Decision, record: DecisionRecord) -> None:
        _table(self.live.campaigns[decision.campaign_id], decision)[decision.decision_id] = record


_MISSING: dict[str, DecisionRecord] = {
    "claim": ClaimRecord(MISSING),
    "redemption": RedemptionRecord(MISSING),
    "reversal": ReversalRecord(MISSING),
}


def _table(campaign: LiveCampaign, decision: Decision) -> dict[str, DecisionRecord]:
    state = campaign.state
    tables = {"claim": state.claims, "redemption": state.redemptions, "reversal": state.reversals}
    return tables[decision.kind]  # type: ignore[return-value]


def _in_flight(campaign_id: str, campaign: LiveCampaign) -> list[InFlight]:
    state, found = campaign.state, list[InFlight]()
    for claim_id, c in state.claims.items():
        if c.state in UNAPPLIED_STATES:
            version = campaign.claim_version.get(claim_id, 0)
            found.append(
                ClaimInFlight(
                    campaign_id,
                    claim_id,
                    c.serial,
                    c.worker_id,
                    c.face_value_fen,
                    c.admitted_at_ms,
                    c.partner_code,
                    version,
                    c.station_id,
                    campaign.claim_valid_until.get(claim_id, 0),
                )
            )
    for rid, r in state.redemptions.items():
        if r.state in UNAPPLIED_STATES:
            found.append(
                RedemptionInFlight(
                    campaign_id,
                    rid,
                    r.serial,
                    r.merchant_id,
                    r.at_ms,
                    r.amount_fen,
                    r.balance_fen,
                    r.face_value_fen,
                    r.store_id,
                    r.terminal_id,
                    r.order_fen,
                )
            )
    for vid, v in state.reversals.items():
        if v.state in UNAPPLIED_STATES:
            found.append(
                ReversalInFlight(
                    campaign_id,
                    vid,
                    v.redemption_id,
                    v.serial,
                    v.merchant_id,
                    v.at_ms,
                    v.amount_fen,
                )
            )
    return found
