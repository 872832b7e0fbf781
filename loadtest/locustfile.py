"""Claim burst against a running engine (locust).

Workers are prepared before the timed window: one campaign, N registered
workers and their tokens (minted with the shared auth key, as the union's app
does). Each simulated user is one worker claiming once, with a 5% double tap.

    nuanxin up --port 8080 &          # or any running API
    locust -f loadtest/locustfile.py --headless -u 64 -r 64 -t 30s \
        --host http://127.0.0.1:8080 --workers-count 20000

Settings come from .nuanxin/stack.env (or NUANXIN_* variables).
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from locust import HttpUser, events, task

from engine.cli.main import settings_for
from engine.domain.tokens import mint_worker_token
from engine.keyfiles import load_auth_key

STATE: dict = {}


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--workers-count", type=int, default=20_000, help="distinct workers")
    parser.add_argument("--quota", type=int, default=15_000, help="campaign quota")
    parser.add_argument("--state-dir", default=".nuanxin", help="local stack folder")


@events.test_start.add_listener
def _prepare(environment, **_kwargs) -> None:
    from pathlib import Path

    opts = environment.parsed_options
    settings = settings_for(Path(opts.state_dir))
    ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
    run = uuid.uuid4().hex[:6]
    now = datetime.now(UTC)
    campaign = {
        "id": f"locust-{run}", "name": "locust burst", "quota": opts.quota,
        "face_value_fen": 300, "per_worker_limit": 1,
        "claim_opens_at": (now - timedelta(minutes=1)).isoformat(),
        "claim_closes_at": (now + timedelta(hours=2)).isoformat(),
        "valid_until": (now + timedelta(days=30)).isoformat(),
        "eligible_categories": ["courier"],
    }
    with httpx.Client(base_url=environment.host, headers=ops, timeout=60) as client:
        client.post("/v1/campaigns", json=campaign).raise_for_status()
        ids = [f"lw-{run}-{i}" for i in range(opts.workers_count)]
        for start in range(0, len(ids), 5000):
            chunk = [{"id": w, "category": "courier"} for w in ids[start : start + 5000]]
            client.post("/v1/workers/bulk", json={"workers": chunk}).raise_for_status()
    key = load_auth_key(settings.auth_key_file)
    now_s = int(time.time())
    STATE["campaign"] = campaign["id"]
    STATE["tokens"] = iter([mint_worker_token(key, w, "courier", now_s, 7200) for w in ids])


class Worker(HttpUser):
    """One worker's phone: claim once (sometimes tapping twice), then stop."""

    def on_start(self) -> None:
        self.token = next(STATE["tokens"], None)
        self.keys = itertools.count(1)

    @task
    def claim(self) -> None:
        if self.token is None:
            self.stop()
            return
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": "burst"}
        url = f"/v1/campaigns/{STATE['campaign']}/claims"
        taps = 2 if random.random() < 0.05 else 1
        for _ in range(taps):
            with self.client.post(url, headers=headers, name="claim", catch_response=True) as r:
                if r.status_code in (201, 410):
                    r.success()
        self.token = next(STATE["tokens"], None)
