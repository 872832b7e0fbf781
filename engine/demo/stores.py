"""The demo's stores that hand out packs or check bookings in: each station and each
counselling room is a store of its programme's merchant, with a key of its own."""

from __future__ import annotations

from typing import Any

import httpx


class Stores:
    def __init__(
        self, client: httpx.AsyncClient, ops: dict[str, str], merchant: str, keys: dict[str, str]
    ) -> None:
        self.client, self.ops, self.merchant, self.keys = client, ops, merchant, keys

    async def stations(self, campaign_id: str, stations: list[dict[str, Any]]) -> None:
        for s in stations:
            await self.store(s["station_id"], s["name"])
        url = f"/v1/campaigns/{campaign_id}/stations"
        r = await self.client.put(url, json={"stations": stations}, headers=self.ops)
        r.raise_for_status()

    async def slots(self, campaign_id: str, slots: list[dict[str, Any]]) -> None:
        for room in {s["provider_id"]: s["provider_name"] for s in slots}.items():
            await self.store(*room)
        url = f"/v1/campaigns/{campaign_id}/slots"
        for start in range(0, len(slots), 100):  # a PUT adds slots: a body of 100 at a time
            body = {"slots": slots[start : start + 100]}
            (await self.client.put(url, json=body, headers=self.ops)).raise_for_status()

    async def store(self, store_id: str, name: str) -> None:
        """A store of the merchant, and a key for it alone (kept by store id)."""
        url = f"/v1/merchants/{self.merchant}/stores"
        body = {"id": store_id, "name": name}
        (await self.client.post(url, json=body, headers=self.ops)).raise_for_status()
        r = await self.client.post(
            f"/v1/merchants/{self.merchant}/keys", json={"store_id": store_id}, headers=self.ops
        )
        r.raise_for_status()
        self.keys[store_id] = r.json()["api_key"]
