-- The system of record. Redis counters can be rebuilt from these tables.

CREATE TABLE campaigns (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    number              integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    name                text NOT NULL,
    quota               integer NOT NULL CHECK (quota > 0),
    face_value_fen      integer NOT NULL CHECK (face_value_fen > 0),
    per_worker_limit    integer NOT NULL CHECK (per_worker_limit > 0),
    claim_opens_at      timestamptz NOT NULL,
    claim_closes_at     timestamptz NOT NULL,
    valid_until         timestamptz NOT NULL,
    eligible_categories text[] NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (claim_closes_at > claim_opens_at),
    CHECK (valid_until >= claim_closes_at)
);

CREATE TABLE merchants (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    api_key_hash bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaign_merchants (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    merchant_id text NOT NULL REFERENCES merchants (id),
    PRIMARY KEY (campaign_id, merchant_id)
);

CREATE TABLE workers (
    id         text PRIMARY KEY,
    category   text NOT NULL,
    profile    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per acknowledged claim; claim_id makes a replayed event a no-op.
CREATE TABLE vouchers (
    claim_id        text PRIMARY KEY,
    campaign_id     text NOT NULL REFERENCES campaigns (id),
    serial          integer NOT NULL,
    worker_id       text NOT NULL,
    face_value_fen  integer NOT NULL,
    key_id          integer NOT NULL,
    code            text NOT NULL UNIQUE,
    valid_until     timestamptz NOT NULL,
    admitted_at     timestamptz NOT NULL,
    issued_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, serial)
);
CREATE INDEX vouchers_worker ON vouchers (worker_id);

-- The redemption ledger: at most one redemption per voucher.
CREATE TABLE redemptions (
    redemption_id  text PRIMARY KEY,
    campaign_id    text NOT NULL REFERENCES campaigns (id),
    serial         integer NOT NULL,
    merchant_id    text NOT NULL REFERENCES merchants (id),
    face_value_fen integer NOT NULL,
    redeemed_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, serial)
);
