"""Worker profiles in bulk: 200,000 rows with progress and a rejection report, idempotent."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
import uuid

N = 200_000
CATEGORIES = ["delivery_rider", "courier", "truck_driver", "ride_hailing_driver"]


def write_csv(path, run: str) -> int:
    """N good rows plus bad ones; return how many are bad."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "id",
                "category",
                "hukou_city",
                "origin_city",
                "contract_months",
                "social_insurance_months",
                "hardship",
                "registered_on",
            ]
        )
        for i in range(N):
            w.writerow(
                [
                    f"imp-{run}-{i:06d}",
                    CATEGORIES[i % 4],
                    "Fuyang" if i % 3 else "Suzhou",
                    ["Xinyang", "Fuyang", "Suqian"][i % 3],
                    12 + i % 24,
                    i % 36,
                    "true" if i % 50 == 0 else "false",
                    "2024-03-01",
                ]
            )
        bad = [
            ["", "courier", "", "", "", "", "", ""],
            [f"imp-{run}-bad-1", "astronaut", "", "", "", "", "", ""],
            [f"imp-{run}-bad-2", "courier", "", "", "twelve", "", "", ""],
            [f"imp-{run}-bad-3", "courier", "", "", "", "", "maybe", ""],
            [f"imp-{run}-bad-4", "courier", "", "", "", "", "", "2024-13-45"],
            [f"imp-{run}-000001", "courier", "", "", "", "", "", ""],  # duplicate id
        ]
        w.writerows(bad)
    return len(bad)


def run_import(path, env) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli.main", "workers", "import", str(path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


async def test_import_200000_rows_then_reimport_changes_nothing(stack_env, tmp_path, db):
    run = uuid.uuid4().hex[:6]
    path = tmp_path / "workers.csv"
    bad = write_csv(path, run)

    first, progress = await asyncio.to_thread(run_import, path, stack_env)
    assert first == {"rows": N + bad, "created": N, "updated": 0, "unchanged": 0, "rejected": bad}
    assert "import" in progress and f"{N + bad}/{N + bad}" in progress.replace(",", "")
    rejected = list(csv.DictReader((tmp_path / "workers.rejected.csv").read_text().splitlines()))
    assert len(rejected) == bad
    reasons = " ".join(r["reason"] for r in rejected)
    for fragment in (
        "id must be",
        "category",
        "contract_months",
        "hardship",
        "registered_on",
        "earlier in the file",
    ):
        assert fragment in reasons

    stored = await db.fetchval("SELECT count(*) FROM workers WHERE id LIKE $1", f"imp-{run}-%")
    assert stored == N
    row = await db.fetchrow("SELECT * FROM workers WHERE id = $1", f"imp-{run}-000050")
    assert row["category"] == "truck_driver" and json.loads(row["profile"])["hardship"] == "1"

    again, _ = await asyncio.to_thread(run_import, path, stack_env)
    assert again == {"rows": N + bad, "created": 0, "updated": 0, "unchanged": N, "rejected": bad}


async def test_import_endpoint_reports_per_row(http, factory):
    run = uuid.uuid4().hex[:6]
    body = "\n".join(
        [
            "id,category,hardship",
            f"api-{run}-1,courier,true",
            f"api-{run}-2,astronaut,false",
            f"api-{run}-3,delivery_rider,",
        ]
    )
    r = await http.post(
        "/v1/workers/import",
        content=body.encode(),
        headers=factory.ops | {"content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["created"], report["rejected"]) == (3, 2, 1)
    assert report["rejections"][0]["line"] == 3 and "category" in report["rejections"][0]["reason"]
    bad_header = await http.post(
        "/v1/workers/import",
        content=b"name,colour\nx,y\n",
        headers=factory.ops | {"content-type": "text/csv"},
    )
    assert bad_header.status_code == 422
