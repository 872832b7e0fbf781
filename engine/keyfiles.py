"""Loading and creating secret key files. Keys live outside the repository."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.domain.event_auth import EventKeys
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


def event_keys_of(settings: Settings) -> EventKeys:
    """NUANXIN_EVENT_KEYS_JSON if set, else the file NUANXIN_EVENT_KEYS_FILE."""
    if settings.event_keys_json is not None:
        return EventKeys.from_json(settings.event_keys_json.get_secret_value())
    if settings.event_keys_file is None:
        raise RuntimeError("NUANXIN_EVENT_KEYS_FILE is not set")
    return EventKeys.from_json(settings.event_keys_file.read_text())


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
    """Write a file readable by its owner only, whole or not at all.

    A temporary file beside it is written and flushed to disk, then renamed over the old
    one: a crash during `keys rotate` leaves the old key ring or the new one, never a
    truncated file that would lose every key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:  # mkstemp creates it 0600
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def create_key_files(directory: Path) -> dict[str, Path]:
    """Create missing key files in `directory`; existing ones are kept (old codes must stay
    valid). Returns the settings naming them."""
    paths = {
        "NUANXIN_SIGNING_KEYS_FILE": directory / "signing-keys.json",
        "NUANXIN_AUTH_KEY_FILE": directory / "auth-key.pem",
        "NUANXIN_EVENT_KEYS_FILE": directory / "event-keys.json",
    }
    keyring_path, auth_key_path = paths["NUANXIN_SIGNING_KEYS_FILE"], paths["NUANXIN_AUTH_KEY_FILE"]
    if not paths["NUANXIN_EVENT_KEYS_FILE"].exists():
        write_secret(paths["NUANXIN_EVENT_KEYS_FILE"], EventKeys.new().to_json())
    if not keyring_path.exists():
        write_secret(keyring_path, new_keyring().to_json())
    if not auth_key_path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_secret(auth_key_path, pem)
    return paths
