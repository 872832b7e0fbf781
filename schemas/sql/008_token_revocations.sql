-- A worker's tokens issued before `revoked_before` no longer count (a lost phone, a
-- closed account). Every API process reads the rows changed since its last look, once a
-- second, so a revocation holds everywhere within about a second.
CREATE TABLE token_revocations (
    worker_id      text PRIMARY KEY REFERENCES workers (id),
    revoked_before bigint NOT NULL,  -- unix seconds
    changed_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX token_revocations_changed ON token_revocations (changed_at);
