"""Voucher codes: a signed binary payload, encoded for QR codes and for typing.

Layout (big-endian), version 1:

    offset size field
    0      1    version (1)
    1      2    key id
    3      4    campaign number
    7      4    serial within the campaign
    11     4    expiry, Unix seconds (UTC)
    15     64   Ed25519 signature over DOMAIN + bytes 0..14

The 79 bytes are written in Crockford base32 (no I, L, O, U), 127 characters,
the unused low bits of the last character zero. Readers ignore hyphens and
spaces, accept lower case and read O as 0 and I/L as 1.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import InvalidCode

VERSION = 1
DOMAIN = b"nuanxin-voucher-v1:"
_PAYLOAD = struct.Struct(">BHIII")
PAYLOAD_BYTES = _PAYLOAD.size
SIGNATURE_BYTES = 64
CODE_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = -(-CODE_BYTES * 8 // 5)
_DECODE = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
_MAX_INPUT_CHARS = 256


@dataclass(frozen=True, slots=True)
class VoucherPayload:
    key_id: int
    campaign_number: int
    serial: int
    expires_at: int
    version: int = VERSION

    def to_bytes(self) -> bytes:
        try:
            return _PAYLOAD.pack(
                self.version, self.key_id, self.campaign_number, self.serial, self.expires_at
            )
        except struct.error as exc:
            raise ValueError(f"payload field out of range: {exc}") from exc

    @classmethod
    def from_bytes(cls, raw: bytes) -> VoucherPayload:
        version, key_id, campaign_number, serial, expires_at = _PAYLOAD.unpack(raw)
        return cls(key_id, campaign_number, serial, expires_at, version)


def b32encode(raw: bytes) -> str:
    bits = int.from_bytes(raw, "big") << (CODE_CHARS * 5 - len(raw) * 8)
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))


def b32decode(text: str) -> bytes:
    """Decode exactly CODE_CHARS symbols; padding bits must be zero (one spelling per code)."""
    if len(text) != CODE_CHARS:
        raise InvalidCode()
    bits = 0
    for char in text:
        value = _DECODE.get(char)
        if value is None:
            raise InvalidCode()
        bits = (bits << 5) | value
    pad = CODE_CHARS * 5 - CODE_BYTES * 8
    if bits & ((1 << pad) - 1):
        raise InvalidCode()
    return (bits >> pad).to_bytes(CODE_BYTES, "big")


def normalise(text: str) -> str:
    if not isinstance(text, str) or len(text) > _MAX_INPUT_CHARS:
        raise InvalidCode()
    return text.replace("-", "").replace(" ", "").upper()


def sign_code(payload: VoucherPayload, key: Ed25519PrivateKey) -> str:
    """Ed25519 is deterministic: the same payload and key always give the same code."""
    body = payload.to_bytes()
    return b32encode(body + key.sign(DOMAIN + body))


def decode_code(text: str) -> tuple[VoucherPayload, bytes, bytes]:
    """Split a code into its payload, the signed bytes and the signature (not yet verified)."""
    raw = b32decode(normalise(text))
    body, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    payload = VoucherPayload.from_bytes(body)
    if payload.version != VERSION:
        raise InvalidCode()
    return payload, body, signature


def verify_code(text: str, public_keys: Mapping[int, Ed25519PublicKey]) -> VoucherPayload:
    """Return the payload of a genuine code, or raise InvalidCode (never anything else)."""
    payload, body, signature = decode_code(text)
    key = public_keys.get(payload.key_id)
    if key is None:
        raise InvalidCode()
    try:
        key.verify(signature, DOMAIN + body)
    except InvalidSignature:
        raise InvalidCode() from None
    return payload


def code_digest(text: str) -> str:
    """What the engine keeps of an issued code to recognise it online (hex, 128 bits).

    A redemption presenting the code compares digests instead of verifying the signature:
    whoever presents the digest's preimage holds the issued code. Offline terminals still
    verify the signature.
    """
    return hashlib.sha256(b32decode(normalise(text))).hexdigest()[:32]


def group_for_typing(code: str, size: int = 4) -> str:
    return "-".join(code[i : i + size] for i in range(0, len(code), size))
