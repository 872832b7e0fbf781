"""Webhook signatures and retry timing (pure).

Each delivery carries `X-Nuanxin-Signature: t=<unix seconds>,v1=<hex>` where v1 is
HMAC-SHA256(secret, "<t>.<body>"). A receiver recomputes it, compares in constant
time and refuses timestamps far from its clock (replays). Deliveries are at least
once: `X-Nuanxin-Event-Id` lets a receiver drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Nuanxin-Signature"
EVENT_ID_HEADER = "X-Nuanxin-Event-Id"
TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: str, now: int) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_S:
        return False
    return hmac.compare_digest(
        sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}"
    )


def backoff_s(attempts: int, base_s: float, cap_s: float = 3600.0) -> float:
    """Delay after the n-th failed attempt: base, 2 x base, 4 x base, ... up to the cap."""
    return min(cap_s, base_s * 2 ** max(0, attempts - 1))
