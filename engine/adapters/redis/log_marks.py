"""Where the log's fences stand: placed at which offsets, passed by the consumers up to
which placing time, and whether the log was found lost (engine/usecases/log_watch.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.adapters.failures import translated
from engine.adapters.redis import keys
from engine.adapters.redis.connection import Arg, Client, Scripts, text


@translated
class RedisLogMarks:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts

    async def passed(self, topic: str, marks: Sequence[tuple[int, int]]) -> None:
        """The topic's consumer passed these fences: (partition, placing time ms)."""
        if marks:
            args: list[Arg] = [x for mark in marks for x in mark]
            await self.scripts.run("raise_marks", [keys.fences_passed(topic)], args)

    async def consumed(self, topic: str, offsets: Sequence[tuple[int, int]]) -> None:
        """The topic's consumer committed up to these (partition, next offset): a fence
        placed below one of them finds the log lost even before any fence was placed."""
        if offsets:
            args: list[Arg] = [x for p, offset in offsets for x in (f"{p}:consumed", offset)]
            await self.scripts.run("raise_marks", [keys.fences_placed(topic)], args)

    async def watermark(self, topic: str, partitions: Sequence[int]) -> int:
        """The placing time (ms) of a fence every partition has both registered and passed;
        0 while one has none."""
        if not partitions:
            return 0
        names = [str(p) for p in partitions]
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.fences_passed(topic), names)
            pipe.hmget(keys.fences_placed(topic), [f"{p}:at" for p in names])
            passed, registered = await pipe.execute()
        return min(
            min(int(text(a)), int(text(b))) if a is not None and b is not None else 0
            for a, b in zip(passed, registered, strict=True)
        )

    async def placed(
        self, holder: str, fences: Mapping[str, Sequence[tuple[int, int, int, int]]], when: str
    ) -> list[str]:
        """One tick's fences, topic -> (partition, offset, placing time ms, the highest
        offset seen there before it was placed), registered in one step with the lost flag
        while `holder` still holds the fence lock: the topics whose offset went back (the
        log was lost)."""
        args: list[Arg] = [holder, when]
        for topic, placed in fences.items():
            args += [topic, len(placed), *(x for fence in placed for x in fence)]
        ks = [
            keys.log_lost(),
            keys.log_epoch(),
            keys.fence_lock(),
            *map(keys.fences_placed, fences),
        ]
        return [text(t) for t in await self.scripts.run("fence_placed", ks, args)]

    async def epoch(self) -> int:
        """How many times a lost log was found: offsets are new in each epoch."""
        return int(await self.client.get(keys.log_epoch()) or 0)

    async def placed_offsets(self, topic: str) -> dict[int, int]:
        """Partition -> the offset of the latest fence placed there (a true offset, from
        the broker's acknowledgement)."""
        return _per_partition(await self.client.hgetall(keys.fences_placed(topic)), ("offset",))

    async def seen_offsets(self, topic: str) -> dict[int, int]:
        """Partition -> the highest offset the log was seen to reach there: a fence placed,
        an issuer's commit, an event acknowledged to the API."""
        raw = await self.client.hgetall(keys.fences_placed(topic))
        return _per_partition(raw, ("offset", "consumed", "acked"))

    async def lost(self) -> str | None:
        """Why the log was found lost, while the re-drive from the records is not done."""
        value = await self.client.get(keys.log_lost())
        return None if value is None else text(value)

    async def redriven(self, why: str) -> None:
        """The re-drive for this loss is done (a loss found since stays flagged)."""
        await self.scripts.run("delete_if", [keys.log_lost()], [why])

    async def lock(self, holder: str, ttl_s: int) -> bool:
        return bool(await self.client.set(keys.fence_lock(), holder, nx=True, ex=ttl_s))

    async def unlock(self, holder: str) -> None:
        await self.scripts.run("delete_if", [keys.fence_lock()], [holder])


def _per_partition(
    raw: Mapping[bytes | str, bytes | str], marks: tuple[str, ...]
) -> dict[int, int]:
    """The highest of these marks ('<partition>:<mark>' fields) per partition."""
    out: dict[int, int] = {}
    for k, v in raw.items():
        partition, _, mark = text(k).partition(":")
        if mark in marks:
            out[int(partition)] = max(out.get(int(partition), 0), int(text(v)))
    return out
