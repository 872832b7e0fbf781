-- What a chaos run's checker reads of the system of record.

-- name: vouchers
SELECT claim_id, campaign_id, serial, worker_id FROM vouchers WHERE campaign_id = ANY($1::text[]);

-- name: ledger
SELECT entry_id, campaign_id, serial, amount_fen FROM ledger WHERE campaign_id = ANY($1::text[]);
