"""The demo's payout run: the first-job subsidy paid in batches, as two people of the
union's finance staff and the bank would (one prepares, exports and imports, the other
approves, each with a credential of that duty; the bank fails a few lines, which are
tried again in the next batch)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class PayoutRun:
    batches: int = 0
    paid: int = 0
    paid_fen: int = 0
    failed_then_retried: int = 0


async def pay_out(client: httpx.AsyncClient, ops: dict[str, str], campaign_id: str) -> PayoutRun:
    """Batches until nothing is owed: every 25th line of a first batch fails at the bank
    ("account closed") and is paid in the next one."""
    preparer = await _operator(client, ops, "demo-prepares", "payout-preparer")
    approver = await _operator(client, ops, "demo-approves", "payout-approver")
    run, failed_once = PayoutRun(), set[str]()
    while True:
        key = f"{campaign_id}-batch-{run.batches + 1}"
        url = f"/v1/ops/campaigns/{campaign_id}/payout-batches"
        made = await client.post(url, json={}, headers=preparer | {"Idempotency-Key": key})
        if made.status_code == 422:  # nothing owed any more
            return run
        made.raise_for_status()
        batch = made.json()
        run.batches += 1
        base = f"/v1/ops/payout-batches/{batch['batch_id']}"
        (await client.post(f"{base}/approve", headers=approver)).raise_for_status()
        (await client.get(f"{base}/payment-file", headers=preparer)).raise_for_status()
        failed = [
            p["payout_id"]
            for i, p in enumerate(batch["payouts"])
            if i % 25 == 0 and p["payout_id"] not in failed_once
        ]
        result = _bank_result(batch["payouts"], set(failed))
        headers = preparer | {"Content-Type": "text/csv"}
        answer = await client.put(f"{base}/bank-result", content=result, headers=headers)
        answer.raise_for_status()
        paid = [p for p in batch["payouts"] if p["payout_id"] not in failed]
        run.paid += len(paid)
        run.paid_fen += sum(p["amount_fen"] for p in paid)
        for payout_id in failed:  # owed again, for the next batch
            r = await client.post(f"/v1/ops/payouts/{payout_id}/retry", headers=preparer)
            r.raise_for_status()
            run.failed_then_retried += 1
        failed_once.update(failed)


def _bank_result(payouts: list[dict[str, Any]], failed: set[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("payout_id", "amount_fen", "status", "reason"))
    for p in payouts:
        status = ("failed", "account closed") if p["payout_id"] in failed else ("paid", "")
        writer.writerow((p["payout_id"], p["amount_fen"], *status))
    return out.getvalue()


async def _operator(
    client: httpx.AsyncClient, ops: dict[str, str], name: str, role: str
) -> dict[str, str]:
    body = {"name": name, "role": role}
    r = await client.post("/v1/ops/credentials", json=body, headers=ops)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}
