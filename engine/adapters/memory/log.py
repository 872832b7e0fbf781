"""The event log in memory, and where its fences stand (EventPublisher, EventLog,
LogFences, LogMarks)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

from engine.adapters.memory.live_state import LiveState, PartitionMarks
from engine.domain.event_auth import EventKeys
from engine.errors import Unavailable
from engine.events import Event, LogFence, LogPosition


class MemoryLog:
    """Signed events per topic and partition, as a broker keeps them; `down` refuses every
    append, and `lose()` forgets everything (a broker that lost its log)."""

    def __init__(self, event_keys: EventKeys, partitions: int = 2) -> None:
        self.event_keys, self.partition_count = event_keys, partitions
        self.topics: dict[str, list[list[bytes]]] = {}
        self.published: list[tuple[str, Event]] = []  # (key, event), in the order acknowledged
        self.down = False

    async def publish(self, event: Event, key: str) -> LogPosition:
        partition = zlib.crc32(key.encode()) % self.partition_count
        offset = self._append(event.name, partition, event.signed(self.event_keys).dumps())
        self.published.append((key, event))
        return LogPosition(event.name, partition, offset)

    async def publish_all(self, events: Sequence[tuple[Event, str]]) -> None:
        for event, key in events:
            await self.publish(event, key)

    async def read(self, event_name: str) -> list[tuple[int, int, bytes]]:
        """Every event of one kind from the beginning, the fences among them left out."""
        return [
            (partition, offset, value)
            for partition, values in enumerate(self.topics.get(event_name, []))
            for offset, value in enumerate(values)
            if LogFence.recognise(value) is None
        ]

    async def ensure_topics(self) -> None:
        return None

    async def partitions(self, event_name: str) -> list[int]:
        return list(range(self.partition_count))

    async def place(self, fence: LogFence) -> int:
        return self._append(fence.topic, fence.partition, fence.signed(self.event_keys).dumps())

    async def stop(self) -> None:
        return None

    def lose(self) -> None:
        self.topics.clear()

    def _append(self, topic: str, partition: int, value: bytes) -> int:
        if self.down:
            raise Unavailable("The event log did not acknowledge the request")
        values = self.topics.setdefault(topic, [[] for _ in range(self.partition_count)])
        values[partition].append(value)
        return len(values[partition]) - 1


class MemoryLogMarks:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def passed(self, topic: str, marks: Sequence[tuple[int, int]]) -> None:
        passed = self.live.passed.setdefault(topic, {})
        for partition, at in marks:
            passed[partition] = max(passed.get(partition, 0), at)

    async def consumed(self, topic: str, offsets: Sequence[tuple[int, int]]) -> None:
        for partition, offset in offsets:
            marks = self._marks(topic, partition)
            marks.consumed = max(marks.consumed, offset)

    async def watermark(self, topic: str, partitions: Sequence[int]) -> int:
        if not partitions:
            return 0
        passed, placed = self.live.passed.get(topic, {}), self.live.fences.get(topic, {})
        return min(
            min(passed[p], placed[p].at) if p in passed and p in placed else 0 for p in partitions
        )

    async def placed(
        self, holder: str, fences: Mapping[str, Sequence[tuple[int, int, int, int]]], when: str
    ) -> list[str]:
        """fence_placed.lua's rule: a fence below the highest offset seen before it was placed
        means the log was lost; the tick registers only while `holder` holds the lock."""
        if self.live.fence_lock != holder:
            return []
        back = []
        for topic, placed in fences.items():
            known = self.live.fences.get(topic, {})
            if any(
                offset < max(seen, known[p].offset if p in known else 0)
                for p, offset, _, seen in placed
            ):
                back.append(topic)
                self.live.fences[topic] = {}
        if back:
            self.live.lost = f"{', '.join(back)}: a fence's offset went back at {when}"
            self.live.epoch += 1
        for topic, placed in fences.items():
            for p, offset, at, _ in placed:
                marks = self._marks(topic, p)
                marks.offset, marks.at = offset, at
        return back

    async def epoch(self) -> int:
        return self.live.epoch

    async def placed_offsets(self, topic: str) -> dict[int, int]:
        return {p: m.offset for p, m in self.live.fences.get(topic, {}).items()}

    async def seen_offsets(self, topic: str) -> dict[int, int]:
        return {
            p: max(m.offset, m.consumed, m.acked)
            for p, m in self.live.fences.get(topic, {}).items()
        }

    async def lost(self) -> str | None:
        return self.live.lost

    async def redriven(self, why: str) -> None:
        if self.live.lost == why:
            self.live.lost = None

    async def lock(self, holder: str, ttl_s: int) -> bool:
        if self.live.fence_lock is not None:
            return False
        self.live.fence_lock = holder
        return True

    async def unlock(self, holder: str) -> None:
        if self.live.fence_lock == holder:
            self.live.fence_lock = None

    def _marks(self, topic: str, partition: int) -> PartitionMarks:
        return self.live.fences.setdefault(topic, {}).setdefault(partition, PartitionMarks())
