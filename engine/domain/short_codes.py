"""A voucher's short code: what a cashier types when the camera fails.

Twelve symbols of Crockford's base32 (digits and letters without I, L, O, U), shown in
groups of four: eleven random symbols (55 bits) and a check symbol by the Luhn mod N
algorithm over the same alphabet, so every mistyped symbol and almost every swap of two
neighbours is caught before a guess is counted. Typed input is forgiving as Crockford
intends: any case, spaces and hyphens ignored, I and L read as 1, O as 0.

A short code is only a name for an issued voucher, redeemed online (the engine looks it
up); unlike the full code it proves nothing offline.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_N = len(ALPHABET)


def new_short_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check_symbol(body)


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
