"""Signing keys come from files or the environment; rotation adds a key and keeps the old."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.domain.codes import VoucherPayload, sign_code, verify_code
from engine.domain.keyring import new_keyring
from engine.keyfiles import auth_key_of, create_key_files, keyring_of
from engine.settings import Settings


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_keys_from_the_environment_win_over_files(tmp_path):
    create_key_files(tmp_path / "ring.json", tmp_path / "auth.pem")
    ring, auth = new_keyring(), Ed25519PrivateKey.generate()
    files = {
        "NUANXIN_SIGNING_KEYS_FILE": str(tmp_path / "ring.json"),
        "NUANXIN_AUTH_KEY_FILE": str(tmp_path / "auth.pem"),
    }
    from_files = Settings.from_env(files)
    from_env = Settings.from_env(
        files | {"NUANXIN_SIGNING_KEYS_JSON": ring.to_json(), "NUANXIN_AUTH_KEY_PEM": _pem(auth)}
    )
    assert keyring_of(from_env).to_json() == ring.to_json()
    assert keyring_of(from_files).to_json() != ring.to_json()
    assert _pem(auth_key_of(from_env)) == _pem(auth)
    assert _pem(auth_key_of(from_files)) != _pem(auth)
    assert ring.to_json() not in repr(from_env) and _pem(auth) not in repr(from_env)


def test_rotation_adds_a_key_id_and_old_codes_still_verify():
    ring = new_keyring()
    old = sign_code(VoucherPayload(ring.active_key_id, 1, 1, 1_900_000_000), ring.active_key)
    rotated = ring.rotated()
    assert rotated.active_key_id == ring.active_key_id + 1
    assert set(rotated.private_keys) == {ring.active_key_id, rotated.active_key_id}
    assert verify_code(old, rotated.public_keys).key_id == ring.active_key_id
