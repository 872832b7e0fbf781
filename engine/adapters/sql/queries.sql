-- name: insert_campaign
INSERT INTO campaigns (id, name, quota, face_value_fen, per_worker_limit, claim_opens_at,
                       claim_closes_at, valid_until, eligible_categories)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO NOTHING
RETURNING number;

-- name: enrol_merchants
INSERT INTO campaign_merchants (campaign_id, merchant_id)
SELECT $1, unnest($2::text[])
ON CONFLICT DO NOTHING;

-- name: get_campaign
SELECT c.*, coalesce(array_agg(m.merchant_id ORDER BY m.merchant_id)
                     FILTER (WHERE m.merchant_id IS NOT NULL), '{}') AS merchants
FROM campaigns c LEFT JOIN campaign_merchants m ON m.campaign_id = c.id
WHERE c.id = $1
GROUP BY c.id;

-- name: campaign_by_number
SELECT id FROM campaigns WHERE number = $1;

-- name: existing_merchants
SELECT id FROM merchants WHERE id = ANY($1::text[]);

-- name: insert_merchant
INSERT INTO merchants (id, name, api_key_hash) VALUES ($1, $2, $3)
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: merchant_by_key_hash
SELECT id FROM merchants WHERE api_key_hash = $1;

-- name: upsert_worker
INSERT INTO workers (id, category, profile) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, profile = EXCLUDED.profile
RETURNING (xmax = 0) AS created;

-- name: upsert_workers
INSERT INTO workers (id, category, profile)
SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, profile = EXCLUDED.profile;

-- name: get_worker
SELECT id, category, profile FROM workers WHERE id = $1;

-- name: upsert_vouchers
-- A replayed event keeps the first row; RETURNING hands back the stored code either way.
INSERT INTO vouchers (claim_id, campaign_id, serial, worker_id, face_value_fen, key_id, code,
                      valid_until, admitted_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::int[],
                     $7::text[], $8::timestamptz[], $9::timestamptz[])
ON CONFLICT (claim_id) DO UPDATE SET claim_id = vouchers.claim_id
RETURNING claim_id, code;

-- name: voucher_by_claim
SELECT v.*, r.redemption_id IS NOT NULL AS redeemed
FROM vouchers v LEFT JOIN redemptions r USING (campaign_id, serial)
WHERE v.claim_id = $1;

-- name: vouchers_of_worker
SELECT v.*, r.redemption_id IS NOT NULL AS redeemed
FROM vouchers v LEFT JOIN redemptions r USING (campaign_id, serial)
WHERE v.worker_id = $1
ORDER BY v.issued_at, v.claim_id
LIMIT 1000;

-- name: insert_redemptions
INSERT INTO redemptions (redemption_id, campaign_id, serial, merchant_id, face_value_fen,
                         redeemed_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[],
                     $6::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING redemption_id;

-- name: campaign_books
SELECT (SELECT count(*) FROM vouchers WHERE campaign_id = $1) AS vouchers,
       (SELECT count(DISTINCT code) FROM vouchers WHERE campaign_id = $1) AS distinct_codes,
       (SELECT count(*) FROM redemptions WHERE campaign_id = $1) AS redemptions;
