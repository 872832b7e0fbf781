-- A lottery publishes one salted hash per registrant instead of worker ids: each worker
-- finds their own entry (the registration answer names it), nobody learns who registered
-- (for hardship-gated programmes that would reveal who is in hardship).
ALTER TABLE lottery_registrations
    ADD COLUMN salt text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text);
