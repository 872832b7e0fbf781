"""Settling decisions: confirmed once the broker acknowledged them, taken by the stream
worker that applies their event, and found again when an API process left them behind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from engine.adapters.failures import translated
from engine.adapters.redis import keys, records
from engine.adapters.redis.background import BackgroundBatch
from engine.adapters.redis.connection import Arg, Client, Run, Scripts, text, texts
from engine.domain.live_records import DecisionRecord
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

_KEY_OF = {"claim": keys.claim, "redemption": keys.redemption, "reversal": keys.reversal}
_DECODE: dict[str, Callable[[dict[str, str]], DecisionRecord]] = {
    "claim": records.claim_record,
    "redemption": records.redemption_record,
    "reversal": records.reversal_record,
}


T = TypeVar("T")


def _key(decision: Decision) -> str:
    return _KEY_OF[decision.kind](decision.campaign_id, decision.decision_id)


def _settling(decision: Decision) -> list[str]:
    """Keys of a script that settles a record: the record and its campaign's unsettled set."""
    return [_key(decision), keys.unsettled(decision.campaign_id)]


def _by_campaign(campaign_ids: Sequence[str]) -> dict[str, list[int]]:
    """Where each campaign's items are in a batch: a script run touches one campaign's
    keys (one hash slot in a cluster)."""
    groups: dict[str, list[int]] = {}
    for at, campaign_id in enumerate(campaign_ids):
        groups.setdefault(campaign_id, []).append(at)
    return groups


def _in_order(
    groups: dict[str, list[int]], replies: Sequence[Any], decode: Callable[[Any], T]
) -> list[T]:
    """The per-campaign runs' replies back in the batch's order."""
    found: dict[int, T] = {}
    for at, reply in zip(groups.values(), replies, strict=True):
        found.update((i, decode(item)) for i, item in zip(at, reply, strict=True))
    return [found[i] for i in range(len(found))]


@translated
class RedisSettlement:
    def __init__(
        self,
        client: Client,
        scripts: Scripts,
        confirm_retry_s: float = 0.0,
        confirm_delay_s: float = 0.0,
    ) -> None:
        """`confirm_retry_s`: how long a confirmation Redis refused is tried again;
        `confirm_delay_s`: how long confirmations gather before one round trip."""
        self.client, self.scripts = client, scripts
        # The answer need not wait for its confirmation. One that never lands leaves an
        # acknowledged record 'pending': it is then settled by the stream worker that
        # takes its event, never released while the log holds that event (log_watch.py).
        self.confirms: BackgroundBatch[tuple[Decision, int, LogPosition | None]] = BackgroundBatch(
            "confirm batch",
            self._confirm_batch,
            delay_s=confirm_delay_s,
            retry_for_s=confirm_retry_s,
        )

    async def confirm(self, decision: Decision, serial: int) -> str:
        return text(await self.scripts.run("confirm", _settling(decision), [serial]))

    def confirm_soon(self, decision: Decision, serial: int, at: LogPosition | None = None) -> None:
        """Confirm in the background, many per round trip; `at`: where the log put the
        decision's event (the highest such offsets tell a log that lost them)."""
        self.confirms.add((decision, serial, at))

    async def _confirm_batch(self, batch: list[tuple[Decision, int, LogPosition | None]]) -> None:
        runs: list[Run] = [(_settling(d), [serial]) for d, serial, _ in batch]
        await self.scripts.run_many("confirm", runs)
        highest: dict[tuple[str, int], int] = {}
        for _, _, at in batch:
            if at is not None:
                spot = (at.topic, at.partition)
                highest[spot] = max(highest.get(spot, -1), at.offset)
        for topic in {topic for topic, _ in highest}:
            marks = [
                x for (t, p), o in highest.items() if t == topic for x in (f"{p}:acked", o + 1)
            ]
            await self.scripts.run("raise_marks", [keys.fences_placed(topic)], marks)

    async def take_many(self, decisions: Sequence[tuple[Decision, int]]) -> list[str]:
        """Take the decisions behind a batch of events, one run per campaign, all in one
        round trip; their states, in order."""
        groups = _by_campaign([d.campaign_id for d, _ in decisions])
        runs: list[Run] = [
            (
                [keys.unsettled(campaign_id), *(_key(decisions[i][0]) for i in at)],
                [decisions[i][1] for i in at],
            )
            for campaign_id, at in groups.items()
        ]
        return _in_order(groups, await self.scripts.run_many("take", runs), text)

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        """Make issued vouchers redeemable, one run per campaign; 1 where this call did
        (0: a replay), in order."""
        groups = _by_campaign([v.campaign_id for v in vouchers])
        runs: list[Run] = []
        for campaign_id, at in groups.items():
            ks = [keys.campaign(campaign_id), keys.stations(campaign_id)]
            args: list[Arg] = []
            for v in (vouchers[i] for i in at):
                ks += [keys.claim(campaign_id, v.claim_id), keys.voucher(campaign_id, v.serial)]
                args += [v.claim_id, v.face_value_fen, v.expires_at, int(v.stored_value)]
                args += [v.code_digest, v.station_id]
            runs.append((ks, args))
        return _in_order(groups, await self.scripts.run_many("activate", runs), int)

    async def unsettled_before(
        self, campaign_id: str, cutoff_ms: int, limit: int = 1000
    ) -> list[Decision]:
        raw = await self.client.zrangebyscore(
            keys.unsettled(campaign_id), "-inf", cutoff_ms, start=0, num=limit
        )
        found = []
        for record_key in raw:
            kind, decision_id = keys.record_of(text(record_key))
            if kind in _KEY_OF:
                found.append(Decision(kind, campaign_id, decision_id))  # type: ignore[arg-type]
        return found

    async def forget_unsettled(self, decision: Decision) -> None:
        await self.client.zrem(keys.unsettled(decision.campaign_id), _key(decision))

    async def record(self, decision: Decision) -> DecisionRecord:
        return _DECODE[decision.kind](texts(await self.client.hgetall(_key(decision))))

    async def in_flight(self, campaign_ids: Sequence[str]) -> list[InFlight]:
        """Every decision of these campaigns not applied yet (pending, acked or taken):
        what the log must carry again after it was lost. Found by scanning the keys once
        for all of them (a scan per campaign and kind would read the whole key space as
        many times), for an event as rare as a lost log."""
        wanted = set(campaign_ids)
        found: list[InFlight] = []
        records = []
        async for name in self.client.scan_iter(match=keys.RECORDS, count=1000, _type="hash"):
            record_key = text(name)
            campaign_id, kind, decision_id = keys.record_parts(record_key)
            if campaign_id in wanted and kind in _KEY_OF:
                records.append((record_key, campaign_id, kind, decision_id))
        for start in range(0, len(records), 1000):
            chunk = records[start : start + 1000]
            async with self.client.pipeline(transaction=False) as pipe:
                for record_key, *_ in chunk:
                    pipe.hgetall(record_key)
                raw = await pipe.execute()
            for (_, campaign_id, kind, decision_id), fields in zip(chunk, raw, strict=True):
                record = texts(fields)
                if record.get("state") in UNAPPLIED_STATES:
                    found.append(_in_flight(kind, campaign_id, decision_id, record))
        return found

    async def drain(self) -> None:
        await self.confirms.drain()


def _in_flight(kind: str, campaign_id: str, decision_id: str, held: dict[str, str]) -> InFlight:
    """A record's fields, as admit.lua, redeem.lua and reverse.lua write them."""
    if kind == "claim":
        return ClaimInFlight(
            campaign_id,
            decision_id,
            int(held["serial"]),
            held["worker"],
            int(held["face"]),
            int(held["at_ms"]),
            held.get("pcode", ""),
            int(held.get("v", 0)),
            held.get("station", ""),
            int(held.get("vu", 0)),
        )
    if kind == "redemption":
        return RedemptionInFlight(
            campaign_id,
            decision_id,
            int(held["serial"]),
            held["merchant"],
            int(held["at_ms"]),
            int(held["amount"]),
            int(held["balance"]),
            int(held.get("face", 0)),
            held.get("store", ""),
            held.get("terminal", ""),
            int(held.get("order", 0)),
        )
    return ReversalInFlight(
        campaign_id,
        decision_id,
        held["redemption"],
        int(held["serial"]),
        held["merchant"],
        int(held["at_ms"]),
        int(held["amount"]),
    )
