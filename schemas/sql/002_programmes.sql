-- Programme rules: lifecycle, versions, budgets, limits, waves, lotteries, pools, expiry.

ALTER TABLE campaigns
    ADD COLUMN status  text NOT NULL DEFAULT 'open'
        CHECK (status IN ('draft', 'scheduled', 'open', 'paused', 'closed')),
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    -- budget, face value range, period limit, cap group, rules, waves, lottery, pool
    ADD COLUMN options jsonb NOT NULL DEFAULT '{}';

-- Every definition a campaign has had; a voucher names the version it was issued under.
CREATE TABLE campaign_versions (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    version     integer NOT NULL,
    definition  jsonb NOT NULL,
    changed_by  text NOT NULL DEFAULT 'ops',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, version)
);

-- A cap per worker and period across several campaigns (e.g. 200 yuan a month).
CREATE TABLE cap_groups (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    period     text NOT NULL CHECK (period IN ('day', 'week', 'month')),
    max_fen    integer NOT NULL CHECK (max_fen > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Codes supplied by a partner (data cards, ride coupons); each goes to one claim.
CREATE TABLE partner_codes (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    code        text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, code)
);

CREATE TABLE lottery_registrations (
    campaign_id   text NOT NULL REFERENCES campaigns (id),
    worker_id     text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, worker_id)
);

-- The published facts of a draw: commitment first, seed and winners at the draw.
CREATE TABLE lottery_draws (
    campaign_id         text PRIMARY KEY REFERENCES campaigns (id),
    commitment          text NOT NULL,
    registrants_digest  text NOT NULL,
    registrants         integer NOT NULL,
    stock               integer NOT NULL,
    seed_hex            text,  -- secret until the draw
    winners             text[],
    committed_at        timestamptz NOT NULL DEFAULT now(),
    drawn_at            timestamptz
);

ALTER TABLE vouchers
    ADD COLUMN campaign_version integer NOT NULL DEFAULT 1,
    ADD COLUMN partner_code     text,
    ADD COLUMN expired_at       timestamptz;
CREATE UNIQUE INDEX vouchers_partner_code ON vouchers (campaign_id, partner_code)
    WHERE partner_code IS NOT NULL;
CREATE INDEX vouchers_expiring ON vouchers (valid_until) WHERE expired_at IS NULL;
