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
SELECT c.quota, c.quota - c.remaining AS taken,
       (SELECT count(*) FROM bench_pg_claims WHERE campaign_id = c.id) AS claims
FROM bench_pg_campaigns c WHERE c.id = $1;

-- The strongest PostgreSQL-only variant: the stock split over 16 rows, a claim taking
-- a unit from a row no other transaction holds (FOR UPDATE SKIP LOCKED), starting at a
-- random row so concurrent claims spread; only when every row with stock is held does it
-- wait for one (take_one_waiting), so it never answers sold out while a unit is left.

-- name: schema_16
CREATE TABLE IF NOT EXISTS bench_pg_stock (
  campaign_id text NOT NULL REFERENCES bench_pg_campaigns (id),
  shard       integer NOT NULL,
  remaining   integer NOT NULL CHECK (remaining >= 0),
  PRIMARY KEY (campaign_id, shard)
);

-- name: create_stock_16
INSERT INTO bench_pg_stock (campaign_id, shard, remaining)
SELECT $1, s, $2 / 16 + CASE WHEN s < $2 % 16 THEN 1 ELSE 0 END FROM generate_series(0, 15) s;

-- name: take_one_skip_locked
WITH row AS (
  SELECT shard FROM bench_pg_stock
  WHERE campaign_id = $1 AND remaining > 0
  ORDER BY (shard + $2) % 16
  LIMIT 1 FOR UPDATE SKIP LOCKED
)
UPDATE bench_pg_stock s SET remaining = s.remaining - 1 FROM row
WHERE s.campaign_id = $1 AND s.shard = row.shard
RETURNING s.remaining;

-- name: take_one_waiting
WITH row AS (
  SELECT shard FROM bench_pg_stock
  WHERE campaign_id = $1 AND remaining > 0
  LIMIT 1 FOR UPDATE
)
UPDATE bench_pg_stock s SET remaining = s.remaining - 1 FROM row
WHERE s.campaign_id = $1 AND s.shard = row.shard AND s.remaining > 0
RETURNING s.remaining;

-- name: books_16
SELECT c.quota, c.quota - (SELECT sum(remaining) FROM bench_pg_stock WHERE campaign_id = c.id)
         AS taken,
       (SELECT count(*) FROM bench_pg_claims WHERE campaign_id = c.id) AS claims
FROM bench_pg_campaigns c WHERE c.id = $1;

-- name: stock_left_16
SELECT coalesce(sum(remaining), 0) FROM bench_pg_stock WHERE campaign_id = $1;
