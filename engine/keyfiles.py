"""Loading and creating secret key files. Keys live outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.domain.keyring import Keyring, new_keyring
from engine.settings import Settings


def keyring_of(settings: Settings) -> Keyring:
    """NUANXIN_SIGNING_KEYS_JSON if set, else the file NUANXIN_SIGNING_KEYS_FILE."""
    if settings.signing_keys_json is not None:
        return Keyring.from_json(settings.signing_keys_json.get_secret_value())
    return load_keyring(settings.signing_keys_file)


def auth_key_of(settings: Settings) -> Ed25519PrivateKey:
    """NUANXIN_AUTH_KEY_PEM if set, else the file NUANXIN_AUTH_KEY_FILE."""
    if settings.auth_key_pem is not None:
        return _ed25519(settings.auth_key_pem.get_secret_value().encode(), "NUANXIN_AUTH_KEY_PEM")
    return load_auth_key(settings.auth_key_file)


def load_keyring(path: Path | None) -> Keyring:
    if path is None:
        raise RuntimeError("NUANXIN_SIGNING_KEYS_FILE is not set")
    return Keyring.from_json(path.read_text())


def load_auth_key(path: Path | None) -> Ed25519PrivateKey:
    if path is None:
        raise RuntimeError("NUANXIN_AUTH_KEY_FILE is not set")
    return _ed25519(path.read_bytes(), str(path))


def _ed25519(pem: bytes, where: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{where} is not an Ed25519 private key")
    return key


def write_secret(path: Path, data: str | bytes) -> None:
    """Create a file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def create_key_files(keyring_path: Path, auth_key_path: Path) -> None:
    """Create missing key files; existing ones are kept (old codes must stay valid)."""
    if not keyring_path.exists():
        write_secret(keyring_path, new_keyring().to_json())
    if not auth_key_path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_secret(auth_key_path, pem)
