"""A worker's tokens can be revoked: the next request with one is refused by the process
that revoked it, and by every other API process once it has looked (about a second)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from engine.adapters import postgres
from engine.domain.clock import SystemClock
from engine.domain.mac_keys import MacKeys
from engine.domain.tokens import mint_worker_token, verify_worker_token
from engine.errors import Unauthorized
from engine.keyfiles import worker_token_keys_of
from engine.usecases.worker_tokens import WorkerTokens
from tests.helpers.inprocess import TEST_ACTOR
from tests.helpers.waiting import wait_for


async def test_revoked_tokens_stop_at_once_and_new_ones_work(http, factory):
    (worker,) = await factory.workers(1)
    minted = await http.post(f"/v1/workers/{worker}/token", headers=factory.ops)
    assert minted.status_code == 200, minted.text
    old = {"Authorization": f"Bearer {minted.json()['token']}"}
    assert (await http.get("/v1/me/vouchers", headers=old)).status_code == 200

    # A second token the app minted before the revoke (in its second at the latest; a
    # token minted after it in the same second is revoked too, tokens carry whole seconds).
    issued_before = int(time.time())
    r = await http.post(f"/v1/workers/{worker}/tokens/revoke", headers=factory.ops)
    assert r.status_code == 204
    refused = await http.get("/v1/me/vouchers", headers=old)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    minted_before = factory.token(worker, issued_at=issued_before)
    also_refused = await http.get(
        "/v1/me/vouchers", headers={"Authorization": f"Bearer {minted_before}"}
    )
    assert also_refused.status_code == 401

    async def a_new_token_works() -> bool:
        again = await http.post(f"/v1/workers/{worker}/token", headers=factory.ops)
        new = {"Authorization": f"Bearer {again.json()['token']}"}
        return (await http.get("/v1/me/vouchers", headers=new)).status_code == 200

    await wait_for(a_new_token_works, timeout_s=5)
    audit = await http.get(
        "/v1/ops/audit", params={"target": f"worker:{worker}"}, headers=factory.ops
    )
    assert "worker.tokens_revoke" in [e["action"] for e in audit.json()["entries"]]
    nobody = await http.post("/v1/workers/nobody-at-all/tokens/revoke", headers=factory.ops)
    assert nobody.status_code == 404


async def test_another_process_learns_of_a_revocation_when_it_looks(settings, factory):
    (worker,) = await factory.workers(1)
    db = await postgres.connect(settings.database_url.get_secret_value(), 2)
    keys = worker_token_keys_of(settings)
    try:
        here, there = (
            WorkerTokens(keys=keys, records=db, clock=SystemClock(), ttl_s=600) for _ in range(2)
        )
        await there.refresh()
        token, _ = await here.mint(worker, TEST_ACTOR)
        assert there.verify(token, time.time()).worker_id == worker
        await here.revoke(worker, TEST_ACTOR)
        assert there.verify(token, time.time()).worker_id == worker  # it has not looked yet
        assert await there.refresh() >= 1
        with pytest.raises(Unauthorized):
            there.verify(token, time.time())
    finally:
        await db.close()


def test_worker_token_keys_rotate_and_retire_from_the_command_line(stack_env, tmp_path):
    keyfile = tmp_path / "worker-token-keys.json"
    keyfile.write_text(MacKeys.new("t").to_json())
    env = {**os.environ, **stack_env, "NUANXIN_WORKER_TOKEN_KEYS_FILE": str(keyfile)}

    def nuanxin(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "engine.cli.main", "keys", *args]
        return subprocess.run(
            argv, check=False, env=env, capture_output=True, text=True, timeout=60
        )

    old = mint_worker_token(MacKeys.from_json(keyfile.read_text()), "w-1", 0, 10**10)
    assert nuanxin("rotate", "--kind", "worker-tokens").returncode == 0
    rotated = MacKeys.from_json(keyfile.read_text())
    assert (rotated.active, sorted(rotated.keys)) == ("t2", ["t1", "t2"])
    assert verify_worker_token(rotated, old, time.time()).worker_id == "w-1"
    refused = nuanxin("retire", "t2", "--kind", "worker-tokens")
    assert refused.returncode == 2 and "rotate first" in refused.stderr
    assert nuanxin("retire", "t1", "--kind", "worker-tokens").returncode == 0
    retired = MacKeys.from_json(keyfile.read_text())
    assert sorted(retired.keys) == ["t2"]
    with pytest.raises(Unauthorized):
        verify_worker_token(retired, old, time.time())
