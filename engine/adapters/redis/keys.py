"""Every Redis key the engine uses, built here and nowhere else.

All keys of one campaign share the hash tag ``{campaign id}`` so each Lua script
touches a single slot and runs unchanged on Redis Cluster.

One name space, shaped so that no id a user chooses can meet a key the engine uses
for itself: a key is ``nx:{tag}:kind`` or ``nx:{tag}:kind:id``, every kind is spelt
differently and none is another's prefix up to a colon, and an id never holds a
colon or a brace (campaign, worker, merchant and store ids are refused otherwise at
the edge). A worker named ``29380000`` and the admission counter of minute 29380000
therefore live under different kinds (``claim-rate:`` and ``admit-rate:``).
`tests/unit/test_keys.py` checks every builder against every other with hostile ids.
"""

from __future__ import annotations

PREFIX = "nx"


def _k(campaign_id: str, suffix: str) -> str:
    return f"{PREFIX}:{{{campaign_id}}}:{suffix}"


def campaign(campaign_id: str) -> str:
    """Hash: status, window, quota, remaining, admitted, issued, redeemed, next_serial, ..."""
    return _k(campaign_id, "campaign")


def per_worker(campaign_id: str) -> str:
    """Hash: worker id -> claims admitted in this campaign."""
    return _k(campaign_id, "per-worker")


def eligible_categories(campaign_id: str) -> str:
    return _k(campaign_id, "eligible")


def merchants(campaign_id: str) -> str:
    """Set of merchant ids enrolled to redeem this campaign's vouchers."""
    return _k(campaign_id, "merchants")


def claim(campaign_id: str, claim_id: str) -> str:
    """Hash: state (pending|acked|taken|issued|released), serial, worker, at_ms."""
    return _k(campaign_id, f"claim:{claim_id}")


def voucher(campaign_id: str, serial: int) -> str:
    """Hash: status (issued|redeemed), claim_id, face, expires_at, redeemed_by, ..."""
    return _k(campaign_id, f"voucher:{serial}")


def redemption(campaign_id: str, redemption_id: str) -> str:
    """Hash: state (pending|acked|taken|released), serial, merchant, at_ms."""
    return _k(campaign_id, f"redemption:{redemption_id}")


def claim_rate(campaign_id: str, worker_id: str) -> str:
    """Counter of one worker's refused claim requests to this campaign this minute."""
    return _k(campaign_id, f"claim-rate:{worker_id}")


def unsettled(campaign_id: str) -> str:
    """Sorted set: claim, redemption and reversal record keys decided but not yet
    acknowledged by the broker, scored by decision time (ms)."""
    return _k(campaign_id, "unsettled")


# SCAN's pattern for every key with an id after its kind, decision records among them.
RECORDS = f"{PREFIX}:{{*}}:*:*"


def record_parts(record_key: str) -> tuple[str, str, str]:
    """(campaign id, kind, id) of a key with an id after its kind: a record's kind is
    'claim', 'redemption' or 'reversal'."""
    tag, _, rest = record_key.partition("}:")
    kind, _, record_id = rest.partition(":")
    return tag.partition("{")[2], kind, record_id


def record_of(record_key: str) -> tuple[str, str]:
    """('claim' | 'redemption' | 'reversal', id) of a record key."""
    return record_parts(record_key)[1:]


def per_period(campaign_id: str, period: str) -> str:
    """Hash: worker id -> claims admitted in one calendar period ('none' if unlimited)."""
    return _k(campaign_id, f"per-period:{period}")


def stations(campaign_id: str) -> str:
    """Hash: place id (a station, a slot) -> stock left to claim there; closed:<id> -> 1
    once closed; slot:<id> -> a slot's terms (see add_places.lua)."""
    return _k(campaign_id, "stations")


def station_moves(campaign_id: str) -> str:
    """Set: the ids of the stock moves applied (a retried move is applied once)."""
    return _k(campaign_id, "station-moves")


def partner_pool(campaign_id: str) -> str:
    """Set of unused partner codes."""
    return _k(campaign_id, "pool")


def worker_profile(worker_id: str) -> str:
    """Hash: the worker's profile facts, cached from PostgreSQL for eligibility rules."""
    return f"{PREFIX}:{{w:{worker_id}}}:profile"


def worker_key_binding(worker_id: str, digest: str) -> str:
    """String: the digest of the request a worker's Idempotency-Key (by its digest) was
    first sent with; beside the profile, so one script binds the one and reads the other."""
    return f"{PREFIX}:{{w:{worker_id}}}:idem:{digest}"


def merchant_key_binding(merchant_id: str, digest: str) -> str:
    """String: the same for a merchant's key; beside the merchant's failed-code counters."""
    return f"{PREFIX}:{{m:{merchant_id}}}:idem:{digest}"


def cap_spent(group_id: str, period: str) -> str:
    """Hash: worker id -> fen reserved across the group's campaigns in one period."""
    return f"{PREFIX}:{{cap:{group_id}}}:spent:{period}"


def cap_reservation(group_id: str, claim_id: str) -> str:
    """Hash: amount, worker, campaign, period of one claim's reservation against the cap."""
    return f"{PREFIX}:{{cap:{group_id}}}:claim:{claim_id}"


def cap_unsettled(group_id: str) -> str:
    """Sorted set: claim ids whose reservation is not yet known to be admitted, by time."""
    return f"{PREFIX}:{{cap:{group_id}}}:unsettled"


def reversal(campaign_id: str, reversal_id: str) -> str:
    """Hash: state (pending|acked|taken|released), serial, merchant, amount, at_ms."""
    return _k(campaign_id, f"reversal:{reversal_id}")


def rate(caller: str) -> str:
    """Counter of one caller's requests in the current window (worker:<id>)."""
    return f"{PREFIX}:{{rate:{caller}}}:n"


def failures(merchant_id: str, scope: str) -> str:
    """Counter of failed code attempts in the current minute, per key or per terminal.

    All counters of one merchant share its hash tag, so one script checks them together.
    """
    return f"{PREFIX}:{{m:{merchant_id}}}:fail:{scope}"


def merchant_key(digest: str) -> str:
    """String: the identity a merchant API key (by its hex digest) stands for, or the
    tombstone of a revoked one."""
    return f"{PREFIX}:{{mk:{digest}}}:identity"


def merchant_key_rate(digest: str) -> str:
    """Counter of a merchant API key's requests in the current window: beside its
    identity, so one script reads the one and counts the other."""
    return f"{PREFIX}:{{mk:{digest}}}:rate"


def credential_failures(address: str) -> str:
    """Counter of wrong merchant keys and ops tokens presented from one client address."""
    return f"{PREFIX}:{{auth:{address.replace(':', '-')}}}:fail"


def admission_rate(campaign_id: str, minute: int) -> str:
    """Hash: unix second -> admissions, and 'second:fen' -> fen admitted, for one minute."""
    return _k(campaign_id, f"admit-rate:{minute}")


def refusals(campaign_id: str) -> str:
    """Hash: problem type -> claims refused for it, for the operations dashboard."""
    return _k(campaign_id, "refusals")


def window(campaign_id: str, kind: str, size: str) -> str:
    """Hash: window start (unix s) -> count of `kind` events (count_window.lua)."""
    return _k(campaign_id, f"win:{kind}:{size}")


def window_counted(campaign_id: str, kind: str) -> str:
    """Hash: partition -> '<log epoch>:<offset>' of the last `kind` event counted in the
    campaign's windows from that partition (so a redelivery counts nothing)."""
    return _k(campaign_id, f"win-counted:{kind}")


def log_epoch() -> str:
    """Counter: raised each time a lost log is found, so offsets of the new log are new."""
    return f"{PREFIX}:{{log}}:epoch"


def redemption_rate(campaign_id: str, minute: int) -> str:
    """Hash: unix second -> redemptions, for one minute."""
    return _k(campaign_id, f"redeem-rate:{minute}")


def fences_passed(topic: str) -> str:
    """Hash: partition -> the placing time (ms) of the latest log fence the topic's
    consumer has passed, with every event before it applied (engine/usecases/log_watch.py)."""
    return f"{PREFIX}:{{log}}:fence-passed:{topic}"


def fences_placed(topic: str) -> str:
    """Hash: '<partition>:offset' and ':at' of the latest fence placed there, ':consumed',
    the issuer's last commit, and ':acked', past the highest event acknowledged to the API;
    a fence placed below any of them says the log was lost."""
    return f"{PREFIX}:{{log}}:fence-placed:{topic}"


def log_lost() -> str:
    """String: why the log was found lost, until the re-drive from the records is done."""
    return f"{PREFIX}:{{log}}:lost"


def fence_lock() -> str:
    """String: held by the one stream worker placing fences now (so offsets only grow)."""
    return f"{PREFIX}:{{log}}:fence-lock"


# How each kind of key comes back after Redis is lost (`nuanxin reconcile --repair`;
# docs/RELIABILITY.md has the table). "rebuilt": written again from PostgreSQL and the
# log; "refilled": a cache filled again on the next miss; "transient": a counter or an
# index that only ever holds the last minutes, safe to start empty.
RECOVERY = {
    "campaign": "rebuilt: counters from vouchers, ledger and log; the definition from PostgreSQL",
    "per_worker": "rebuilt: admissions per worker (vouchers and claims in flight)",
    "eligible_categories": "rebuilt: from the definition",
    "merchants": "rebuilt: the enrolments in PostgreSQL",
    "claim": "rebuilt: issued, in flight (acked) or void (released) from vouchers and log",
    "voucher": "rebuilt: status and balance (stored value) from vouchers and the ledger",
    "redemption": "rebuilt: from the ledger, with what was refunded",
    "reversal": "rebuilt: from the ledger",
    "per_period": "rebuilt: admissions of the current period",
    "partner_pool": "rebuilt: the partner codes not yet handed out",
    "stations": "rebuilt: each station's allotted stock (moves included) or slot's capacity, "
    "less its claims not cancelled; a slot's terms from PostgreSQL's slots",
    "station_moves": "rebuilt: empty, as a retried move is found in PostgreSQL's station_moves",
    "cap_spent": "rebuilt: the group's admissions of the current period, all its campaigns",
    "cap_reservation": "rebuilt: one per admission of the current period",
    "worker_profile": "refilled: from PostgreSQL on the next miss",
    "worker_key_binding": (
        "transient: a key's binding lives for idempotency_key_life_s; after a loss a repeat"
        " is still held to its request by the rebuilt decision record of its campaign"
    ),
    "merchant_key_binding": "transient: as a worker's key binding",
    "merchant_key": "refilled: from PostgreSQL on the next miss (which refuses revoked keys)",
    "merchant_key_rate": "transient: this minute's requests of a merchant API key",
    "claim_rate": "transient: this minute's refused claim requests of a worker",
    "rate": "transient: this minute's requests of a caller",
    "failures": "transient: this minute's failed code checks",
    "credential_failures": "transient: this minute's wrong credentials of an address",
    "unsettled": "transient: decisions awaiting the broker; rebuilt records are settled",
    "cap_unsettled": "transient: reservations awaiting their admission; rebuilt ones are settled",
    "admission_rate": "transient: the dashboard's live rate (this minute and the last)",
    "redemption_rate": "transient: the dashboard's live rate (this minute and the last)",
    "refusals": "transient: the dashboard's refusal counts start again",
    "window": "transient: the dashboard's windows count again from the next events",
    "window_counted": "transient: with the windows it guards",
    "log_epoch": "transient: a new epoch only makes the next offsets count as new",
    "fences_passed": "transient: no release waits on a lost mark longer than the next fences",
    "fences_placed": "transient: the next fences set the marks a lost log is judged by again",
    "log_lost": "transient: set again if the log is still found lost at the next fences",
    "fence_lock": "transient: a lock held for seconds",
}
