"""Domain objects for tests that drive the use cases in-process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.domain.campaigns import Campaign
from engine.domain.profiles import WorkerCategory


def domain_campaign(prefix: str = "c", at: datetime | None = None, **overrides: Any) -> Campaign:
    """An open courier campaign around `at` (now by default); overrides win."""
    now = at or datetime.now(UTC)
    fields: dict[str, Any] = {
        "id": f"{prefix}-{uuid.uuid4().hex[:8]}",
        "name": prefix,
        "quota": 10,
        "face_value_fen": 300,
        "per_worker_limit": 1,
        "claim_opens_at": now - timedelta(hours=1),
        "claim_closes_at": now + timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "eligible_categories": (WorkerCategory.COURIER,),
        "merchants": (),
    }
    return Campaign(**(fields | overrides))


# A Monday morning of the Spring Festival programme, in UTC: the domain tests' fixed time.
T0 = datetime(2025, 1, 20, 2, tzinfo=UTC)


def campaign(**overrides: Any) -> Campaign:
    fields: dict[str, Any] = {
        "id": "metro-2025",
        "name": "Metro",
        "quota": 200_000,
        "face_value_fen": 300,
        "per_worker_limit": 1,
        "claim_opens_at": T0,
        "claim_closes_at": T0 + timedelta(days=7),
        "valid_until": T0 + timedelta(days=60),
        "eligible_categories": (WorkerCategory.COURIER,),
        "merchants": ("suzhou-metro",),
    }
    return Campaign(**(fields | overrides))
