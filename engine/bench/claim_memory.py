"""What a claim costs Redis, kind of key by kind: the memory map behind the benchmark's
"bytes per admission" (`nuanxin stack up` first; one Redis server, not the cluster).

    python -m engine.bench.claim_memory --state-dir .nuanxin-bench --claims 20000

Two phases. Claims through the whole application (token, Idempotency-Key binding, the
admission script): the state a burst leaves before the issuer has run. Then claims
issued by the issuer in this process: what a voucher adds (its used_memory growth is net
of the unsettled entries the issuer takes away). Each prints the keys the phase made,
grouped by kind (`nx:{tag}:kind...`), as MEMORY USAGE per claim, beside INFO's
used_memory growth per claim (which also counts the server's own tables).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

from engine.adapters.redis.memory import every_key, key_sizes, used_memory
from engine.bench.app_cost import claims_cpu, command_line, new_campaign, running_app
from engine.bench.issuer_cost import issue, signed_admissions
from engine.cli.common import settings_for
from engine.keyfiles import event_keys_of
from engine.logs import configure
from engine.settings import Settings
from engine.stream.resources import LazyResources

# nx:{tag}:kind... : the tag's own prefix (w:, m:, cap:...) and the kind tell what it is.
_KIND = re.compile(rb"^[^{]*\{(?:([a-z]+):)?[^}]*\}:([a-z-]+)")


def kind_of(key: bytes) -> str:
    found = _KIND.match(key)
    if found is None:
        return key.decode(errors="replace")
    owner, kind = found.groups()
    return f"{owner.decode()}:{kind.decode()}" if owner else kind.decode()


def by_kind(sizes: dict[bytes, int]) -> dict[str, tuple[int, int]]:
    """kind -> (keys, bytes)."""
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, size in sizes.items():
        row = kinds[kind_of(key)]
        row[0] += 1
        row[1] += size
    return {kind: (keys, size) for kind, (keys, size) in kinds.items()}


async def measured(
    settings: Settings, label: str, count: int, work: Callable[[], Awaitable[object]]
) -> None:
    """Run `work` (which makes `count` claims) on its own campaign and print the keys it
    made, by kind. Keys that were there before and grew (a campaign's counters) are not
    in the table: used_memory's growth counts them, and the keys that left."""
    keys_before = every_key(settings)
    memory_before = used_memory(settings)
    await work()
    per_claim = (used_memory(settings) - memory_before) / count
    kinds = by_kind(key_sizes(settings, every_key(settings) - keys_before))
    print(f"\n{label}: {count:,} claims, used_memory grew {per_claim:,.0f} B per claim")
    print(f"  {'kind':16} {'new keys':>9} {'B per claim':>12}")
    for kind, (new, size) in sorted(kinds.items(), key=lambda row: -row[1][1]):
        print(f"  {kind:16} {new:>9,} {size / count:>12,.1f}")
    total = sum(size for _, size in kinds.values())
    print(f"  {'new keys':16} {'':>9} {total / count:>12,.1f}")


async def main(state_dir: Path, count: int) -> None:
    settings = settings_for(state_dir)
    configure()
    async with running_app(settings) as (_framework, app):
        admitted = await new_campaign(app, settings, count)
        issued = await new_campaign(app, settings, count)
        await measured(
            settings,
            "admitted through the API (before issuance)",
            count,
            lambda: claims_cpu(app, settings, admitted, count),
        )
    resources = LazyResources(settings)
    engine = await resources.get()
    events = event_keys_of(settings)
    try:
        raws = await signed_admissions(engine, events, issued, count)
        await measured(
            settings,
            "issued (what the voucher adds)",
            count,
            lambda: issue(resources, events, raws),
        )
    finally:
        await resources.close()


if __name__ == "__main__":
    command_line(main, __doc__, claims=20_000)
