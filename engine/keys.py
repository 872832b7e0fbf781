"""Every Redis key the engine uses, built here and nowhere else.

All keys of one campaign share the hash tag ``{campaign id}`` so each Lua script
touches a single slot and runs unchanged on Redis Cluster.
"""

from __future__ import annotations

PREFIX = "nx"


def _k(campaign_id: str, suffix: str) -> str:
    return f"{PREFIX}:{{{campaign_id}}}:{suffix}"


def campaign(campaign_id: str) -> str:
    """Hash: status, window, quota, remaining, admitted, issued, redeemed, next_serial, ..."""
    return _k(campaign_id, "campaign")


def per_worker(campaign_id: str) -> str:
    """Hash: worker id -> claims admitted in this campaign."""
    return _k(campaign_id, "per-worker")


def eligible_categories(campaign_id: str) -> str:
    return _k(campaign_id, "eligible")


def merchants(campaign_id: str) -> str:
    """Set of merchant ids enrolled to redeem this campaign's vouchers."""
    return _k(campaign_id, "merchants")


def claim(campaign_id: str, claim_id: str) -> str:
    """Hash: state (pending|acked|taken|issued|released), serial, worker, at_ms."""
    return _k(campaign_id, f"claim:{claim_id}")


def voucher(campaign_id: str, serial: int) -> str:
    """Hash: status (issued|redeemed), claim_id, face, expires_at, redeemed_by, ..."""
    return _k(campaign_id, f"voucher:{serial}")


def redemption(campaign_id: str, redemption_id: str) -> str:
    """Hash: state (pending|acked|taken|released), serial, merchant, at_ms."""
    return _k(campaign_id, f"redemption:{redemption_id}")
