"""Locust scenarios for `nuanxin bench` (which prepares the plan and runs them headless).

    ClaimBurst   distinct workers claim once from one hot campaign; some retry after a
                 timeout with the same Idempotency-Key, some double-tap with a new key
    Redeemer     merchants' terminals verify and redeem issued codes, with retries, forged
                 codes and codes already used
    OpsWatcher   operations staff polling a campaign's stats, live windows and the overview

`mixed` runs all three (weights 70/28/2). Everything a user needs (campaigns, tokens,
codes, merchant keys) is prepared before the timed window and named in the JSON file
NUANXIN_BENCH_PLAN; each locust process takes its own slice of the tokens and codes, so
no two users share a worker or a code. A process whose slice is spent stops the test.

    nuanxin bench claim_burst --workers 20000 --quota 15000     # prepares, runs, checks
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from types import MethodType

import gevent
from locust import HttpUser, between, constant, constant_throughput, events, task
from locust.exception import StopUser
from locust.runners import WorkerRunner

PLAN: dict = {}
POOLS: dict[str, list[str]] = {}
ACTIVE = {"users": 0}

TERMINALS = 400
# Answers each scenario expects; anything else is counted as an error by type.
CLAIM_OK = {201, 409, 410}  # admitted, limit reached on a second key, sold out
REDEEM_OK = {201, 409}  # redeemed, already redeemed (a second try of a used code)


@events.init.add_listener
def _load_plan(environment, **_kwargs) -> None:
    path = os.environ.get("NUANXIN_BENCH_PLAN")
    if not path:
        return
    PLAN.update(json.loads(Path(path).read_text()))
    runner = environment.runner
    index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
    processes = max(1, getattr(environment.parsed_options, "processes", 1) or 1)
    for name in ("tokens", "codes"):
        if PLAN.get(f"{name}_file"):
            with open(PLAN[f"{name}_file"]) as f:
                POOLS[name] = [line.strip() for i, line in enumerate(f) if i % processes == index]
            POOLS[name].reverse()  # pop() from the end keeps the file's order


def _take(pool: str) -> str | None:
    items = POOLS.get(pool)
    return items.pop() if items else None


def _problem_type(response) -> str:
    try:
        return str(response.json().get("type", "")).rsplit("/", 1)[-1]
    except ValueError:
        return "not json"


class BenchUser(HttpUser):
    abstract = True

    def on_start(self) -> None:
        ACTIVE["users"] += 1

    def done(self) -> None:
        """This user's slice is spent; the last user of the process ends the run."""
        ACTIVE["users"] -= 1
        if ACTIVE["users"] == 0:
            # locust rewrites its CSVs once a second and not at quit: let it catch up.
            gevent.spawn_later(2.5, self.environment.runner.quit)
        raise StopUser

    def expect(self, response, allowed: set[int]) -> None:
        if response.status_code in allowed:
            response.success()
        else:
            response.failure(f"{response.status_code} {_problem_type(response)}")


class ClaimBurst(BenchUser):
    weight = 70
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        if PLAN.get("user_rate"):  # paced: a given share of the peak rather than flat out
            self.wait_time = MethodType(constant_throughput(PLAN["user_rate"]), self)

    @task
    def claim(self) -> None:
        token = _take("tokens")
        if token is None:
            self.done()
        url = f"/v1/campaigns/{PLAN['claim_campaign']}/claims"
        # A key per intent: the same workers claim again in the bench's later runs.
        key = f"tap-{PLAN['claim_campaign']}"
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{key}-1"}
        r = self._tap(url, headers)
        roll = random.random()
        if roll < 0.03 or r.status_code == 0:  # the phone timed out: retry, same key
            self._tap(url, headers)
        elif roll < 0.06:  # an impatient double tap: a new key
            self._tap(url, headers | {"Idempotency-Key": f"{key}-2"})

    def _tap(self, url: str, headers: dict[str, str]):
        """One tap. A shed answer (503 overloaded) is followed as the app does: wait its
        Retry-After, then the same request again; it is counted apart, as "claim (shed)"."""
        while True:
            with self.client.post(url, headers=headers, name="claim", catch_response=True) as r:
                if r.status_code != 503 or _problem_type(r) != "overloaded":
                    self.expect(r, CLAIM_OK)
                    return r
                r.request_meta["name"] = "claim (shed)"
                r.success()
            gevent.sleep(float(r.headers.get("retry-after", "1")))


class Redeemer(BenchUser):
    weight = 28
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        keys = PLAN["merchant_keys"]
        self.key = keys[random.randrange(len(keys))]
        self.till = f"u-{random.getrandbits(40):010x}"
        self.terminal = ""
        self.used: list[str] = []  # codes this user redeemed (201)
        self.n = 0

    def _post(self, path: str, code: str, key: str, name: str):
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Idempotency-Key": key,
            "X-Terminal-Id": self.terminal,
        }
        return self.client.post(
            path, json={"code": code}, headers=headers, name=name, catch_response=True
        )

    @task
    def redeem(self) -> None:
        code = _take("codes")
        if code is None:
            self.done()
        self.n += 1
        key = f"{self.till}-{self.n}"
        # Vouchers are shown at one of many gates and tills, not all at one: the guessing
        # throttle (10 failed checks a minute per terminal) must not see one busy terminal.
        self.terminal = f"t-{random.randrange(TERMINALS):03d}"
        roll = random.random()
        if roll < 0.2:  # the till shows the voucher before taking it
            with self._post("/v1/codes/verify", code, key, "verify") as r:
                self.expect(r, {200})
        with self._post("/v1/redemptions", code, key, "redeem") as r:
            self.expect(r, REDEEM_OK)
            redeemed = r.status_code == 201
        if roll < 0.05:  # the POS network retried: same key, the same answer
            with self._post("/v1/redemptions", code, key, "redeem") as r:
                self.expect(r, {201})
        elif roll < 0.08 and self.used:  # a code shown a second time: must be refused
            with self._post("/v1/redemptions", self.used[-1], key + "-again", "redeem") as r:
                if r.status_code == 201:
                    r.failure("a used code was accepted")
                else:
                    self.expect(r, {409})
        elif roll < 0.09:  # a forged code (one character changed): must be refused
            forged = code[:40] + ("0" if code[40] != "0" else "1") + code[41:]
            with self._post("/v1/redemptions", forged, key + "-f", "redeem forged") as r:
                if r.status_code == 201:
                    r.failure("a forged code was accepted")
                else:
                    self.expect(r, {422})
        if redeemed:
            self.used.append(code)


class OpsWatcher(HttpUser):
    """Not a BenchUser: it polls until the others are done."""

    weight = 2
    fixed_count = 2
    wait_time = between(0.5, 1.5)

    @task
    def watch(self) -> None:
        headers = {"Authorization": f"Bearer {PLAN['ops_token']}"}
        campaign = PLAN["claim_campaign"]
        self.client.get(f"/v1/ops/campaigns/{campaign}/stats", headers=headers, name="ops stats")
        self.client.get(
            f"/v1/ops/campaigns/{campaign}/windows", headers=headers, name="ops windows"
        )
        self.client.get("/v1/ops/overview", headers=headers, name="ops overview")
