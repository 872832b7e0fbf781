"""Campaigns, merchants and workers made through the ops API, as the tests need them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from engine.domain.tokens import mint_worker_token
from engine.keyfiles import load_keyring, load_worker_token_keys
from engine.settings import Settings


@dataclass(repr=False)
class Factory:
    """Builds campaigns, merchants and workers through the ops API."""

    http: httpx.AsyncClient
    settings: Settings
    ops: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.ops = {"Authorization": f"Bearer {self.settings.ops_token.get_secret_value()}"}
        self.token_keys = load_worker_token_keys(self.settings.worker_token_keys_file)
        self.keyring = load_keyring(self.settings.signing_keys_file)

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    async def merchant(self) -> tuple[str, str]:
        merchant_id = self.unique("m")
        r = await self.http.post(
            "/v1/merchants", json={"id": merchant_id, "name": "Shop"}, headers=self.ops
        )
        assert r.status_code == 201, r.text
        return merchant_id, r.json()["api_key"]

    def campaign_body(self, **overrides: object) -> dict[str, Any]:
        now = datetime.now(UTC)
        body: dict[str, Any] = {
            "id": self.unique("c"),
            "name": "Test campaign",
            "quota": 10,
            "face_value_fen": 300,
            "per_worker_limit": 1,
            "claim_opens_at": (now - timedelta(hours=1)).isoformat(),
            "claim_closes_at": (now + timedelta(days=1)).isoformat(),
            "valid_until": (now + timedelta(days=30)).isoformat(),
            "eligible_categories": ["delivery_rider", "courier"],
            "merchants": [],
        }
        body.update(overrides)
        return body

    async def campaign(self, **overrides: object) -> dict[str, Any]:
        r = await self.http.post(
            "/v1/campaigns", json=self.campaign_body(**overrides), headers=self.ops
        )
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def cap_group(self, max_fen: int, period: str = "month") -> str:
        group = self.unique("cap")
        r = await self.http.post(
            "/v1/cap-groups",
            json={"id": group, "period": period, "max_fen": max_fen},
            headers=self.ops,
        )
        assert r.status_code == 201, r.text
        return group

    async def workers(self, n: int, category: str = "courier") -> list[str]:
        ids = [self.unique("w") for _ in range(n)]
        for start in range(0, n, 5000):
            chunk = [{"id": i, "category": category} for i in ids[start : start + 5000]]
            r = await self.http.post("/v1/workers/bulk", json={"workers": chunk}, headers=self.ops)
            assert r.status_code == 200, r.text
        return ids

    def token(self, worker_id: str, issued_at: int | None = None) -> str:
        """Minted with the shared auth key, as the union's app does (now, unless told)."""
        at = int(time.time()) if issued_at is None else issued_at
        return mint_worker_token(self.token_keys, worker_id, at, 3600)

    def worker_headers(self, worker_id: str, key: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token(worker_id)}",
            "Idempotency-Key": key,
        }
