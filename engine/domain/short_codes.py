"""A voucher's short code: what a cashier types when the camera fails.

Twelve symbols of Crockford's base32 (digits and letters without I, L, O, U), shown in
groups of four: eleven symbols (55 bits) taken from the SHA-256 of the voucher's full
code, and a check symbol by the Luhn mod N algorithm over the same alphabet, so every
mistyped symbol and almost every swap of two neighbours is caught before a guess is
counted. Typed input is forgiving as Crockford intends: any case, spaces and hyphens
ignored, I and L read as 1, O as 0.

Derived from the full code, a short code needs no secret and no storage of its own: the
system of record indexes the digest's first 7 bytes (migration 011), and a typed code
names the two 7-byte prefixes it can come from (its 55 bits and either last bit). It is
only a name for an issued voucher, redeemed online; unlike the full code it proves
nothing offline. Guessing one is as hard as 55 random bits and throttled as codes are.
"""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_N = len(ALPHABET)


_BODY_BITS = 5 * (LENGTH - 1)
KEY_BYTES = 7  # the digest's prefix the system of record indexes


def short_code_of(code: str) -> str:
    """The short code of a voucher's full code."""
    digest = int.from_bytes(hashlib.sha256(code.encode()).digest()[:KEY_BYTES])
    bits = digest >> (8 * KEY_BYTES - _BODY_BITS)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(LENGTH - 1)))
    return body + _check_symbol(body)


def short_keys(code: str) -> tuple[bytes, bytes]:
    """The two digest prefixes a (normalised) short code can come from."""
    bits = 0
    for symbol in code[:-1]:
        bits = (bits << 5) | _VALUE[symbol]
    spare = 8 * KEY_BYTES - _BODY_BITS
    low = bits << spare
    return low.to_bytes(KEY_BYTES), (low | (1 << spare) - 1).to_bytes(KEY_BYTES)


def looks_short(typed: str) -> bool:
    """Shaped as a short code (twelve symbols, separators aside): a full code never is."""
    return len("".join(typed.split()).replace("-", "")) == LENGTH


def normalised(typed: str) -> str | None:
    """The code a cashier meant, or None when it is not one (wrong length, a symbol outside
    the alphabet, or a check symbol that does not match)."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != LENGTH or any(c not in _VALUE for c in code):
        return None
    return code if _check_symbol(code[:-1]) == code[-1] else None


def shown(code: str) -> str:
    """As printed under the QR code: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _check_symbol(body: str) -> str:
    """Luhn mod N: from the right, every other symbol's value doubled and folded back."""
    total = 0
    for position, symbol in enumerate(reversed(body)):
        value = _VALUE[symbol]
        if position % 2 == 0:
            value *= 2
            value = value // _N + value % _N
        total += value
    return ALPHABET[(_N - total % _N) % _N]
