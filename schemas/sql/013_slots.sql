-- Services booked by the slot: each booking campaign's slots (a provider's time with a
-- capacity); a booking is a voucher whose station_id names its slot (the place it took),
-- and a booking its worker cancelled is a revoked voucher with its cancelled_at.

CREATE TABLE slots (
    campaign_id      text NOT NULL REFERENCES campaigns (id),
    slot_id          text NOT NULL CHECK (slot_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    -- The provider's store id: only a key of that store checks a booked worker in.
    provider_id      text NOT NULL,
    provider_name    text NOT NULL,
    service          text NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- What is left to book lives in Redis (capacity less the bookings not cancelled).
    capacity         integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    cancel_before_s  integer NOT NULL CHECK (cancel_before_s >= 0),
    early_check_in_s integer NOT NULL CHECK (early_check_in_s >= 0),
    PRIMARY KEY (campaign_id, slot_id)
);
CREATE INDEX slots_by_start ON slots (campaign_id, starts_at);

ALTER TABLE vouchers ADD COLUMN cancelled_at timestamptz;
CREATE INDEX vouchers_by_place ON vouchers (campaign_id, station_id) WHERE station_id IS NOT NULL;
