-- Short codes a cashier can type (engine.domain.short_codes): derived from the full code,
-- so only an index of the SHA-256 prefix they are looked up by is kept, and every voucher
-- issued before this migration has one too.

-- Immutable as SHA-256 of a text is, so PostgreSQL may index it.
CREATE FUNCTION voucher_short_key(code text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN substring(sha256(convert_to(code, 'UTF8')) FOR 7);

CREATE INDEX vouchers_short_key ON vouchers (voucher_short_key(code));
