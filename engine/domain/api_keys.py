"""Merchant API keys: what identifies a key without storing it, and whom it names.

A key is 256 random bits, so a plain SHA-256 digest is enough to store and to look it
up by. The identity a key stands for is cached beside the decisions as one short string
(`merchant|store|key id`; ids never hold `|`), or the tombstone of a revoked key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class MerchantIdentity:
    merchant_id: str
    store_id: str | None
    key_id: str


def key_digest(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def encode_identity(who: MerchantIdentity) -> str:
    return f"{who.merchant_id}|{who.store_id or ''}|{who.key_id}"


def decode_identity(value: str) -> MerchantIdentity | None:
    """The identity a cached value names; None for anything else (the tombstone too)."""
    parts = value.split("|")
    if len(parts) != 3:
        return None
    merchant_id, store_id, key_id = parts
    return MerchantIdentity(merchant_id, store_id or None, key_id)
