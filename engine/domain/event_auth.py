"""Events on the log carry a MAC, so a consumer trusts only what an engine process wrote.

Anyone who can write to the broker could otherwise have the issuer sign a voucher for a
`claim.admitted` it made up, or the ledger credit a `voucher.redeemed` that never
happened. Each event's `mac` field is `<key id>:<hex>` where the hex is
HMAC-SHA256(key, "<event name>\\n" + the other fields as canonical JSON). The keys are
shared by the API and the stream workers (a key file or NUANXIN_EVENT_KEYS_JSON) and
rotate like the code-signing keys: the active key signs, every listed key verifies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import orjson

from engine.domain.mac_keys import MacKeys


def canonical(event_name: str, fields: Mapping[str, object]) -> bytes:
    body = {k: v for k, v in fields.items() if k != "mac"}
    return event_name.encode() + b"\n" + canonical_json(body)


def canonical_json(body: Mapping[str, object]) -> bytes:
    """Sorted, compact JSON with non-ASCII escaped, as the standard library writes it
    (every MAC in a log was made over that form). orjson writes the same bytes ten times
    faster wherever its output is printable ASCII; anything else takes the slow road."""
    try:
        fast = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a value orjson refuses (an integer past 64 bits): the slow road
        fast = b"\x80"
    if fast.isascii() and b"\x7f" not in fast:
        return fast
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class EventKeys(MacKeys):
    """The event keys (ids e1, e2, ...): a MAC over each event's canonical form."""

    def sign(self, event_name: str, fields: Mapping[str, object]) -> str:
        return f"{self.active}:{self.mac(canonical(event_name, fields)).hex()}"

    def authentic(self, event_name: str, fields: Mapping[str, object]) -> bool:
        kid, _, given = str(fields.get("mac", "")).partition(":")
        try:
            digest = bytes.fromhex(given)
        except ValueError:
            return False
        return self.verifies(kid, canonical(event_name, fields), digest)
