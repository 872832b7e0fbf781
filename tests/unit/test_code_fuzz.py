"""Fuzzing the code decoder and verifier: anything that is not a genuine code is refused
with InvalidCode (the one documented exception), and nothing forged is ever accepted."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.codes import ALPHABET, VoucherPayload, b32encode, sign_code, verify_code
from engine.errors import InvalidCode

KEY = Ed25519PrivateKey.generate()
KEYS = {7: KEY.public_key()}
PAYLOAD = VoucherPayload(7, 42, 123_456, 1_900_000_000)
GENUINE = sign_code(PAYLOAD, KEY)
FUZZ = settings(max_examples=3000, deadline=None)


def refused(text) -> bool:
    try:
        verify_code(text, KEYS)
    except InvalidCode:
        return True
    return False


def test_the_genuine_code_verifies():
    assert verify_code(GENUINE, KEYS) == PAYLOAD


@FUZZ
@given(st.text(max_size=400))
def test_random_text_is_refused(text):
    assert refused(text)


@FUZZ
@given(st.text(alphabet=ALPHABET + "-ilo ", min_size=len(GENUINE) - 3, max_size=len(GENUINE) + 3))
def test_random_text_in_the_code_alphabet_is_refused(text):
    assert refused(text)


@FUZZ
@given(st.binary(min_size=1, max_size=120))
def test_random_bytes_encoded_as_codes_are_refused(raw):
    try:
        text = b32encode(raw.ljust(79, b"\0")[:79])
    except (ValueError, IndexError):
        return
    assert refused(text)


@FUZZ
@given(st.integers(min_value=0, max_value=len(GENUINE) - 1), st.sampled_from(ALPHABET))
def test_any_single_character_change_is_refused(position, char):
    if GENUINE[position] == char:
        return
    assert refused(GENUINE[:position] + char + GENUINE[position + 1 :])


@FUZZ
@given(st.integers(min_value=0, max_value=len(GENUINE) - 1))
def test_truncations_are_refused(length):
    assert refused(GENUINE[:length])


@FUZZ
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=5000))
def test_oversize_inputs_are_refused(tail):
    assert refused(GENUINE + tail)


@FUZZ
@given(st.integers(min_value=0, max_value=79 * 8 - 1))
def test_every_bit_flip_of_the_payload_or_signature_is_refused(bit):
    raw = bytearray(_raw(GENUINE))
    raw[bit // 8] ^= 1 << (bit % 8)
    assert refused(b32encode(bytes(raw)))


def test_refuses_non_strings():
    for value in (None, 42, b"bytes", ["list"]):
        assert refused(value)


def _raw(code: str) -> bytes:
    from engine.domain.codes import b32decode, normalise

    return b32decode(normalise(code))
