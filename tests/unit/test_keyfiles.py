"""Signing keys come from files or the environment; rotation adds a key and keeps the old."""

from __future__ import annotations

from engine.domain.codes import VoucherPayload, sign_code, verify_code
from engine.domain.keyring import new_keyring
from engine.domain.mac_keys import MacKeys
from engine.keyfiles import create_key_files, keyring_of, worker_token_keys_of
from engine.settings import Settings


def test_keys_from_the_environment_win_over_files(tmp_path):
    files = {k: str(v) for k, v in create_key_files(tmp_path).items()}
    ring, tokens = new_keyring(), MacKeys.new("t")
    from_files = Settings.from_env(files)
    from_env = Settings.from_env(
        files
        | {
            "NUANXIN_SIGNING_KEYS_JSON": ring.to_json(),
            "NUANXIN_WORKER_TOKEN_KEYS_JSON": tokens.to_json(),
        }
    )
    assert keyring_of(from_env).to_json() == ring.to_json()
    assert keyring_of(from_files).to_json() != ring.to_json()
    assert worker_token_keys_of(from_env) == tokens
    assert worker_token_keys_of(from_files) != tokens
    assert ring.to_json() not in repr(from_env) and tokens.to_json() not in repr(from_env)


def test_rotation_adds_a_key_id_and_old_codes_still_verify():
    ring = new_keyring()
    old = sign_code(VoucherPayload(ring.active_key_id, 1, 1, 1_900_000_000), ring.active_key)
    rotated = ring.rotated()
    assert rotated.active_key_id == ring.active_key_id + 1
    assert set(rotated.private_keys) == {ring.active_key_id, rotated.active_key_id}
    assert verify_code(old, rotated.public_keys).key_id == ring.active_key_id


def test_a_secret_file_is_replaced_whole_and_kept_private(tmp_path, monkeypatch):
    import os
    import stat

    import pytest

    from engine import keyfiles

    path = tmp_path / "state" / "ring.json"
    keyfiles.write_secret(path, "old ring")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    def crash(*_args):
        raise OSError("disk gone mid-write")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        keyfiles.write_secret(path, "new ring")
    assert path.read_text() == "old ring"  # never truncated in place
    assert os.listdir(path.parent) == ["ring.json"]  # no temporary left behind
