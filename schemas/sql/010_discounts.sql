-- Discount vouchers (percent_off, threshold, free): a redemption carries the order it was
-- granted on, and its amount is the discount granted (what the merchant is paid).

-- The order a discount was granted on; a reversal of it carries the same order.
ALTER TABLE ledger ADD COLUMN order_fen integer CHECK (order_fen > 0);

-- What each row takes from its voucher's balance (engine.domain.vouchers.voucher_use): its
-- amount, except that a discount spends the whole voucher and its reversal gives it back.
ALTER TABLE ledger ADD COLUMN voucher_fen integer GENERATED ALWAYS AS (
    CASE WHEN order_fen IS NULL THEN amount_fen
         ELSE sign(amount_fen)::integer * face_value_fen END
) STORED;
