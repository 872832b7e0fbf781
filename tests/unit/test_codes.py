"""Promise 6 for the code format: forged, truncated or altered codes never verify."""

from __future__ import annotations

import json
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.domain.codes import (
    ALPHABET,
    CODE_CHARS,
    VoucherPayload,
    b32decode,
    b32encode,
    code_digest,
    group_for_typing,
    raw_code_digest,
    sign_code,
    signed_code,
    verify_code,
)
from engine.domain.keyring import Keyring, new_keyring
from engine.errors import InvalidCode

PAYLOAD = VoucherPayload(key_id=1, campaign_number=7, serial=123456, expires_at=1893456000)


@pytest.fixture(scope="module")
def ring() -> Keyring:
    return new_keyring(1)


def test_sign_verify_roundtrip_and_determinism(ring):
    code = sign_code(PAYLOAD, ring.active_key)
    assert len(code) == CODE_CHARS and set(code) <= set(ALPHABET)
    assert sign_code(PAYLOAD, ring.active_key) == code
    assert verify_code(code, ring.public_keys) == PAYLOAD


def test_libsodium_signs_what_openssl_signs_and_the_digest_needs_no_decoding(ring):
    """Codes are signed with libsodium and verified with OpenSSL (cryptography): the
    signature must be the very one OpenSSL gives, for every key of the ring."""
    for key_id, key in ring.private_keys.items():
        payload = VoucherPayload(key_id, 7, 123456, 1893456000)
        raw = signed_code(payload, key)
        body = payload.to_bytes()
        assert raw == body + key.sign(b"nuanxin-voucher-v1:" + body)
        assert raw_code_digest(raw) == code_digest(b32encode(raw))


def test_typing_forms_are_accepted(ring):
    code = sign_code(PAYLOAD, ring.active_key)
    assert verify_code(group_for_typing(code).lower(), ring.public_keys) == PAYLOAD
    assert verify_code(code.replace("0", "O").replace("1", "I"), ring.public_keys) == PAYLOAD


def test_every_single_bit_flip_is_rejected(ring):
    raw = b32decode(sign_code(PAYLOAD, ring.active_key))
    for bit in range(len(raw) * 8):
        altered = bytearray(raw)
        altered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(InvalidCode):
            verify_code(b32encode(bytes(altered)), ring.public_keys)


def test_every_character_substitution_is_rejected(ring):
    code = sign_code(PAYLOAD, ring.active_key)
    rng = random.Random(7)
    for i in range(len(code)):
        other = rng.choice([c for c in ALPHABET if c != code[i]])
        with pytest.raises(InvalidCode):
            verify_code(code[:i] + other + code[i + 1 :], ring.public_keys)


def test_truncation_and_extension_are_rejected(ring):
    code = sign_code(PAYLOAD, ring.active_key)
    for bad in (code[:-1], code[1:], code + "0", "", code[:64]):
        with pytest.raises(InvalidCode):
            verify_code(bad, ring.public_keys)


def test_other_key_and_unknown_key_id_are_rejected(ring):
    forged = sign_code(PAYLOAD, new_keyring(1).active_key)
    with pytest.raises(InvalidCode):
        verify_code(forged, ring.public_keys)
    unknown = sign_code(VoucherPayload(9, 7, 1, 1893456000), ring.active_key)
    with pytest.raises(InvalidCode):
        verify_code(unknown, ring.public_keys)


def test_rotation_keeps_old_codes_valid(ring):
    old_code = sign_code(PAYLOAD, ring.active_key)
    new_key = Ed25519PrivateKey.generate()
    rotated = Keyring(2, {**ring.private_keys, 2: new_key})
    new_code = sign_code(VoucherPayload(2, 7, 9, 1893456000), rotated.active_key)
    assert verify_code(old_code, rotated.public_keys).key_id == 1
    assert verify_code(new_code, rotated.public_keys).key_id == 2
    assert Keyring.from_json(rotated.to_json()).public_document() == rotated.public_document()


@pytest.mark.parametrize(
    "garbage",
    ["", " ", "-" * 300, "0" * 127, "Z" * 127, "\x00" * 127, "你好" * 60, "U" * 127, None, 12345],
)
def test_garbage_raises_only_invalid_code(ring, garbage):
    with pytest.raises(InvalidCode):
        verify_code(garbage, ring.public_keys)


def test_random_inputs_raise_only_invalid_code(ring):
    rng = random.Random(2025)
    for _ in range(2000):
        n = rng.choice([CODE_CHARS, rng.randrange(0, 300)])
        text = "".join(rng.choice(ALPHABET + "ILOU-ab ") for _ in range(n))
        with pytest.raises(InvalidCode):
            verify_code(text, ring.public_keys)


def test_payload_fields_out_of_range_refuse_to_encode():
    with pytest.raises(ValueError):
        VoucherPayload(1, 1, 2**32, 0).to_bytes()


def test_published_vectors(repo_root):
    doc = json.loads((repo_root / "schemas" / "code-vectors.json").read_text())
    valid = [v for v in doc["vectors"] if v["valid"]]
    invalid = [v for v in doc["vectors"] if not v["valid"]]
    assert valid and invalid
    for v in valid:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["seed_hex"]))
        payload = VoucherPayload(
            **{k: v["payload"][k] for k in ("key_id", "campaign_number", "serial", "expires_at")}
        )
        assert payload.to_bytes().hex() == v["payload_hex"]
        assert sign_code(payload, key) == v["code"]
        public = {
            payload.key_id: Ed25519PublicKey.from_public_bytes(bytes.fromhex(v["public_key_hex"]))
        }
        assert verify_code(v["code"], public) == payload
    for v in invalid:
        public = {
            v["key_id"]: Ed25519PublicKey.from_public_bytes(bytes.fromhex(v["public_key_hex"]))
        }
        with pytest.raises(InvalidCode):
            verify_code(v["code"], public)


def test_rotated_keyring_signs_with_the_new_key_and_still_verifies_old_codes():
    ring = new_keyring(1)
    old_code = sign_code(PAYLOAD, ring.active_key)
    rotated = Keyring.from_json(ring.rotated().to_json())
    assert rotated.active_key_id == 2
    new_code = sign_code(VoucherPayload(2, 7, 9, 1893456000), rotated.active_key)
    assert verify_code(old_code, rotated.public_keys).key_id == 1
    assert verify_code(new_code, rotated.public_keys).key_id == 2
    doc = rotated.public_document()
    periods = {k["key_id"]: k for k in doc["keys"]}
    assert periods[1]["signs_until"] is not None and periods[2]["signs_until"] is None
    assert periods[2]["created_at"] == periods[1]["signs_until"]
    from engine.domain.keyring import public_keys_from_document

    assert verify_code(old_code, public_keys_from_document(doc)).serial == PAYLOAD.serial
