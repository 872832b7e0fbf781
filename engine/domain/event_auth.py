"""Events on the log carry a MAC, so a consumer trusts only what an engine process wrote.

Anyone who can write to the broker could otherwise have the issuer sign a voucher for a
`claim.admitted` it made up, or the ledger credit a `voucher.redeemed` that never
happened. Each event's `mac` field is `<key id>:<hex>` where the hex is
HMAC-SHA256(key, "<event name>\\n" + the other fields as canonical JSON). The keys are
shared by the API and the stream workers (a key file or NUANXIN_EVENT_KEYS_JSON) and
rotate like the code-signing keys: the active key signs, every listed key verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass


def canonical(event_name: str, fields: Mapping[str, object]) -> bytes:
    body = {k: v for k, v in fields.items() if k != "mac"}
    return (
        event_name.encode()
        + b"\n"
        + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )


@dataclass(frozen=True)
class EventKeys:
    active: str
    keys: Mapping[str, bytes]

    @classmethod
    def new(cls) -> EventKeys:
        return cls("e1", {"e1": secrets.token_bytes(32)})

    @classmethod
    def from_json(cls, text: str) -> EventKeys:
        doc = json.loads(text)
        keys = {kid: base64.b64decode(raw) for kid, raw in doc["keys"].items()}
        if doc["active"] not in keys or any(len(k) < 32 for k in keys.values()):
            raise ValueError("event keys: the active key must be listed; keys are 32+ bytes")
        return cls(doc["active"], keys)

    def to_json(self) -> str:
        encoded = {kid: base64.b64encode(raw).decode() for kid, raw in self.keys.items()}
        return json.dumps({"active": self.active, "keys": encoded}, indent=2)

    def rotated(self) -> EventKeys:
        number = 1 + max(int(kid.lstrip("e")) for kid in self.keys)
        kid = f"e{number}"
        return EventKeys(kid, {**self.keys, kid: secrets.token_bytes(32)})

    def sign(self, event_name: str, fields: Mapping[str, object]) -> str:
        digest = hmac.new(self.keys[self.active], canonical(event_name, fields), hashlib.sha256)
        return f"{self.active}:{digest.hexdigest()}"

    def authentic(self, event_name: str, fields: Mapping[str, object]) -> bool:
        kid, _, given = str(fields.get("mac", "")).partition(":")
        key = self.keys.get(kid)
        if key is None:
            return False
        expected = hmac.new(key, canonical(event_name, fields), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, given)
