-- Gifts picked up at the union's service stations: each pick-up campaign's stations and
-- their allotted stock; the moves between them; the station a voucher is picked up at.

CREATE TABLE stations (
    campaign_id text NOT NULL REFERENCES campaigns (id),
    station_id  text NOT NULL CHECK (station_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name        text NOT NULL,
    district    text NOT NULL,
    address     text NOT NULL DEFAULT '',
    -- Allotted: its first stock, plus moves in, less moves out. What is left to claim
    -- lives in Redis (allotted less the claims naming it), rebuilt from this.
    stock       integer NOT NULL CHECK (stock >= 0),
    closed_at   timestamptz,
    PRIMARY KEY (campaign_id, station_id)
);

-- Each applied move, once: a retried move (its Idempotency-Key) finds its row.
CREATE TABLE station_moves (
    campaign_id text NOT NULL,
    move_id     text NOT NULL,
    source      text NOT NULL,
    target      text NOT NULL,
    packs       integer NOT NULL CHECK (packs > 0),
    moved_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, move_id),
    FOREIGN KEY (campaign_id, source) REFERENCES stations (campaign_id, station_id),
    FOREIGN KEY (campaign_id, target) REFERENCES stations (campaign_id, station_id)
);

ALTER TABLE vouchers ADD COLUMN station_id text;
