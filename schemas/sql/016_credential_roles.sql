-- What a named credential may do: everything operations do ('ops'), one of the two
-- payout duties (the finance staff who prepare batches, and those who approve them), or
-- read one co-funding payer's own statements ('payer', naming the payer).
ALTER TABLE ops_credentials
    ADD COLUMN role text NOT NULL DEFAULT 'ops'
        CHECK (role IN ('ops', 'payout-preparer', 'payout-approver', 'payer')),
    ADD COLUMN payer_id text,
    ADD CHECK ((role = 'payer') = (payer_id IS NOT NULL));
