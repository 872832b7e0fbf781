-- Merchants: stores, scoped keys, a hash-chained ledger of redemptions and reversals,
-- and daily settlement statements.

CREATE TABLE stores (
    merchant_id text NOT NULL REFERENCES merchants (id),
    id          text NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, id)
);

-- API keys, each for a merchant and optionally one store; shown once, stored hashed.
CREATE TABLE merchant_keys (
    key_id      text PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    store_id    text,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    FOREIGN KEY (merchant_id, store_id) REFERENCES stores (merchant_id, id)
);
INSERT INTO merchant_keys (key_id, merchant_id, key_hash, created_at)
SELECT 'k-' || id || '-1', id, api_key_hash, created_at FROM merchants;
ALTER TABLE merchants DROP COLUMN api_key_hash;

-- Every redemption and reversal, in order per merchant. Each row's hash covers the
-- previous row's hash, so an edited or deleted row breaks every link after it.
-- hash = sha256(prev_hash|entry_id|kind|merchant_id|seq|campaign_id|serial|amount_fen|occurred_ms)
CREATE TABLE ledger (
    entry_id       text PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('redemption', 'reversal')),
    merchant_id    text NOT NULL REFERENCES merchants (id),
    seq            bigint NOT NULL CHECK (seq > 0),
    campaign_id    text NOT NULL REFERENCES campaigns (id),
    serial         integer NOT NULL,
    amount_fen     integer NOT NULL,  -- positive for a redemption, negative for a reversal
    face_value_fen integer NOT NULL,
    reverses       text,              -- a reversal names the redemption it gives back
    store_id       text,
    terminal_id    text,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    UNIQUE (merchant_id, seq)
);
CREATE INDEX ledger_voucher ON ledger (campaign_id, serial);
CREATE INDEX ledger_day ON ledger (merchant_id, occurred_at);

-- Existing redemptions become the first links of each merchant's chain.
WITH RECURSIVE ordered AS (
    SELECT r.*, row_number() OVER (PARTITION BY merchant_id
                                   ORDER BY recorded_at, redemption_id) AS seq,
           (extract(epoch FROM redeemed_at) * 1000)::bigint AS occurred_ms
    FROM redemptions r
), chain AS (
    SELECT o.*, repeat('0', 64) AS prev_hash,
           encode(sha256(convert_to(concat_ws('|', repeat('0', 64), o.redemption_id, 'redemption',
               o.merchant_id, o.seq, o.campaign_id, o.serial, o.face_value_fen, o.occurred_ms),
               'UTF8')), 'hex') AS hash
    FROM ordered o WHERE o.seq = 1
    UNION ALL
    SELECT o.*, c.hash,
           encode(sha256(convert_to(concat_ws('|', c.hash, o.redemption_id, 'redemption',
               o.merchant_id, o.seq, o.campaign_id, o.serial, o.face_value_fen, o.occurred_ms),
               'UTF8')), 'hex')
    FROM ordered o JOIN chain c ON o.merchant_id = c.merchant_id AND o.seq = c.seq + 1
)
INSERT INTO ledger (entry_id, kind, merchant_id, seq, campaign_id, serial, amount_fen,
                    face_value_fen, occurred_at, recorded_at, prev_hash, hash)
SELECT redemption_id, 'redemption', merchant_id, seq, campaign_id, serial, face_value_fen,
       face_value_fen, redeemed_at, recorded_at, prev_hash, hash
FROM chain;

DROP TABLE redemptions;
CREATE VIEW redemptions AS
SELECT entry_id AS redemption_id, campaign_id, serial, merchant_id, amount_fen, face_value_fen,
       store_id, terminal_id, occurred_at AS redeemed_at, recorded_at
FROM ledger WHERE kind = 'redemption';

-- The head of each merchant's chain, locked while a batch of entries is appended.
CREATE TABLE ledger_heads (
    merchant_id text PRIMARY KEY REFERENCES merchants (id),
    seq         bigint NOT NULL,
    hash        text NOT NULL
);
INSERT INTO ledger_heads (merchant_id, seq, hash)
SELECT DISTINCT ON (merchant_id) merchant_id, seq, hash FROM ledger
ORDER BY merchant_id, seq DESC;

-- Daily statements per merchant (days in Asia/Shanghai), rebuilt from the ledger.
CREATE TABLE settlement_days (
    merchant_id      text NOT NULL REFERENCES merchants (id),
    day              date NOT NULL,
    redemptions      integer NOT NULL,
    redeemed_fen     bigint NOT NULL,
    reversals        integer NOT NULL,
    reversed_fen     bigint NOT NULL,
    net_fen          bigint NOT NULL,  -- what the union owes the merchant for the day
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, day)
);
