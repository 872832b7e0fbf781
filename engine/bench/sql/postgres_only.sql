-- The PostgreSQL-only alternative a team would build without Redis and the log.

-- name: schema
CREATE TABLE IF NOT EXISTS bench_pg_campaigns (
  id        text PRIMARY KEY,
  quota     integer NOT NULL,
  remaining integer NOT NULL CHECK (remaining >= 0)
);
CREATE TABLE IF NOT EXISTS bench_pg_claims (
  campaign_id     text NOT NULL REFERENCES bench_pg_campaigns (id),
  worker_id       text NOT NULL,
  idempotency_key text NOT NULL,
  claimed_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, worker_id)
);

-- name: create_campaign
INSERT INTO bench_pg_campaigns (id, quota, remaining) VALUES ($1, $2, $2);

-- name: take_one
UPDATE bench_pg_campaigns SET remaining = remaining - 1
WHERE id = $1 AND remaining > 0
RETURNING remaining;

-- name: insert_claim
INSERT INTO bench_pg_claims (campaign_id, worker_id, idempotency_key) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING worker_id;

-- name: claim_key
SELECT idempotency_key FROM bench_pg_claims WHERE campaign_id = $1 AND worker_id = $2;

-- name: books
SELECT c.quota, c.remaining,
       (SELECT count(*) FROM bench_pg_claims WHERE campaign_id = c.id) AS claims
FROM bench_pg_campaigns c WHERE c.id = $1;
