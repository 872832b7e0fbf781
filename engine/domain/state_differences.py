"""How a campaign's live state in Redis departs from what the records say it should hold
(engine.domain.rebuild.expected_state): what `nuanxin reconcile` reports."""

from __future__ import annotations

from engine.domain.live_records import MISSING
from engine.domain.rebuild import SETTLED, CampaignCounters, CampaignState

# What is compared per record: what decides an answer (the rest is descriptive).
_COMPARED = {
    "claims": ("state", "serial"),
    "vouchers": ("status", "balance_fen"),
    "redemptions": ("state", "serial", "amount_fen", "refunded_fen"),
    "reversals": ("state", "serial", "amount_fen"),
    "stations": ("left", "open", "slot"),
}
# Counters that only grow with burnt serials or may run ahead of the records.
_AT_LEAST = frozenset({"next_serial"})


def differences(
    campaign_id: str, expected: CampaignState, actual: CampaignState, limit: int = 20
) -> list[str]:
    """Every way `actual` (Redis) departs from `expected`, a line each (`limit` per kind)."""
    out = _counter_differences(campaign_id, expected.counters, actual.counters)
    for kind in ("per_worker", "per_period"):
        want_map, have_map = getattr(expected, kind), getattr(actual, kind)
        wrong = [
            w for w in want_map.keys() | have_map.keys() if want_map.get(w, 0) != have_map.get(w, 0)
        ]
        out += [
            f"{campaign_id}: {kind} count of {w} is {have_map.get(w, 0)} in Redis, {want_map.get(w, 0)} expected"
            for w in sorted(wrong)[:limit]
        ]
    for kind, names in _COMPARED.items():
        want_map, have_map = getattr(expected, kind), getattr(actual, kind)
        wrong = []
        for key, want_record in want_map.items():
            want, have = _shown(want_record, names), _shown(have_map.get(key), names)
            if have.get("state") in SETTLED and want.get("state") in SETTLED:
                have["state"] = want["state"]
            if have != want:
                wrong.append(
                    f"{campaign_id}: {kind[:-1]} {key} is {have} in Redis, {want} expected"
                )
        out += wrong[:limit]
        if len(wrong) > limit:
            out.append(f"{campaign_id}: ... and {len(wrong) - limit} more {kind} differences")
    if expected.pool is not None and actual.pool is not None and expected.pool != actual.pool:
        out.append(
            f"{campaign_id}: partner pool has {len(actual.pool)} codes in Redis,"
            f" {len(expected.pool)} expected"
        )
    return out


def _counter_differences(
    campaign_id: str, expected: CampaignCounters, actual: CampaignCounters
) -> list[str]:
    want = expected.totals() | {f"wave {w} admitted": n for w, n in expected.wave_admitted.items()}
    have = actual.totals() | {f"wave {w} admitted": n for w, n in actual.wave_admitted.items()}
    return [
        f"{campaign_id}: counter {name} is {have.get(name, 0)} in Redis, {n} expected"
        for name, n in want.items()
        if ((have.get(name, 0) < n) if name in _AT_LEAST else (have.get(name, 0) != n))
    ]


def _shown(record: object | None, names: tuple[str, ...]) -> dict[str, object]:
    """The compared attributes of a record; a record Redis lacks shows as missing."""
    if record is None:
        return dict.fromkeys(names, MISSING)
    return {name: getattr(record, name) for name in names}
