"""Worker tokens: only a current EdDSA token from our key, for our audience, is accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.domain.tokens import (
    AUDIENCE,
    ISSUER,
    VerifiedTokens,
    mint_worker_token,
    verify_worker_token,
)
from engine.errors import Unauthorized

KEY = Ed25519PrivateKey.generate()


def now() -> int:
    """Read when a token is minted, never at import: the suite may run for many minutes."""
    return int(time.time())


def claims(**overrides):
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "w-1",
        "cat": "courier",
        "iat": now(),
        "exp": now() + 600,
    } | overrides


def test_valid_token():
    token = mint_worker_token(KEY, "w-1", "courier", now(), 600)
    who = verify_worker_token(KEY.public_key(), token)
    assert (who.worker_id, who.category) == ("w-1", "courier")


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: mint_worker_token(KEY, "w-1", "courier", now() - 7200, 600),  # expired
        lambda: mint_worker_token(Ed25519PrivateKey.generate(), "w-1", "courier", now(), 600),
        lambda: jwt.encode(claims(aud="someone-else"), KEY, algorithm="EdDSA"),
        lambda: jwt.encode(claims(iss="someone-else"), KEY, algorithm="EdDSA"),
        lambda: jwt.encode(claims(sub=None), KEY, algorithm="EdDSA"),
        lambda: jwt.encode(claims(), None, algorithm="none"),
        lambda: "not-a-jwt",
        lambda: "",
        lambda: "a.b.c",
    ],
    ids=[
        "expired",
        "wrong-key",
        "audience",
        "issuer",
        "no-subject",
        "alg-none",
        "junk",
        "empty",
        "three-parts",
    ],
)
def test_refused_tokens(make_token):
    with pytest.raises(Unauthorized):
        verify_worker_token(KEY.public_key(), make_token())


def test_hs256_signed_with_the_public_key_is_refused():
    """Algorithm confusion: an attacker HMACs a token with our public key as the secret."""
    public = KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims()).encode())
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthorized):
        verify_worker_token(KEY.public_key(), signing_input + "." + b64(mac))


def test_verified_tokens_cache_still_refuses_bad_and_expired_tokens():
    tokens = VerifiedTokens(KEY.public_key(), max_entries=2)
    short = mint_worker_token(KEY, "w-1", "courier", now(), 1)
    assert tokens.verify(short, time.time()).worker_id == "w-1"
    assert tokens.verify(short, time.time()).worker_id == "w-1"  # from memory
    time.sleep(1.2)
    with pytest.raises(Unauthorized):
        tokens.verify(short, time.time())  # remembered, but expired now
    issued_at = now()
    good = mint_worker_token(KEY, "w-1", "courier", issued_at, 600)
    header, body, signature = good.split(".")
    # A middle character: changing the last ones may only touch base64 padding bits.
    forged = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(Unauthorized):
        tokens.verify(f"{header}.{body}.{forged}", issued_at)
    for i in range(5):  # the bound holds
        tokens.verify(mint_worker_token(KEY, f"w-{i}", "courier", issued_at, 600), issued_at)
    assert len(tokens._known) <= 2
