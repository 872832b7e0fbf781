"""The demo's checks of the books: what PostgreSQL and the live counters must agree on
after a burst of claims and redemptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from engine.demo.programmes import LEISURE_CAP
from engine.domain.periods import union_day

# Counts over the run's campaigns ($1: their ids' LIKE pattern).
_COUNTS = {
    "distinct codes": "SELECT count(DISTINCT code) FROM vouchers WHERE campaign_id LIKE $1",
    "ledger rows": "SELECT count(*) FROM redemptions WHERE campaign_id LIKE $1",
    "vouchers in the ledger": "SELECT count(DISTINCT (campaign_id, serial)) FROM redemptions"
    " WHERE campaign_id LIKE $1",
    "beyond the cap": "SELECT count(*) FROM ledger l JOIN vouchers v USING (campaign_id, serial)"
    " WHERE l.campaign_id LIKE $1 AND l.amount_fen > v.face_value_fen",
    "stations overbooked": "SELECT count(*) FROM (SELECT campaign_id, station_id, count(*) AS n"
    " FROM vouchers WHERE campaign_id LIKE $1 AND station_id IS NOT NULL GROUP BY 1, 2) c"
    " JOIN stations s USING (campaign_id, station_id) WHERE c.n > s.stock",
    "slots overbooked": "SELECT count(*) FROM (SELECT campaign_id, station_id AS slot_id,"
    " count(*) AS n FROM vouchers WHERE campaign_id LIKE $1 AND station_id IS NOT NULL"
    " AND cancelled_at IS NULL GROUP BY 1, 2) c"
    " JOIN slots s USING (campaign_id, slot_id) WHERE c.n > s.capacity",
}


async def check_books(
    client: httpx.AsyncClient,
    db: asyncpg.Pool,
    ops: dict[str, str],
    run_id: str,
    campaigns: dict[str, dict[str, Any]],
    admitted: int,
    redeemed: int,
) -> dict[str, bool]:
    like = f"%-{run_id}"
    per_campaign = {
        r["campaign_id"]: r["n"]
        for r in await db.fetch(
            "SELECT campaign_id, count(*) AS n FROM vouchers WHERE campaign_id LIKE $1 GROUP BY 1",
            like,
        )
    }
    vouchers = sum(per_campaign.values())
    counts = {name: await db.fetchval(query, like) for name, query in _COUNTS.items()}
    spent = {
        r["campaign_id"]: r["fen"]
        for r in await db.fetch(
            "SELECT campaign_id, sum(face_value_fen) AS fen FROM vouchers"
            " WHERE campaign_id LIKE $1 GROUP BY 1",
            like,
        )
    }
    capped = [c["id"] for c in campaigns.values() if c.get("cap_group")]
    most_per_worker = await db.fetchval(
        "SELECT coalesce(max(s), 0) FROM (SELECT sum(face_value_fen) AS s FROM vouchers"
        " WHERE campaign_id = ANY($1) GROUP BY worker_id) t",
        capped,
    )
    counters_agree = await _counters_agree(client, ops, campaigns, per_campaign)
    return {
        "no campaign oversold (vouchers <= quota)": all(
            per_campaign.get(c["id"], 0) <= c["quota"] for c in campaigns.values()
        ),
        "no programme over its budget": all(
            spent.get(c["id"], 0) <= c["budget_fen"]
            for c in campaigns.values()
            if c.get("budget_fen")
        ),
        "no worker over the 200-yuan leisure cap": most_per_worker <= LEISURE_CAP["max_fen"],
        "every 201 claim has exactly one voucher row": vouchers == admitted,
        "every voucher code is distinct": counts["distinct codes"] == vouchers,
        "Redis counters agree with PostgreSQL": counters_agree,
        "ledger rows == successful redemptions": counts["ledger rows"] == redeemed,
        "no voucher redeemed twice": counts["vouchers in the ledger"] == counts["ledger rows"],
        "no discount granted beyond its voucher's cap": counts["beyond the cap"] == 0,
        "no station gave out more packs than its stock": counts["stations overbooked"] == 0,
        "no slot booked beyond its places": counts["slots overbooked"] == 0,
        "fuel's payers' statements add up to its ledger": await _payers_add_up(
            client, db, ops, campaigns["fuel"]
        ),
    }


async def _payers_add_up(
    client: httpx.AsyncClient, db: asyncpg.Pool, ops: dict[str, str], campaign: dict[str, Any]
) -> bool:
    """Each payer's statement (the ride-hailing platform reads its own, with its payer
    credential) over the union's days around now: the parts add up to the ledger."""
    today = union_day(datetime.now(UTC))
    days = {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    made = await client.post(
        "/v1/ops/credentials",
        json={"name": "didi-finance", "role": "payer", "payer_id": "didi"},
        headers=ops,
    )
    made.raise_for_status()
    didi = {"Authorization": f"Bearer {made.json()['token']}"}
    parts = 0
    for payer in campaign["payers"]:
        pid = payer["payer_id"]
        url = f"/v1/payers/{pid}/campaigns/{campaign['id']}/statements"
        r = await client.get(url, params=days, headers=didi if pid == "didi" else ops)
        r.raise_for_status()
        parts += r.json()["net_fen"]
    ledger = await db.fetchval(
        "SELECT coalesce(sum(amount_fen), 0) FROM ledger WHERE campaign_id = $1", campaign["id"]
    )
    return bool(ledger) and parts == ledger


async def _counters_agree(
    client: httpx.AsyncClient,
    ops: dict[str, str],
    campaigns: dict[str, dict[str, Any]],
    per_campaign: dict[str, int],
) -> bool:
    agree = True
    for c in campaigns.values():
        view = (await client.get(f"/v1/campaigns/{c['id']}", headers=ops)).json()
        agree &= view["admitted"] == view["issued"] == per_campaign.get(c["id"], 0)
        agree &= view["remaining"] == c["quota"] - view["admitted"]
    return agree
