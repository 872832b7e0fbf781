-- Merchants' webhooks and an outbox of deliveries, retried with backoff until delivered.

CREATE TABLE merchant_webhooks (
    merchant_id text PRIMARY KEY REFERENCES merchants (id),
    url         text NOT NULL,
    secret      text NOT NULL,  -- HMAC key shared with the merchant; never returned again
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    merchant_id     text NOT NULL REFERENCES merchants (id),
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    body            text NOT NULL,  -- the exact bytes signed and sent
    status          text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (merchant_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
