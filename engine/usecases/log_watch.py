"""Release a decision only when the log proves its event was never appended, and notice a
log that was lost.

**Fences.** At every repair tick one stream worker (the holder of the fence lock) places
a `LogFence` on every partition of the three decision topics, stamped with its clock
(`at_ms`). A topic's consumer records a fence as passed once every event before it on
that partition is applied, which takes its decision (`take.lua`). A decision made at `t`
(the API's clock) whose producer gave up or was answered by `t + produce timeout` has its
event, if any, before every fence placed after that; so once every partition has passed
a fence placed at `t + unsettled_after` or later (longer than the produce timeout plus
any clock skew between the machines), a decision still `pending` was never appended,
and only then may the repair release it. With the consumers down or behind, no fence is
passed and nothing is released, however long it waits.

**A lost log.** On a log that keeps what it acknowledged, a partition's offsets only
grow. A fence placed at an offset below the last one placed there says the log was lost
(a broker's disk, an unclean leader election, the memory-only local broker restarted):
the lost flag is set in the same step that registers the fence, and before anything is
released again every decision not yet applied is published again from the records
(engine/usecases/redrive.py). Issuance and the ledger are idempotent by id, so nothing is
counted twice. The first fences of a deployment set the marks: a loss before any fence
was placed (the first seconds of a new deployment) is not noticed this way.
"""

from __future__ import annotations

import asyncio
import uuid

import structlog

from engine.domain.clock import utc_from_ms
from engine.domain.settlement import DecisionKind
from engine.events import CLAIM_ADMITTED, VOUCHER_REDEEMED, VOUCHER_REVERSED, LogFence
from engine.usecases.ports import LogFences, LogMarks
from engine.usecases.redrive import Redrive

log = structlog.get_logger("engine.log_watch")

# The topic each kind of decision's event goes to.
TOPICS: dict[DecisionKind, str] = {
    "claim": CLAIM_ADMITTED,
    "redemption": VOUCHER_REDEEMED,
    "reversal": VOUCHER_REVERSED,
}
LOCK_S = 30


class LogWatch:
    def __init__(
        self,
        *,
        fences: LogFences,
        marks: LogMarks,
        redrive: Redrive,
        unsettled_after_s: float,
        holder: str | None = None,
    ) -> None:
        self.fences, self.marks, self.redrive = fences, marks, redrive
        self.margin_ms = int(unsettled_after_s * 1000)
        self.holder = holder or uuid.uuid4().hex

    async def tick(self, now_ms: int) -> dict[DecisionKind, int]:
        """Place fences, re-drive a lost log, and say for each kind of decision the time
        (ms) before which a decision still pending may be released (below 0: none)."""
        await self.place_fences(now_ms)
        await self.redrive_if_lost()
        cutoffs = {}
        for kind, topic in TOPICS.items():
            mark = await self.marks.watermark(topic, await self.fences.partitions(topic))
            cutoffs[kind] = min(mark, now_ms) - self.margin_ms if mark else -1
        # A loss registered while the marks were read may have moved them: not this tick.
        if await self.marks.lost() is not None:
            return dict.fromkeys(TOPICS, -1)
        return cutoffs

    async def place_fences(self, now_ms: int) -> None:
        if not await self.marks.lock(self.holder, LOCK_S):
            return  # another worker is placing this tick's
        try:
            await self.fences.ensure_topics()
            placed = {}
            for topic in TOPICS.values():
                partitions = await self.fences.partitions(topic)
                # Only what was seen before a fence was placed can show its offset went
                # back: a commit or an acknowledgement since may be past it on a sound log.
                seen = await self.marks.seen_offsets(topic)
                offsets = await asyncio.gather(
                    *(self.fences.place(_fence(topic, p, now_ms)) for p in partitions)
                )
                placed[topic] = [
                    (p, o, now_ms, seen.get(p, 0)) for p, o in zip(partitions, offsets, strict=True)
                ]
            back = await self.marks.placed(self.holder, placed, utc_from_ms(now_ms).isoformat())
            if back:
                log.error("the log was lost: its decisions will be sent again", topics=back)
        finally:
            await self.marks.unlock(self.holder)

    async def redrive_if_lost(self) -> None:
        why = await self.marks.lost()
        if why is None:
            return
        sent = await self.redrive.run()
        log.warning("decisions sent again after a lost log", why=why, **sent)
        await self.marks.redriven(why)


def _fence(topic: str, partition: int, now_ms: int) -> LogFence:
    return LogFence(fence_id=uuid.uuid4().hex, topic=topic, partition=partition, at_ms=now_ms)
