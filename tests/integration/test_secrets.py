"""Secrets never reach logs or error bodies, and no key material is committed.

Runs a full sequence (merchant keys, worker tokens, redemptions, refused credentials,
a webhook secret) and then reads every log the session's API and stream workers wrote.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from engine.keyfiles import event_keys_of, keyring_of, worker_token_keys_of
from engine.settings import Settings
from tests.helpers.api import RECEIVER_HOST, redeemable_code

REPO = Path(__file__).parents[2]


def _secrets(settings: Settings) -> dict[str, str]:
    ring = keyring_of(settings)
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw
    found = {
        "ops token": settings.ops_token.get_secret_value(),
        "database password": settings.database_url.get_secret_value().split(":")[2].split("@")[0],
    }
    for kid, key in ring.private_keys.items():
        seed = key.private_bytes(*raw, serialization.NoEncryption())
        found[f"signing key {kid}"] = base64.b64encode(seed).decode()
    for kid, key in event_keys_of(settings).keys.items():
        found[f"event key {kid}"] = base64.b64encode(key).decode()
    for kid, key in worker_token_keys_of(settings).keys.items():
        found[f"worker token key {kid}"] = base64.b64encode(key).decode()
    return found


async def test_secrets_stay_out_of_logs_and_error_bodies(http, factory, engine, settings, db):
    merchant, api_key = await factory.merchant()
    campaign = await factory.campaign(merchants=[merchant])
    (worker,) = await factory.workers(1)
    token = factory.token(worker)
    secrets = _secrets(settings) | {"merchant API key": api_key, "worker token": token}
    bodies = []
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "s"},
    )
    assert r.status_code == 201
    claim_id = r.json()["claim_id"]
    code = await redeemable_code(http, factory, worker, claim_id)
    pos = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "s", "X-Terminal-Id": "t"}
    assert (await http.post("/v1/redemptions", json={"code": code}, headers=pos)).status_code == 201
    hook = await http.put(
        f"/v1/merchants/{merchant}/webhook",
        json={"url": f"http://{RECEIVER_HOST}:9/hook"},
        headers=factory.ops,
    )
    secrets["webhook secret"] = hook.json()["secret"]
    # Refused credentials, each a secret a careless log line would print.
    for headers in (
        {"Authorization": f"Bearer {api_key}x"},
        {"Authorization": f"Bearer {token}x"},
        {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}x"},
        {"Authorization": f"Basic {api_key}"},
    ):
        for method, url in (
            ("POST", "/v1/redemptions"),
            ("POST", f"/v1/campaigns/{campaign['id']}/claims"),
            ("GET", "/v1/ops/overview"),
        ):
            r = await http.request(method, url, headers=headers, json={"code": code})
            assert r.status_code in (401, 403), r.text
            bodies.append(r.text)
    logs = "".join(p.read_text(errors="replace") for p in sorted(engine.logs.glob("*.log")))
    # Every refusal was logged (with its request id), so the logs did see these requests.
    for body in bodies:
        assert json.loads(body)["request_id"] in logs
    for name, secret in secrets.items():
        assert len(secret) >= 16, name
        assert secret not in logs, f"the {name} appears in a log"
        assert not any(secret in body for body in bodies), f"the {name} appears in an answer"


def test_no_key_material_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [f for f in tracked if f.endswith((".pem", ".key")) or "signing-keys" in f]
    for name in tracked:
        path = REPO / name
        if not path.is_file() or path.suffix in (".png", ".js"):
            continue
        text = path.read_text(errors="replace")
        assert "-----BEGIN PRIVATE KEY-----" not in text or name.startswith("tests/"), name
