"""Loading and creating secret key files. Keys live outside the repository."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from engine.domain.event_auth import EventKeys
from engine.domain.keyring import Keyring, new_keyring
from engine.domain.mac_keys import MacKeys
from engine.settings import Settings


def keyring_of(settings: Settings) -> Keyring:
    """NUANXIN_SIGNING_KEYS_JSON if set, else the file NUANXIN_SIGNING_KEYS_FILE."""
    if settings.signing_keys_json is not None:
        return Keyring.from_json(settings.signing_keys_json.get_secret_value())
    return load_keyring(settings.signing_keys_file)


def worker_token_keys_of(settings: Settings) -> MacKeys:
    """NUANXIN_WORKER_TOKEN_KEYS_JSON if set, else the file NUANXIN_WORKER_TOKEN_KEYS_FILE."""
    if settings.worker_token_keys_json is not None:
        return MacKeys.from_json(settings.worker_token_keys_json.get_secret_value())
    return load_worker_token_keys(settings.worker_token_keys_file)


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


def load_worker_token_keys(path: Path | None) -> MacKeys:
    if path is None:
        raise RuntimeError("NUANXIN_WORKER_TOKEN_KEYS_FILE is not set")
    return MacKeys.from_json(path.read_text())


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
        "NUANXIN_WORKER_TOKEN_KEYS_FILE": directory / "worker-token-keys.json",
        "NUANXIN_EVENT_KEYS_FILE": directory / "event-keys.json",
    }
    if not paths["NUANXIN_EVENT_KEYS_FILE"].exists():
        write_secret(paths["NUANXIN_EVENT_KEYS_FILE"], EventKeys.new("e").to_json())
    if not paths["NUANXIN_SIGNING_KEYS_FILE"].exists():
        write_secret(paths["NUANXIN_SIGNING_KEYS_FILE"], new_keyring().to_json())
    if not paths["NUANXIN_WORKER_TOKEN_KEYS_FILE"].exists():
        write_secret(paths["NUANXIN_WORKER_TOKEN_KEYS_FILE"], MacKeys.new("t").to_json())
    return paths
