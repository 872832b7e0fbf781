"""Worker tokens: only a current token MACed with one of our key ids, for our audience and
issuer, in the one format we mint, is accepted; a worker's revocation holds."""

from __future__ import annotations

import base64
import json
import time

import pytest

from engine.domain.mac_keys import MacKeys
from engine.domain.tokens import (
    AUDIENCE,
    FORMAT,
    ISSUER,
    VerifiedTokens,
    WorkerIdentity,
    mint_worker_token,
    verify_worker_token,
)
from engine.errors import Unauthorized

KEYS = MacKeys.new("t")


def now() -> int:
    """Read when a token is minted, never at import: the suite may run for many minutes."""
    return int(time.time())


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged(claims: dict[str, object], keys: MacKeys = KEYS, kid: str | None = None) -> str:
    """A token in our format over any claims, MACed with the given keys."""
    kid = kid or keys.active
    signed = f"{FORMAT}.{kid}.{b64(json.dumps(claims).encode())}"
    return f"{signed}.{b64(keys.mac(signed.encode(), kid if kid in keys.keys else None))}"


def claims(**overrides: object) -> dict[str, object]:
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "w-1",
        "iat": now(),
        "exp": now() + 600,
    } | overrides


def test_valid_token():
    token = mint_worker_token(KEYS, "w-1", now(), 600)
    who = verify_worker_token(KEYS, token, time.time())
    assert who.worker_id == "w-1"
    assert token.startswith(f"{FORMAT}.{KEYS.active}.")
    # Identity only: what the worker may claim is read from the profile of record.
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[2] + "=="))
    assert set(payload) == {"iss", "aud", "sub", "iat", "exp"}


def test_a_token_minted_with_a_category_still_verifies_and_the_category_is_ignored():
    who = verify_worker_token(KEYS, forged(claims(cat="truck_driver")), time.time())
    assert who == WorkerIdentity("w-1", who.expires_at, who.issued_at)


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: mint_worker_token(KEYS, "w-1", now() - 7200, 600),
        lambda: mint_worker_token(MacKeys.new("t"), "w-1", now(), 600),
        lambda: forged(claims(), kid="t9"),
        lambda: forged(claims(aud="someone-else")),
        lambda: forged(claims(iss="someone-else")),
        lambda: forged(claims(sub=None)),
        lambda: forged(claims(sub="w:1")),
        lambda: forged(claims(exp="tomorrow")),
        lambda: forged(claims(iat=None)),
        lambda: "eyJhbGciOiJub25lIn0." + b64(json.dumps(claims()).encode()) + ".",
        lambda: mint_worker_token(KEYS, "w-1", now(), 600).replace(FORMAT, "nxw2"),
        lambda: "not-a-token",
        lambda: "",
        lambda: "a.b.c.d",
        lambda: f"{FORMAT}.t1.!!!.???",
    ],
    ids=[
        "expired",
        "another-key-set",
        "unknown-key-id",
        "audience",
        "issuer",
        "no-subject",
        "subject-with-separator",
        "expiry-not-a-number",
        "no-issued-at",
        "jwt-alg-none",
        "other-format",
        "junk",
        "empty",
        "four-parts",
        "not-base64",
    ],
)
def test_refused_tokens(make_token):
    with pytest.raises(Unauthorized):
        verify_worker_token(KEYS, make_token(), time.time())


def test_a_tampered_payload_or_mac_is_refused():
    token = mint_worker_token(KEYS, "w-1", now(), 600)
    prefix, kid, payload, mac = token.split(".")
    other = b64(json.dumps(claims(sub="w-2")).encode())
    # A middle character: changing the last ones may only touch base64 padding bits.
    flipped = mac[:10] + ("A" if mac[10] != "A" else "B") + mac[11:]
    for bad in (f"{prefix}.{kid}.{other}.{mac}", f"{prefix}.{kid}.{payload}.{flipped}"):
        with pytest.raises(Unauthorized):
            verify_worker_token(KEYS, bad, time.time())


def test_rotation_keeps_old_tokens_until_their_key_is_retired():
    old = mint_worker_token(KEYS, "w-1", now(), 600)
    rotated = KEYS.rotated()
    new = mint_worker_token(rotated, "w-1", now(), 600)
    assert new.split(".")[1] == rotated.active != KEYS.active
    for token in (old, new):
        assert verify_worker_token(rotated, token, time.time()).worker_id == "w-1"
    retired = rotated.retired(KEYS.active)
    assert verify_worker_token(retired, new, time.time()).worker_id == "w-1"
    with pytest.raises(Unauthorized):
        verify_worker_token(retired, old, time.time())
    with pytest.raises(ValueError):
        rotated.retired(rotated.active)


def test_a_revoked_worker_keeps_no_token_minted_before_the_revocation():
    tokens = VerifiedTokens(KEYS)
    issued_at = now()
    before = mint_worker_token(KEYS, "w-1", issued_at, 600)
    other = mint_worker_token(KEYS, "w-2", issued_at, 600)
    tokens.revoked_before["w-1"] = issued_at + 1
    with pytest.raises(Unauthorized):
        tokens.verify(before, time.time())
    assert tokens.verify(other, time.time()).worker_id == "w-2"
    after = mint_worker_token(KEYS, "w-1", issued_at + 1, 600)
    assert tokens.verify(after, time.time()).worker_id == "w-1"
