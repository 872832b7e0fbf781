-- Cash subsidies paid to workers in batches: one payout per approved claim of a payout
-- campaign, grouped into batches that one operator prepares and another approves; each
-- batch's lines are what its payment file said and what the bank answered.

CREATE TABLE payout_batches (
    batch_id     text PRIMARY KEY,
    campaign_id  text NOT NULL REFERENCES campaigns (id),
    state        text NOT NULL DEFAULT 'prepared'
                 CHECK (state IN ('prepared', 'approved', 'exported', 'settled')),
    prepared_by  text NOT NULL,
    approved_by  text CHECK (approved_by IS DISTINCT FROM prepared_by),
    file_sha256  text,  -- the payment file's digest, fixed at its first export
    prepared_at  timestamptz NOT NULL DEFAULT now(),
    changed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payouts (
    payout_id   text PRIMARY KEY REFERENCES vouchers (claim_id),  -- the claim paid out
    campaign_id text NOT NULL REFERENCES campaigns (id),
    serial      integer NOT NULL,
    worker_id   text NOT NULL,
    account     text NOT NULL,
    amount_fen  integer NOT NULL CHECK (amount_fen > 0),
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'in_batch', 'paid', 'failed', 'cancelled')),
    batch_id    text REFERENCES payout_batches (batch_id),
    failure     text,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_by_state ON payouts (campaign_id, state);

CREATE TABLE payout_lines (
    batch_id   text NOT NULL REFERENCES payout_batches (batch_id),
    payout_id  text NOT NULL REFERENCES payouts (payout_id),
    worker_id  text NOT NULL,
    account    text NOT NULL,
    amount_fen integer NOT NULL,
    result     text CHECK (result IN ('paid', 'failed')),
    reason     text,
    PRIMARY KEY (batch_id, payout_id)
);
