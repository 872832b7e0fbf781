-- A store's day at the till lists each redemption with what was given back of it: the
-- reversals are found by the redemption they name.
CREATE INDEX ledger_reverses ON ledger (reverses) WHERE reverses IS NOT NULL;
