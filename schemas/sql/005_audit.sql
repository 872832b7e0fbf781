-- Every operations action: who, when, what, on what, and the state before and after.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    before     jsonb,
    after      jsonb,
    request_id text
);
CREATE INDEX audit_log_target ON audit_log (target, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- The request id of the HTTP call that admitted a claim or made a redemption follows it
-- through the log into these rows (and the JSON logs), so one search finds its whole path.
ALTER TABLE vouchers ADD COLUMN request_id text;
ALTER TABLE ledger ADD COLUMN request_id text;

-- Operations can revoke an unredeemed voucher (fraud, error); the reason is kept.
ALTER TABLE vouchers ADD COLUMN revoked_at timestamptz, ADD COLUMN revoked_reason text;
