-- The cash-out watch (套现, 刷单): the redemptions it has seen, as its rules read them
-- (derived from the log, rebuildable from the ledger), its thresholds, and the cases it
-- opens for review, which may hold the settlement of the merchants in their evidence.

CREATE TABLE watch_redemptions (
    redemption_id      text PRIMARY KEY,
    campaign_id        text NOT NULL,
    serial             integer NOT NULL,
    merchant_id        text NOT NULL,
    store_id           text NOT NULL DEFAULT '',
    terminal_id        text NOT NULL DEFAULT '',
    worker_id          text NOT NULL DEFAULT '',
    amount_fen         integer NOT NULL,
    balance_before_fen integer NOT NULL,
    stored_value       boolean NOT NULL,
    redeemed_at        timestamptz NOT NULL
);
CREATE INDEX watch_redemptions_at ON watch_redemptions (redeemed_at);
CREATE INDEX watch_redemptions_store ON watch_redemptions (merchant_id, store_id, redeemed_at);
CREATE INDEX watch_redemptions_worker ON watch_redemptions (worker_id, redeemed_at);
CREATE INDEX watch_redemptions_terminal ON watch_redemptions (terminal_id, redeemed_at)
    WHERE terminal_id <> '';

-- A reversal may arrive before its redemption (another topic): kept on its own.
CREATE TABLE watch_reversals (
    reversal_id   text PRIMARY KEY,
    redemption_id text NOT NULL,
    reversed_at   timestamptz NOT NULL
);
CREATE INDEX watch_reversals_of ON watch_reversals (redemption_id);

-- One row: the thresholds operations set (engine/domain/cashout.py's Thresholds).
CREATE TABLE watch_thresholds (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    thresholds jsonb NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE watch_cases (
    case_id     text PRIMARY KEY,
    rule        text NOT NULL,
    subject     text NOT NULL,  -- store:<merchant>/<store>, terminal:<id>, worker:<id>
    merchants   text[] NOT NULL,  -- of the evidence: whose settlement a hold stops
    evidence    text[] NOT NULL,  -- redemption ids
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    hold        boolean NOT NULL DEFAULT false,
    decision    text CHECK (decision IN ('cleared', 'confirmed')),
    note        text,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    closed_by   text,
    CHECK ((status = 'closed') = (decision IS NOT NULL)),
    CHECK (NOT (hold AND status = 'closed'))
);
-- One open case per rule and subject: a new hit adds its evidence to it.
CREATE UNIQUE INDEX watch_cases_open ON watch_cases (rule, subject) WHERE status = 'open';
CREATE INDEX watch_cases_merchants ON watch_cases USING gin (merchants);
