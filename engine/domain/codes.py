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

import base64
import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from engine.errors import InvalidCode

VERSION = 1
DOMAIN = b"nuanxin-voucher-v1:"
_PAYLOAD = struct.Struct(">BHIII")
PAYLOAD_BYTES = _PAYLOAD.size
SIGNATURE_BYTES = 64
CODE_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = -(-CODE_BYTES * 8 // 5)
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


# Crockford's alphabet is RFC 4648 base32's bit layout with other symbols, and its
# values are the digits of int(text, 32) with other symbols: translation tables swap
# the symbols and the C codecs do the work.
_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CROCKFORD = bytes.maketrans(_STANDARD.encode(), ALPHABET.encode())
_DIGITS = "0123456789abcdefghijklmnopqrstuv"
_TO_DIGITS = bytes.maketrans((ALPHABET + "OIL").encode(), (_DIGITS + "011").encode())
_SYMBOLS = re.compile(f"[{ALPHABET}OIL]{{{CODE_CHARS}}}")
_PAD_BITS = CODE_CHARS * 5 - CODE_BYTES * 8


def b32encode(raw: bytes) -> str:
    return base64.b32encode(raw).rstrip(b"=").translate(_TO_CROCKFORD).decode()


def b32decode(text: str) -> bytes:
    """Decode exactly CODE_CHARS symbols; padding bits must be zero (one spelling per code)."""
    if not _SYMBOLS.fullmatch(text):
        raise InvalidCode()
    bits = int(text.encode().translate(_TO_DIGITS), 32)
    if bits & ((1 << _PAD_BITS) - 1):
        raise InvalidCode()
    return (bits >> _PAD_BITS).to_bytes(CODE_BYTES, "big")


def normalise(text: str) -> str:
    if not isinstance(text, str) or len(text) > _MAX_INPUT_CHARS:
        raise InvalidCode()
    return text.replace("-", "").replace(" ", "").upper()


def sign_code(payload: VoucherPayload, key: Ed25519PrivateKey) -> str:
    """Ed25519 is deterministic: the same payload and key always give the same code."""
    return b32encode(signed_code(payload, key))


def signed_code(payload: VoucherPayload, key: Ed25519PrivateKey) -> bytes:
    """The code's bytes (payload and signature), before they are written in base32.

    Signed with libsodium, which signs in about 60% of the time OpenSSL takes (the
    issuer signs every voucher); the signature is the same, Ed25519 being deterministic.
    """
    body = payload.to_bytes()
    return body + crypto_sign(DOMAIN + body, _sodium_secret(key))[:SIGNATURE_BYTES]


@lru_cache(maxsize=16)
def _sodium_secret(key: Ed25519PrivateKey) -> bytes:
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return crypto_sign_seed_keypair(seed)[1]


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


def read_code(text: str) -> tuple[VoucherPayload, str]:
    """A presented code's payload (signature not verified) and its digest, read once."""
    payload, body, signature = decode_code(text)
    return payload, _digest(body + signature)


def code_digest(text: str) -> str:
    """What the engine keeps of an issued code to recognise it online (hex, 128 bits).

    A redemption presenting the code compares digests instead of verifying the signature:
    whoever presents the digest's preimage holds the issued code. Offline terminals still
    verify the signature.
    """
    return _digest(b32decode(normalise(text)))


def raw_code_digest(raw: bytes) -> str:
    """code_digest of the code these bytes are written as, without writing or reading it."""
    return _digest(raw)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


def group_for_typing(code: str, size: int = 4) -> str:
    return "-".join(code[i : i + size] for i in range(0, len(code), size))
