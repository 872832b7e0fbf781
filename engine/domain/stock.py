"""A campaign's stock: what is left, and what can be claimed now. Decided here and
mirrored by `admit.lua`, which makes the same decision atomically; the contract test in
tests/integration/test_redis_scripts.py drives both over one table of cases.

Stock is the quota less what was admitted; with rollover, expired vouchers' units come
back (reclaimed). With waves, only released stock is claimable: with rollover, all the
waves released so far less what was admitted; without, the current wave's quantity less
what was admitted in it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Counters:
    """A campaign's live counters."""

    admitted: int = 0
    issued: int = 0
    redeemed: int = 0
    spent: int = 0  # fen admitted, against the budget
    expired: int = 0
    reclaimed: int = 0
    redeemed_fen: int = 0
    reversed_fen: int = 0


def remaining(quota: int, admitted: int, reclaimed: int, rollover: bool) -> int:
    """Units the campaign can still admit over its whole life."""
    return quota - admitted + (reclaimed if rollover else 0)


def available_now(
    *,
    quota: int,
    admitted: int,
    reclaimed: int,
    rollover: bool,
    waves: bool,
    released: int = 0,
    current_wave_quantity: int = 0,
    current_wave_admitted: int = 0,
) -> int:
    """Units a claim could take at this moment (never below 0)."""
    if not waves:
        left = remaining(quota, admitted, reclaimed, rollover)
    elif rollover:
        left = released + reclaimed - admitted
    else:
        left = current_wave_quantity - current_wave_admitted
    return max(0, left)
