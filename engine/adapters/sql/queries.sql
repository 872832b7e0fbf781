-- name: insert_campaign
INSERT INTO campaigns (id, name, quota, face_value_fen, per_worker_limit, claim_opens_at,
                       claim_closes_at, valid_until, eligible_categories, status, options)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (id) DO NOTHING
RETURNING number;

-- name: update_campaign
UPDATE campaigns
SET name = $2, quota = $3, face_value_fen = $4, per_worker_limit = $5, claim_opens_at = $6,
    claim_closes_at = $7, valid_until = $8, eligible_categories = $9, options = $10,
    version = version + 1
WHERE id = $1 AND version = $11
RETURNING version;

-- name: insert_campaign_version
INSERT INTO campaign_versions (campaign_id, version, definition) VALUES ($1, $2, $3);

-- name: set_campaign_status
UPDATE campaigns SET status = $2 WHERE id = $1 AND status = $3 RETURNING status;

-- name: insert_cap_group
INSERT INTO cap_groups (id, period, max_fen) VALUES ($1, $2, $3)
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: get_cap_group
SELECT id, period, max_fen FROM cap_groups WHERE id = $1;

-- name: cap_groups
SELECT id, period, max_fen FROM cap_groups ORDER BY id;

-- name: insert_partner_codes
INSERT INTO partner_codes (campaign_id, code)
SELECT $1, unnest($2::text[])
ON CONFLICT DO NOTHING
RETURNING code;

-- name: register_for_lottery
-- The registration's salt: the new one, or the first one on a repeat.
WITH added AS (
    INSERT INTO lottery_registrations (campaign_id, worker_id, salt) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING
    RETURNING salt)
SELECT salt FROM added
UNION ALL
SELECT salt FROM lottery_registrations WHERE campaign_id = $1 AND worker_id = $2
LIMIT 1;

-- name: lottery_salt
SELECT salt FROM lottery_registrations WHERE campaign_id = $1 AND worker_id = $2;

-- name: lottery_registrants
SELECT worker_id, salt FROM lottery_registrations WHERE campaign_id = $1 ORDER BY worker_id;

-- name: insert_lottery_commitment
INSERT INTO lottery_draws (campaign_id, commitment, registrants_digest, registrants, stock,
                           seed_hex)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (campaign_id) DO NOTHING
RETURNING campaign_id;

-- name: record_lottery_draw
UPDATE lottery_draws SET winners = $2, drawn_at = coalesce(drawn_at, now())
WHERE campaign_id = $1;

-- name: get_lottery
SELECT * FROM lottery_draws WHERE campaign_id = $1;

-- name: due_for_expiry
SELECT v.campaign_id, v.serial
FROM vouchers v
WHERE v.valid_until <= $1 AND v.expired_at IS NULL
  AND coalesce((SELECT sum(voucher_fen) FROM ledger l
                WHERE l.campaign_id = v.campaign_id AND l.serial = v.serial), 0)
      < v.face_value_fen
ORDER BY v.valid_until
LIMIT $2;

-- name: mark_expired
UPDATE vouchers v SET expired_at = now()
FROM unnest($1::text[], $2::int[]) AS e(campaign_id, serial)
WHERE v.campaign_id = e.campaign_id AND v.serial = e.serial AND v.expired_at IS NULL;

-- name: enrol_merchants
INSERT INTO campaign_merchants (campaign_id, merchant_id)
SELECT $1, unnest($2::text[])
ON CONFLICT DO NOTHING;

-- name: keep_only_merchants
-- A new version's list is the whole list: merchants left out stop redeeming.
DELETE FROM campaign_merchants WHERE campaign_id = $1 AND merchant_id <> ALL($2::text[]);

-- name: unenrol_merchant
DELETE FROM campaign_merchants WHERE campaign_id = $1 AND merchant_id = $2
RETURNING merchant_id;

-- name: get_campaign
SELECT c.*, coalesce(array_agg(m.merchant_id ORDER BY m.merchant_id)
                     FILTER (WHERE m.merchant_id IS NOT NULL), '{}') AS merchants
FROM campaigns c LEFT JOIN campaign_merchants m ON m.campaign_id = c.id
WHERE c.id = $1
GROUP BY c.id;

-- name: valid_until_of_version
SELECT definition ->> 'valid_until' FROM campaign_versions WHERE campaign_id = $1 AND version = $2;

-- name: campaign_by_number
SELECT id FROM campaigns WHERE number = $1;

-- name: existing_merchants
SELECT id FROM merchants WHERE id = ANY($1::text[]);

-- name: insert_merchant
INSERT INTO merchants (id, name) VALUES ($1, $2)
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: insert_merchant_key
INSERT INTO merchant_keys (key_id, merchant_id, store_id, key_hash) VALUES ($1, $2, $3, $4);

-- name: revoke_merchant_key
UPDATE merchant_keys SET revoked_at = now()
WHERE key_id = $1 AND merchant_id = $2 AND revoked_at IS NULL
RETURNING key_hash;

-- name: merchant_keys
SELECT key_id, store_id, created_at, revoked_at FROM merchant_keys
WHERE merchant_id = $1 ORDER BY created_at, key_id;

-- name: merchant_by_key_hash
SELECT merchant_id, store_id, key_id FROM merchant_keys
WHERE key_hash = $1 AND revoked_at IS NULL;

-- name: insert_store
INSERT INTO stores (merchant_id, id, name) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: merchant_exists
SELECT 1 FROM merchants WHERE id = $1;

-- name: ensure_ledger_heads
INSERT INTO ledger_heads (merchant_id, seq, hash)
SELECT m, 0, repeat('0', 64) FROM unnest($1::text[]) AS m
ON CONFLICT DO NOTHING;

-- name: lock_ledger_heads
-- Locked in a fixed order, so concurrent batches never deadlock.
SELECT merchant_id, seq, hash FROM ledger_heads
WHERE merchant_id = ANY($1::text[])
ORDER BY merchant_id
FOR UPDATE;

-- name: existing_entries
SELECT entry_id FROM ledger WHERE entry_id = ANY($1::text[]);

-- name: insert_ledger_entries
INSERT INTO ledger (entry_id, kind, merchant_id, seq, campaign_id, serial, amount_fen,
                    face_value_fen, reverses, store_id, terminal_id, occurred_at, prev_hash,
                    hash, request_id, order_fen)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[],
                     $7::int[], $8::int[], $9::text[], $10::text[], $11::text[],
                     $12::timestamptz[], $13::text[], $14::text[], $15::text[], $16::int[]);

-- name: set_ledger_head
UPDATE ledger_heads SET seq = $2, hash = $3 WHERE merchant_id = $1;

-- name: add_to_settlement_days
-- Only entries new to the ledger in the same transaction are added, so a replayed batch
-- adds nothing (its entries are already present).
INSERT INTO settlement_days AS s (merchant_id, day, redemptions, redeemed_fen, reversals,
                                  reversed_fen, net_fen)
SELECT * FROM unnest($1::text[], $2::date[], $3::int[], $4::bigint[], $5::int[],
                     $6::bigint[], $7::bigint[])
ON CONFLICT (merchant_id, day) DO UPDATE
SET redemptions = s.redemptions + EXCLUDED.redemptions,
    redeemed_fen = s.redeemed_fen + EXCLUDED.redeemed_fen,
    reversals = s.reversals + EXCLUDED.reversals,
    reversed_fen = s.reversed_fen + EXCLUDED.reversed_fen,
    net_fen = s.net_fen + EXCLUDED.net_fen, updated_at = now();

-- name: settlements
SELECT merchant_id, day, redemptions, redeemed_fen, reversals, reversed_fen, net_fen
FROM settlement_days
WHERE merchant_id = $1 AND day BETWEEN $2 AND $3
ORDER BY day;

-- name: ledger_chain
SELECT * FROM ledger WHERE ($1::text IS NULL OR merchant_id = $1) ORDER BY merchant_id, seq;

-- name: upsert_workers
-- Only rows that differ are written, so a re-import changes nothing; returns the ids written.
INSERT INTO workers AS w (id, category, profile)
SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, profile = EXCLUDED.profile
WHERE (w.category, w.profile) IS DISTINCT FROM (EXCLUDED.category, EXCLUDED.profile)
RETURNING id, (xmax = 0) AS created;

-- name: get_worker
SELECT id, category, profile FROM workers WHERE id = $1;

-- name: revoke_worker_tokens
INSERT INTO token_revocations (worker_id, revoked_before) VALUES ($1, $2)
ON CONFLICT (worker_id) DO UPDATE
SET revoked_before = greatest(token_revocations.revoked_before, EXCLUDED.revoked_before),
    changed_at = clock_timestamp();

-- name: token_revocations_since
SELECT worker_id, revoked_before, changed_at FROM token_revocations
WHERE changed_at > $1 ORDER BY changed_at;

-- name: upsert_vouchers
-- A replayed event keeps the first row; RETURNING hands back the stored code either way.
INSERT INTO vouchers (claim_id, campaign_id, serial, worker_id, face_value_fen, key_id, code,
                      valid_until, admitted_at, campaign_version, partner_code, request_id,
                      station_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::int[],
                     $7::text[], $8::timestamptz[], $9::timestamptz[], $10::int[], $11::text[],
                     $12::text[], $13::text[])
ON CONFLICT (claim_id) DO UPDATE SET claim_id = vouchers.claim_id
RETURNING claim_id, code;

-- name: voucher_by_claim
SELECT v.*, coalesce(u.used, 0) AS used_fen
FROM vouchers v
LEFT JOIN LATERAL (SELECT sum(voucher_fen) AS used FROM ledger l
                   WHERE l.campaign_id = v.campaign_id AND l.serial = v.serial) u ON true
WHERE v.claim_id = $1;

-- name: vouchers_of_worker
SELECT v.*, coalesce(u.used, 0) AS used_fen
FROM vouchers v
LEFT JOIN LATERAL (SELECT sum(voucher_fen) AS used FROM ledger l
                   WHERE l.campaign_id = v.campaign_id AND l.serial = v.serial) u ON true
WHERE v.worker_id = $1
ORDER BY v.issued_at, v.claim_id
LIMIT 1000;

-- name: set_webhook
INSERT INTO merchant_webhooks (merchant_id, url, secret) VALUES ($1, $2, $3)
ON CONFLICT (merchant_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret,
                                        created_at = now();

-- name: delete_webhook
DELETE FROM merchant_webhooks WHERE merchant_id = $1 RETURNING merchant_id;

-- name: enqueue_webhooks
-- Only merchants with a webhook get rows; a replayed entry is not queued twice.
INSERT INTO webhook_deliveries (merchant_id, event_id, event_type, body)
SELECT e.merchant_id, e.event_id, e.event_type, e.body
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
     AS e(merchant_id, event_id, event_type, body)
JOIN merchant_webhooks w ON w.merchant_id = e.merchant_id
ON CONFLICT DO NOTHING;

-- name: lease_due_webhooks
-- Taking a lease (moving next_attempt_at ahead) lets several workers deliver without
-- sending the same delivery at once, and without a transaction open during the call.
UPDATE webhook_deliveries d
SET next_attempt_at = now() + make_interval(secs => $2)
FROM merchant_webhooks w
WHERE w.merchant_id = d.merchant_id
  AND (d.merchant_id, d.event_id) IN (
      SELECT merchant_id, event_id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING d.merchant_id, d.event_id, d.event_type, d.body, d.attempts, w.url, w.secret;

-- name: webhook_delivered
UPDATE webhook_deliveries
SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_error = NULL
WHERE merchant_id = $1 AND event_id = $2;

-- name: webhook_failed
UPDATE webhook_deliveries
SET attempts = attempts + 1, last_error = $3,
    status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $5)
WHERE merchant_id = $1 AND event_id = $2;

-- name: webhook_deliveries
SELECT event_id, event_type, status, attempts, last_error, created_at, delivered_at,
       next_attempt_at
FROM webhook_deliveries WHERE merchant_id = $1
ORDER BY created_at DESC, event_id LIMIT 200;

-- name: insert_audit
INSERT INTO audit_log (actor, action, target, before, after, request_id)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: list_audit
SELECT id, at, actor, action, target, before, after, request_id FROM audit_log
WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR action = $2)
ORDER BY id DESC LIMIT $3;

-- name: campaigns_with_live_vouchers
SELECT id FROM campaigns WHERE valid_until > now() - interval '1 day' ORDER BY id;

-- name: live_campaigns
SELECT id FROM campaigns WHERE status IN ('scheduled', 'open', 'paused') ORDER BY id;

-- name: revoke_voucher
UPDATE vouchers SET revoked_at = coalesce(revoked_at, now()), revoked_reason = $3
WHERE campaign_id = $1 AND serial = $2
RETURNING claim_id, worker_id;

-- name: voucher_by_serial
SELECT v.*, coalesce(u.used, 0) AS used_fen
FROM vouchers v
LEFT JOIN LATERAL (SELECT sum(voucher_fen) AS used FROM ledger l
                   WHERE l.campaign_id = v.campaign_id AND l.serial = v.serial) u ON true
WHERE v.campaign_id = $1 AND v.serial = $2;

-- name: ledger_of_voucher
SELECT entry_id, kind, merchant_id, amount_fen, store_id, terminal_id, occurred_at, request_id
FROM ledger WHERE campaign_id = $1 AND serial = $2 ORDER BY occurred_at, seq;

-- name: issued_claim_ids
SELECT claim_id FROM vouchers WHERE claim_id = ANY($1::text[]);

-- name: all_campaign_ids
SELECT id FROM campaigns ORDER BY id;

-- name: rebuild_vouchers
SELECT claim_id, serial, worker_id, face_value_fen, admitted_at, valid_until, partner_code,
       expired_at IS NOT NULL AS expired,
       CASE WHEN revoked_at IS NOT NULL THEN coalesce(revoked_reason, '') END AS revoked_reason,
       station_id, cancelled_at IS NOT NULL AS cancelled
FROM vouchers WHERE campaign_id = $1;

-- name: rebuild_ledger
SELECT entry_id, kind, merchant_id, serial, amount_fen, face_value_fen, reverses, store_id,
       terminal_id, occurred_at, order_fen
FROM ledger WHERE campaign_id = $1;

-- name: unused_pool_codes
SELECT p.code FROM partner_codes p
WHERE p.campaign_id = $1
  AND NOT EXISTS (SELECT 1 FROM vouchers v
                  WHERE v.campaign_id = p.campaign_id AND v.partner_code = p.code);

-- name: insert_ops_credential
INSERT INTO ops_credentials (credential_id, name, token_hash, created_by, role, payer_id)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: ops_credential_by_hash
SELECT credential_id, name, role, payer_id FROM ops_credentials
WHERE token_hash = $1 AND revoked_at IS NULL;

-- name: ops_credentials
SELECT credential_id, name, created_by, created_at, revoked_at, role, payer_id
FROM ops_credentials ORDER BY created_at, credential_id;

-- name: revoke_ops_credential
UPDATE ops_credentials SET revoked_at = now()
WHERE credential_id = $1 AND revoked_at IS NULL
RETURNING credential_id;

-- name: store_redemptions
-- One merchant's redemptions in [$3, $4), of one store when $2 is set, newest first, each
-- with the amount reversed so far (reversal amounts are negative in the ledger).
SELECT r.entry_id AS redemption_id, r.campaign_id, r.serial, r.amount_fen, r.face_value_fen,
       r.store_id, r.terminal_id, r.occurred_at,
       coalesce(-sum(v.amount_fen), 0)::integer AS reversed_fen
FROM ledger r
LEFT JOIN ledger v ON v.kind = 'reversal' AND v.reverses = r.entry_id
WHERE r.kind = 'redemption' AND r.merchant_id = $1 AND ($2::text IS NULL OR r.store_id = $2)
  AND r.occurred_at >= $3 AND r.occurred_at < $4
GROUP BY r.entry_id
ORDER BY r.occurred_at DESC
LIMIT $5;

-- name: codes_by_short_key
SELECT code FROM vouchers WHERE voucher_short_key(code) = ANY($1::bytea[]) LIMIT 3;

-- name: add_stations
-- New stations with their stock; a known station's name, district and address change, its
-- stock only by moves.
INSERT INTO stations (campaign_id, station_id, name, district, address, stock)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[])
ON CONFLICT (campaign_id, station_id) DO UPDATE
SET name = excluded.name, district = excluded.district, address = excluded.address;

-- name: stations_of
SELECT station_id, name, district, address, closed_at IS NULL AS open, stock
FROM stations WHERE campaign_id = $1 ORDER BY station_id COLLATE "C";

-- name: insert_station_move
INSERT INTO station_moves (campaign_id, move_id, source, target, packs)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (campaign_id, move_id) DO NOTHING
RETURNING move_id;

-- name: move_station_stock
UPDATE stations SET stock = stock + CASE station_id WHEN $2 THEN -$4::int ELSE $4::int END
WHERE campaign_id = $1 AND station_id IN ($2, $3);

-- name: choose_station
-- A pack claimed without a station gets one, once ('?' until then).
UPDATE vouchers SET station_id = $2 WHERE claim_id = $1 AND station_id = '?'
RETURNING claim_id;

-- name: close_station
UPDATE stations SET closed_at = coalesce(closed_at, now())
WHERE campaign_id = $1 AND station_id = $2
RETURNING station_id;

-- name: station_pickups
-- Packs handed out per station: redemptions less those reversed whole.
SELECT r.store_id AS station_id, count(*) AS picked_up
FROM ledger r
WHERE r.campaign_id = $1 AND r.kind = 'redemption' AND r.store_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ledger v WHERE v.reverses = r.entry_id
                  GROUP BY v.reverses HAVING -sum(v.amount_fen) >= r.amount_fen)
GROUP BY r.store_id;

-- name: add_slots
-- New slots; a known slot's service and provider name change, never its time, provider
-- or capacity (its bookings were made on them).
INSERT INTO slots (campaign_id, slot_id, provider_id, provider_name, service, starts_at,
                   ends_at, capacity, cancel_before_s, early_check_in_s)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                         $7::timestamptz[], $8::int[], $9::int[], $10::int[])
ON CONFLICT (campaign_id, slot_id) DO UPDATE
SET provider_name = EXCLUDED.provider_name, service = EXCLUDED.service;

-- name: slots_of
SELECT slot_id, provider_id, starts_at, ends_at, capacity, cancel_before_s, early_check_in_s,
       service, provider_name
FROM slots WHERE campaign_id = $1 ORDER BY starts_at, slot_id COLLATE "C";

-- name: slot_fill
-- Per slot: bookings standing, cancelled, checked in (a redemption not reversed), and
-- no-shows (not checked in by the slot's end, $2 being now).
SELECT v.station_id AS slot_id,
       count(*) FILTER (WHERE v.cancelled_at IS NULL) AS booked,
       count(*) FILTER (WHERE v.cancelled_at IS NOT NULL) AS cancelled,
       count(*) FILTER (WHERE v.cancelled_at IS NULL AND coalesce(u.used, 0) > 0) AS checked_in,
       count(*) FILTER (WHERE v.cancelled_at IS NULL AND coalesce(u.used, 0) = 0
                        AND v.valid_until <= $2) AS no_shows
FROM vouchers v
LEFT JOIN LATERAL (SELECT sum(voucher_fen) AS used FROM ledger l
                   WHERE l.campaign_id = v.campaign_id AND l.serial = v.serial) u ON true
WHERE v.campaign_id = $1 AND v.station_id IS NOT NULL
GROUP BY v.station_id;

-- name: cancel_claim
-- A voucher withdrawn (a booking its worker cancelled, a payout operations cancelled):
-- standing, or cancelled before (a retry); nothing for one operations revoked.
UPDATE vouchers SET cancelled_at = coalesce(cancelled_at, now()),
                    revoked_at = coalesce(revoked_at, now()),
                    revoked_reason = coalesce(revoked_reason, $2)
WHERE claim_id = $1 AND (cancelled_at IS NOT NULL OR revoked_at IS NULL)
RETURNING claim_id;

-- name: add_payouts
-- Every issued voucher of a payout campaign not paid out yet becomes a payout, once; a
-- worker without a bank account registered waits for a later batch.
INSERT INTO payouts (payout_id, campaign_id, serial, worker_id, account, amount_fen)
SELECT v.claim_id, v.campaign_id, v.serial, v.worker_id, w.profile->>'bank_account',
       v.face_value_fen
FROM vouchers v JOIN workers w ON w.id = v.worker_id
WHERE v.campaign_id = $1 AND v.revoked_at IS NULL AND w.profile ? 'bank_account'
  AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.payout_id = v.claim_id)
ON CONFLICT (payout_id) DO NOTHING;

-- name: pending_payouts
SELECT payout_id, worker_id, account, amount_fen, state, batch_id, failure
FROM payouts WHERE campaign_id = $1 AND state = 'pending'
ORDER BY payout_id COLLATE "C" LIMIT $2 FOR UPDATE;

-- name: insert_payout_batch
INSERT INTO payout_batches (batch_id, campaign_id, prepared_by) VALUES ($1, $2, $3)
ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id;

-- name: insert_payout_lines
INSERT INTO payout_lines (batch_id, payout_id, worker_id, account, amount_fen)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]);

-- name: payout_batch
SELECT b.batch_id, b.campaign_id, b.state, b.prepared_by, b.approved_by, b.file_sha256,
       array_agg(l.payout_id ORDER BY l.payout_id COLLATE "C") AS payout_ids
FROM payout_batches b JOIN payout_lines l USING (batch_id)
WHERE b.batch_id = $1
GROUP BY b.batch_id;

-- name: batch_payouts
-- A batch's lines as it paid them (account and amount then), with each payout's state now.
SELECT l.payout_id, l.worker_id, l.account, l.amount_fen, p.state, p.batch_id, p.failure
FROM payout_lines l JOIN payouts p USING (payout_id)
WHERE l.batch_id = $1 ORDER BY l.payout_id COLLATE "C";

-- name: save_payout_batch
-- A batch moves on from the state it was read in; nothing when another request moved it.
UPDATE payout_batches
SET state = $3, approved_by = coalesce($4, approved_by), file_sha256 = coalesce($5, file_sha256),
    changed_at = now()
WHERE batch_id = $1 AND state = $2
RETURNING batch_id;

-- name: save_payouts
UPDATE payouts p SET state = x.state, batch_id = x.batch_id, failure = x.failure,
                     changed_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x (payout_id, state, batch_id, failure)
WHERE p.payout_id = x.payout_id;

-- name: save_payout_results
UPDATE payout_lines l SET result = x.result, reason = x.reason
FROM unnest($2::text[], $3::text[], $4::text[]) AS x (payout_id, result, reason)
WHERE l.batch_id = $1 AND l.payout_id = x.payout_id;

-- name: payout
SELECT payout_id, campaign_id, serial, worker_id, account, amount_fen, state, batch_id, failure
FROM payouts WHERE payout_id = $1 FOR UPDATE;

-- name: payout_totals
SELECT state, count(*) AS n, sum(amount_fen) AS fen FROM payouts WHERE campaign_id = $1
GROUP BY state;

-- name: campaign_ledger
SELECT occurred_at, amount_fen FROM ledger
WHERE campaign_id = $1 AND occurred_at >= $2 AND occurred_at < $3
ORDER BY occurred_at, entry_id;

-- name: watch_seen_redemptions
-- The worker and whether the card is stored value are not in the event: read from the
-- voucher's row (written before the voucher could be redeemed) and its campaign.
INSERT INTO watch_redemptions (redemption_id, campaign_id, serial, merchant_id, store_id,
                               terminal_id, worker_id, amount_fen, balance_before_fen,
                               stored_value, redeemed_at)
SELECT x.redemption_id, x.campaign_id, x.serial, x.merchant_id, x.store_id, x.terminal_id,
       coalesce(v.worker_id, ''), x.amount_fen, x.balance_before_fen,
       coalesce((c.options ->> 'stored_value')::boolean, false), x.redeemed_at
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[],
            $8::int[], $9::timestamptz[])
     AS x (redemption_id, campaign_id, serial, merchant_id, store_id, terminal_id, amount_fen,
           balance_before_fen, redeemed_at)
LEFT JOIN vouchers v ON v.campaign_id = x.campaign_id AND v.serial = x.serial
LEFT JOIN campaigns c ON c.id = x.campaign_id
ON CONFLICT (redemption_id) DO NOTHING;

-- name: watch_seen_reversals
INSERT INTO watch_reversals (reversal_id, redemption_id, reversed_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
ON CONFLICT (reversal_id) DO NOTHING;

-- name: watch_window
-- The redemptions in (since, until] of the stores and terminals named and of the workers
-- of the redemptions named: each part by its own index.
WITH chosen AS (
    SELECT w.redemption_id FROM watch_redemptions w
    JOIN unnest($3::text[], $4::text[]) AS s (merchant_id, store_id)
      ON w.merchant_id = s.merchant_id AND w.store_id = s.store_id
    WHERE w.redeemed_at > $1 AND w.redeemed_at <= $2
    UNION
    SELECT redemption_id FROM watch_redemptions
    WHERE worker_id IN (SELECT worker_id FROM watch_redemptions
                        WHERE redemption_id = ANY($5::text[]) AND worker_id <> '')
      AND redeemed_at > $1 AND redeemed_at <= $2
    UNION
    SELECT redemption_id FROM watch_redemptions
    WHERE terminal_id = ANY($6::text[]) AND terminal_id <> ''
      AND redeemed_at > $1 AND redeemed_at <= $2
)
SELECT w.*, EXISTS (SELECT 1 FROM watch_reversals r WHERE r.redemption_id = w.redemption_id)
       AS reversed
FROM watch_redemptions w JOIN chosen USING (redemption_id);

-- name: watch_evidence
SELECT w.*, EXISTS (SELECT 1 FROM watch_reversals r WHERE r.redemption_id = w.redemption_id)
       AS reversed
FROM watch_redemptions w WHERE w.redemption_id = ANY($1::text[])
ORDER BY w.redeemed_at, w.redemption_id;

-- name: watch_thresholds
SELECT thresholds FROM watch_thresholds;

-- name: save_watch_thresholds
INSERT INTO watch_thresholds (id, thresholds, changed_by) VALUES (true, $1, $2)
ON CONFLICT (id) DO UPDATE SET thresholds = $1, changed_by = $2, changed_at = now();

-- name: open_case
-- A hit opens a case, or adds its evidence to the open one of its rule and subject.
INSERT INTO watch_cases (case_id, rule, subject, merchants, evidence)
VALUES ($1, $2, $3, $4, ($5::text[])[1:$6])
ON CONFLICT (rule, subject) WHERE status = 'open' DO UPDATE SET
    merchants = ARRAY(SELECT DISTINCT unnest(watch_cases.merchants || EXCLUDED.merchants) ORDER BY 1),
    evidence = (ARRAY(SELECT DISTINCT unnest(watch_cases.evidence || EXCLUDED.evidence) ORDER BY 1))[1:$6],
    seen_at = now()
WHERE watch_cases.evidence IS DISTINCT FROM
      (ARRAY(SELECT DISTINCT unnest(watch_cases.evidence || EXCLUDED.evidence) ORDER BY 1))[1:$6];

-- name: cases
SELECT * FROM watch_cases
WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR $2 = ANY(merchants))
ORDER BY opened_at DESC, case_id LIMIT $3;

-- name: case
SELECT * FROM watch_cases WHERE case_id = $1 FOR UPDATE;

-- name: hold_case
UPDATE watch_cases SET hold = true WHERE case_id = $1 AND status = 'open';

-- name: close_case
UPDATE watch_cases SET status = 'closed', hold = false, decision = $2, note = $3,
                       closed_at = now(), closed_by = $4
WHERE case_id = $1 AND status = 'open';

-- name: holding_cases
SELECT case_id FROM watch_cases WHERE hold AND status = 'open' AND $1 = ANY(merchants)
ORDER BY case_id;

-- name: rebuild_watch_redemptions
-- The watch's redemptions again from the ledger, from $1 on: a card's balance before each
-- redemption is its face less what its earlier rows (redemptions and reversals) took.
WITH rows AS (
    SELECT l.*, l.face_value_fen - coalesce(sum(l.amount_fen) OVER (
               PARTITION BY l.campaign_id, l.serial ORDER BY l.occurred_at, l.kind, l.entry_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS balance_before_fen
    FROM ledger l
    WHERE (l.campaign_id, l.serial) IN (SELECT campaign_id, serial FROM ledger WHERE occurred_at >= $1)
)
INSERT INTO watch_redemptions (redemption_id, campaign_id, serial, merchant_id, store_id,
                               terminal_id, worker_id, amount_fen, balance_before_fen,
                               stored_value, redeemed_at)
SELECT r.entry_id, r.campaign_id, r.serial, r.merchant_id, coalesce(r.store_id, ''),
       coalesce(r.terminal_id, ''), coalesce(v.worker_id, ''), r.amount_fen,
       r.balance_before_fen, coalesce((c.options ->> 'stored_value')::boolean, false),
       r.occurred_at
FROM rows r
LEFT JOIN vouchers v ON v.campaign_id = r.campaign_id AND v.serial = r.serial
LEFT JOIN campaigns c ON c.id = r.campaign_id
WHERE r.kind = 'redemption' AND r.occurred_at >= $1
ON CONFLICT (redemption_id) DO NOTHING;

-- name: rebuild_watch_reversals
INSERT INTO watch_reversals (reversal_id, redemption_id, reversed_at)
SELECT entry_id, reverses, occurred_at FROM ledger
WHERE kind = 'reversal' AND occurred_at >= $1
ON CONFLICT (reversal_id) DO NOTHING;
