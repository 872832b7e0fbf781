"""Schemathesis against the served OpenAPI document, for every operation and role.

Generated requests (valid and invalid per the schema) must never get a 5xx, every error
must be a problem+json, and a rejected request must not change what PostgreSQL holds.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from engine.adapters.redis import Redis
from engine.events import CLAIM_ADMITTED, VOUCHER_REDEEMED, VOUCHER_REVERSED
from tests.helpers.waiting import applied_until_now

# What a refused request must not change: rows added to or removed from these tables,
# and a voucher or a merchant key revoked. Counted by row triggers into one row while the
# module runs, so a read costs one lookup (counting the tables took most of this test once
# earlier tests had left 200,000 workers behind).
WATCHED = (
    "campaigns", "campaign_versions", "merchants", "merchant_keys", "stores", "workers",
    "vouchers", "ledger", "cap_groups", "partner_codes", "lottery_registrations",
    "merchant_webhooks",
)  # fmt: skip
INSTALL = (
    """
CREATE TABLE fuzz_changes (n bigint NOT NULL);
INSERT INTO fuzz_changes VALUES (0);
CREATE FUNCTION fuzz_bump() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN UPDATE fuzz_changes SET n = n + 1; RETURN NULL; END $$;
"""
    + "".join(
        f"CREATE TRIGGER fuzz_rows AFTER INSERT OR DELETE ON {t}"
        " FOR EACH ROW EXECUTE FUNCTION fuzz_bump();\n"
        for t in WATCHED
    )
    + "".join(
        f"CREATE TRIGGER fuzz_revoked AFTER UPDATE OF revoked_at ON {t} FOR EACH ROW"
        " WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION fuzz_bump();\n"
        for t in ("vouchers", "merchant_keys")
    )
)
UNINSTALL = (
    "".join(f"DROP TRIGGER fuzz_rows ON {t};\n" for t in WATCHED)
    + """
DROP TRIGGER fuzz_revoked ON vouchers; DROP TRIGGER fuzz_revoked ON merchant_keys;
DROP FUNCTION fuzz_bump(); DROP TABLE fuzz_changes;
"""
)


@pytest.fixture(scope="module")
def fingerprint(settings_):
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(settings_.database_url.get_secret_value()))

    def read() -> int:
        return int(loop.run_until_complete(conn.fetchval("SELECT n FROM fuzz_changes")))

    # Earlier tests' claims may still be on their way to vouchers (issuance is
    # asynchronous, slower on a loaded machine): start once the log is applied up to now.
    async def log_applied() -> None:
        redis = Redis.from_settings(settings_, 4)
        try:
            for name in (CLAIM_ADMITTED, VOUCHER_REDEEMED, VOUCHER_REVERSED):
                await applied_until_now(redis, settings_, name)
        finally:
            await redis.close()

    loop.run_until_complete(log_applied())
    loop.run_until_complete(conn.execute(INSTALL))
    yield read
    loop.run_until_complete(conn.execute(UNINSTALL))
    loop.run_until_complete(conn.close())
    loop.close()


def test_the_fingerprint_sees_a_change(fingerprint, settings_):
    """The check can fail: a row added to a watched table moves the fingerprint."""
    before = fingerprint()

    async def add_cap_group() -> None:
        conn = await asyncpg.connect(settings_.database_url.get_secret_value())
        try:
            await conn.execute(
                "INSERT INTO cap_groups (id, period, max_fen) VALUES ('fuzz-probe', 'day', 1)"
            )
        finally:
            await conn.close()

    asyncio.run(add_cap_group())
    assert fingerprint() == before + 1


@pytest.fixture(scope="module")
def settings_(stack_env):
    from engine.settings import Settings

    return Settings.from_env(stack_env)


@pytest.fixture(scope="module")
def credentials(stack_env, engine):
    """A worker token, a merchant key and the ops token, made through the API."""
    import httpx

    from engine.domain.tokens import mint_worker_token
    from engine.keyfiles import load_worker_token_keys
    from engine.settings import Settings

    s = Settings.from_env(stack_env)
    ops = {"Authorization": f"Bearer {s.ops_token.get_secret_value()}"}
    with httpx.Client(base_url=engine.base_url, headers=ops) as http:
        merchant = http.post("/v1/merchants", json={"id": "fuzz-merchant", "name": "Fuzz"})
        assert merchant.status_code == 201, merchant.text
        http.post("/v1/workers", json={"id": "fuzz-worker", "category": "courier"})

    token = mint_worker_token(
        load_worker_token_keys(s.worker_token_keys_file),
        "fuzz-worker",
        int(time.time()),
        3600,
    )
    return {
        "anonymous": {},
        "worker": {"Authorization": f"Bearer {token}"},
        "merchant": {"Authorization": f"Bearer {merchant.json()['api_key']}"},
        "ops": ops,
    }


OPENAPI = Path(__file__).parents[2] / "schemas" / "openapi.json"
schema = schemathesis.openapi.from_path(OPENAPI)


async def test_the_served_document_is_the_one_fuzzed(http):
    served = (await http.get("/openapi.json")).json()
    assert served == json.loads(OPENAPI.read_text())


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_generated_requests(case, engine, credentials, fingerprint):
    # Read once, then again only where a request may have changed something: a refused
    # request's 'after' is the next one's 'before' (the reads are most of this test).
    before = fingerprint()
    for role in ("anonymous", "worker", "merchant", "ops"):
        headers = dict(case.headers or {}) | credentials[role]
        response = case.call(base_url=engine.base_url, headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            assert response.headers["content-type"] == ["application/problem+json"], (
                role,
                response.text,
            )
            body = response.json()
            assert body["status"] == response.status_code and body["type"] and body["title"]
            assert fingerprint() == before, f"{role}: a {response.status_code} changed state"
        else:
            before = fingerprint()
