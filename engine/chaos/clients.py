"""The clients of a chaos run: workers that claim and tills that redeem and reverse, as
the union's app and a cashier's till do, each request sent again with the same
Idempotency-Key after a 503, a 429, a 409 request-in-progress or a lost connection, until
it gets a final answer or its patience runs out. Every final answer is kept."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

# Answers after which the same request is sent again.
AGAIN = {429, 503}


@dataclass
class Answer:
    kind: str  # claim, redemption or reversal
    caller: str  # the worker or the merchant
    key: str  # the Idempotency-Key
    campaign_id: str
    request: dict[str, Any]
    status: int | None = None  # the final answer's; None: none came in time
    body: dict[str, Any] = field(default_factory=dict)
    tries: int = 0


@dataclass
class Plan:
    """What the clients do: `campaigns` maps a campaign id to (face value in fen, stored
    value?); each worker claims one of them and uses what it gets."""

    base_url: str
    merchant_key: str
    tokens: dict[str, str]  # worker -> bearer token
    campaigns: dict[str, tuple[int, bool]]
    seconds: float
    patience_s: float = 90.0


class Clients:
    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan, self.rng = plan, random.Random(seed)
        self.answers: list[Answer] = []
        self._client: httpx.AsyncClient | None = None

    async def run(self) -> list[Answer]:
        """Every worker starts at a moment of the run drawn from the seed; returns once
        every one has its answers (or gave up)."""
        limits = httpx.Limits(max_connections=64, keepalive_expiry=1)
        transport = httpx.AsyncHTTPTransport(limits=limits, retries=0)
        async with httpx.AsyncClient(
            base_url=self.plan.base_url, transport=transport, timeout=15
        ) as client:
            self._client = client
            campaigns = list(self.plan.campaigns)
            starts = [
                (self.rng.uniform(0, self.plan.seconds), w, self.rng.choice(campaigns))
                for w in self.plan.tokens
            ]
            await asyncio.gather(*(self._worker(at, w, cid) for at, w, cid in starts))
        return self.answers

    async def _worker(self, at_s: float, worker: str, campaign_id: str) -> None:
        await asyncio.sleep(at_s)
        auth = {"Authorization": f"Bearer {self.plan.tokens[worker]}"}
        claim = await self._send(
            Answer("claim", worker, f"c-{campaign_id}", campaign_id, {}),
            f"/v1/campaigns/{campaign_id}/claims",
            auth,
        )
        if claim.status != 201:
            return
        code = await self._code(claim.body["claim_id"], auth)
        if code is None:
            return
        face, stored = self.plan.campaigns[campaign_id]
        amounts = [face // 4, face // 4] if stored else [0]
        for i, amount in enumerate(amounts):
            body: dict[str, Any] = {"code": code} | ({"amount_fen": amount} if amount else {})
            redeemed = await self._send(
                Answer("redemption", "merchant", f"r-{worker}-{i}", campaign_id, body),
                "/v1/redemptions",
                {"Authorization": f"Bearer {self.plan.merchant_key}"},
            )
            if stored and redeemed.status == 201 and i == 0:
                back = {"redemption_id": redeemed.body["redemption_id"], "amount_fen": amount // 2}
                await self._send(
                    Answer("reversal", "merchant", f"v-{worker}", campaign_id, back),
                    "/v1/reversals",
                    {"Authorization": f"Bearer {self.plan.merchant_key}"},
                )

    async def _send(self, answer: Answer, path: str, auth: dict[str, str]) -> Answer:
        assert self._client is not None
        self.answers.append(answer)
        headers = auth | {"Idempotency-Key": answer.key}
        give_up = time.monotonic() + self.plan.patience_s
        while time.monotonic() < give_up:
            answer.tries += 1
            try:
                r = await self._client.post(path, json=answer.request, headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
                continue
            body = r.json() if r.content else {}
            in_progress = r.status_code == 409 and str(body.get("type", "")).endswith(
                "/request-in-progress"
            )
            if r.status_code in AGAIN or in_progress:
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            answer.status, answer.body = r.status_code, body
            break
        return answer

    async def _code(self, claim_id: str, auth: dict[str, str]) -> str | None:
        """The voucher's code once it is issued (the worker's app polls the same way)."""
        assert self._client is not None
        give_up = time.monotonic() + self.plan.patience_s
        while time.monotonic() < give_up:
            try:
                r = await self._client.get(f"/v1/claims/{claim_id}", headers=auth)
                voucher = r.json().get("voucher") if r.status_code == 200 else None
                if voucher:
                    return str(voucher["code"])
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(1.0)
        return None
