"""Signing keys for voucher codes: one active key signs, every known key verifies.

Rotation adds a key and makes it the active one; older keys stay, so codes they
signed verify until those codes expire. Each key records when it began to sign
and when it stopped (`signs_until`), published with the public keys.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


@dataclass(frozen=True)
class Keyring:
    active_key_id: int
    private_keys: dict[int, Ed25519PrivateKey]
    public_keys: dict[int, Ed25519PublicKey] = field(default_factory=dict)
    # key id -> {"created_at": iso, "signs_until": iso | None}
    periods: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.active_key_id not in self.private_keys:
            raise ValueError(f"active key id {self.active_key_id} has no private key")
        for kid, key in self.private_keys.items():
            self.public_keys.setdefault(kid, key.public_key())
            self.periods.setdefault(kid, {"created_at": None, "signs_until": None})

    @property
    def active_key(self) -> Ed25519PrivateKey:
        return self.private_keys[self.active_key_id]

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        doc = json.loads(text)
        keys = {
            int(kid): Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))
            for kid, seed in doc["keys"].items()
        }
        periods = {int(kid): p for kid, p in doc.get("periods", {}).items()}
        return cls(int(doc["active"]), keys, periods=periods)

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active_key_id,
                "keys": {
                    str(kid): base64.b64encode(_seed(key)).decode()
                    for kid, key in self.private_keys.items()
                },
                "periods": {str(kid): p for kid, p in self.periods.items()},
            },
            indent=2,
        )

    def rotated(self, now: datetime | None = None) -> Keyring:
        """A keyring whose new active key signs from now on; every old key still verifies."""
        moment = (now or datetime.now(UTC)).isoformat()
        new_id = max(self.private_keys) + 1
        if new_id >= 2**16:
            raise ValueError("key ids are 16-bit; no id is left")
        periods = {kid: dict(p) for kid, p in self.periods.items()}
        periods[self.active_key_id]["signs_until"] = moment
        periods[new_id] = {"created_at": moment, "signs_until": None}
        keys = {**self.private_keys, new_id: Ed25519PrivateKey.generate()}
        return replace(
            self, active_key_id=new_id, private_keys=keys, public_keys={}, periods=periods
        )

    def public_document(self) -> dict[str, Any]:
        """What merchants download to verify codes offline (no secret material)."""
        return {
            "active_key_id": self.active_key_id,
            "keys": [
                {
                    "key_id": kid,
                    "alg": "Ed25519",
                    "public_key": base64.b64encode(raw_public(k)).decode(),
                    "created_at": self.periods[kid].get("created_at"),
                    "signs_until": self.periods[kid].get("signs_until"),
                }
                for kid, k in sorted(self.public_keys.items())
            ],
        }


def public_keys_from_document(doc: Mapping[str, Any]) -> dict[int, Ed25519PublicKey]:
    """The verification keys of a published document (GET /v1/keys), for offline checks."""
    return {
        int(k["key_id"]): Ed25519PublicKey.from_public_bytes(base64.b64decode(k["public_key"]))
        for k in doc["keys"]
    }


def new_keyring(key_id: int = 1) -> Keyring:
    now = datetime.now(UTC).isoformat()
    key = Ed25519PrivateKey.from_private_bytes(secrets.token_bytes(32))
    return Keyring(
        key_id, {key_id: key}, periods={key_id: {"created_at": now, "signs_until": None}}
    )


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
