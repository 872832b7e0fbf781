"""Signing keys for voucher codes: one active key signs, every known key verifies."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


@dataclass(frozen=True)
class Keyring:
    active_key_id: int
    private_keys: dict[int, Ed25519PrivateKey]
    public_keys: dict[int, Ed25519PublicKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.active_key_id not in self.private_keys:
            raise ValueError(f"active key id {self.active_key_id} has no private key")
        for kid, key in self.private_keys.items():
            self.public_keys.setdefault(kid, key.public_key())

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
        return cls(int(doc["active"]), keys)

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active_key_id,
                "keys": {
                    str(kid): base64.b64encode(_seed(key)).decode()
                    for kid, key in self.private_keys.items()
                },
            },
            indent=2,
        )

    def public_document(self) -> dict:
        """What merchants download to verify codes offline (no secret material)."""
        return {
            "active_key_id": self.active_key_id,
            "keys": [
                {
                    "key_id": kid,
                    "alg": "Ed25519",
                    "public_key": base64.b64encode(raw_public(k)).decode(),
                }
                for kid, k in sorted(self.public_keys.items())
            ],
        }


def new_keyring(key_id: int = 1) -> Keyring:
    return Keyring(key_id, {key_id: Ed25519PrivateKey.from_private_bytes(secrets.token_bytes(32))})


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
