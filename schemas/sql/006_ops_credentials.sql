-- Named, revocable credentials for operations staff: the audit log names the person
-- behind each action. Only a SHA-256 of the token is kept; the token is shown once.
CREATE TABLE ops_credentials (
    credential_id text PRIMARY KEY,
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
