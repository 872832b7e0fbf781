"""Worker bearer tokens: minted by the engine (for the union's app), HMAC-SHA256 with key ids.

    nxw1.<key id>.<payload>.<mac>

`payload` is base64url JSON {iss, aud, sub, iat, exp}; `mac` is base64url
HMAC-SHA256(key, "nxw1.<key id>.<payload>"). Why not Ed25519 JWTs any more: a claim burst
verifies one new token per claim, and an Ed25519 verification through PyJWT cost about
100 us of the API's CPU per claim (a fifth of it); an HMAC costs a microsecond or two.
The engine is the only verifier, so a shared secret gives up nothing: whoever mints
tokens (the engine, or the union's app holding the same key file) is already trusted.

What the format keeps: one algorithm (the prefix names it; there is no header to choose
another, so neither 'none' nor key confusion can happen), issuer and audience, an expiry,
key ids for rotation (`MacKeys.rotated`; retiring a key id revokes every token it
signed), and revocation of one worker's tokens (`issued before` a moment; see
engine/usecases/worker_tokens.py).

A token carries identity only. What a worker may claim is read from their profile of
record at every claim, so a changed profile counts at once, not when the token expires
(tokens minted before carried a `cat` claim: it is ignored).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from engine.domain.ids import PARTY_ID
from engine.domain.mac_keys import MacKeys
from engine.errors import Unauthorized

FORMAT = "nxw1"
ISSUER = "nuanxin"
AUDIENCE = "nuanxin-worker"
_REFUSED = "Invalid or expired worker token"


@dataclass(frozen=True, slots=True)
class WorkerIdentity:
    worker_id: str
    expires_at: int = 0
    issued_at: int = 0


def mint_worker_token(keys: MacKeys, worker_id: str, now: int, ttl_s: int) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": worker_id,
        "iat": now,
        "exp": now + ttl_s,
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signed = f"{FORMAT}.{keys.active}.{payload}"
    return f"{signed}.{_b64(keys.mac(signed.encode()))}"


def verify_worker_token(keys: MacKeys, token: str, now: float) -> WorkerIdentity:
    """The identity a token carries, or Unauthorized (one answer for every fault)."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != FORMAT:
        raise Unauthorized(_REFUSED)
    _, kid, payload, mac = parts
    signed = f"{FORMAT}.{kid}.{payload}".encode()
    try:
        authentic = keys.verifies(kid, signed, _unb64(mac))
        claims = json.loads(_unb64(payload)) if authentic else None
    except (ValueError, binascii.Error):
        raise Unauthorized(_REFUSED) from None
    if not isinstance(claims, dict):
        raise Unauthorized(_REFUSED)
    return _identity(claims, now)


def _identity(claims: dict[str, object], now: float) -> WorkerIdentity:
    sub, exp, iat = (claims.get(k) for k in ("sub", "exp", "iat"))
    if (
        claims.get("iss") != ISSUER
        or claims.get("aud") != AUDIENCE
        or not isinstance(exp, int)
        or not isinstance(iat, int)
        or now >= exp
        # The subject becomes part of Redis keys and records: it has a party id's shape.
        or not isinstance(sub, str)
        or not PARTY_ID.match(sub)
    ):
        raise Unauthorized(_REFUSED)
    return WorkerIdentity(sub, exp, iat)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VerifiedTokens:
    """Verifies worker tokens and refuses those of revoked workers.

    `revoked_before` maps a worker to the moment (unix s) before which their tokens no
    longer count; it is kept current by the process that owns this object.
    """

    def __init__(self, keys: MacKeys) -> None:
        self.keys = keys
        self.revoked_before: dict[str, int] = {}

    def verify(self, token: str, now: float) -> WorkerIdentity:
        who = verify_worker_token(self.keys, token, now)
        if who.issued_at < self.revoked_before.get(who.worker_id, 0):
            raise Unauthorized(_REFUSED)
        return who
