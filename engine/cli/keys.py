"""Commands for keys: rotating and retiring them, creating key files."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.cli.common import DEFAULT_STATE, StateDir, console, settings_for
from engine.settings import Settings


class KeyKind(StrEnum):
    SIGNING = "signing"  # voucher codes (Ed25519)
    WORKER_TOKENS = "worker-tokens"  # workers' bearer tokens (HMAC)
    EVENTS = "events"  # the MAC on every event (HMAC)


Kind = Annotated[KeyKind, typer.Option(help="which keys")]


def keys_rotate(kind: Kind = KeyKind.SIGNING, state_dir: StateDir = DEFAULT_STATE) -> None:
    """Add a key and make it the active one; old keys keep verifying.

    Running API and stream processes read the key files at start: restart them.
    """
    from engine.domain.event_auth import EventKeys
    from engine.domain.mac_keys import MacKeys
    from engine.keyfiles import load_keyring, write_secret

    settings = settings_for(state_dir)
    path = _key_file(settings, kind)
    if kind is KeyKind.SIGNING:
        ring = load_keyring(path)
        before, after = str(ring.active_key_id), ring.rotated()
        write_secret(path, after.to_json())
        active, count = str(after.active_key_id), len(after.private_keys)
    else:
        keys = (EventKeys if kind is KeyKind.EVENTS else MacKeys).from_json(path.read_text())
        before, rotated = keys.active, keys.rotated()
        write_secret(path, rotated.to_json())
        active, count = rotated.active, len(rotated.keys)
    _audit(settings, f"{kind}_keys.rotate", kind, {"active_key_id": before}, active)
    console.print(f"{kind} key {active} now signs; {count} keys verify")


def keys_retire(
    key_id: Annotated[str, typer.Argument(help="the key id to remove, e.g. t1")],
    kind: Kind = KeyKind.WORKER_TOKENS,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Remove one HMAC key: every worker token (or event) it signed stops verifying once
    the processes restart. The active key cannot be retired: rotate first."""
    from engine.domain.mac_keys import MacKeys
    from engine.keyfiles import write_secret

    if kind is KeyKind.SIGNING:
        console.print("[red]signing keys are never retired: issued codes must verify[/red]")
        raise typer.Exit(2)
    settings = settings_for(state_dir)
    path = _key_file(settings, kind)
    keys = MacKeys.from_json(path.read_text())
    if key_id not in keys.keys:
        console.print(f"[red]no {kind} key {key_id}[/red]")
        raise typer.Exit(2)
    try:
        retired = keys.retired(key_id)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    write_secret(path, retired.to_json())
    _audit(settings, f"{kind}_keys.retire", kind, {"key_id": key_id}, retired.active)
    console.print(f"{kind} key {key_id} retired; {len(retired.keys)} keys verify")


def _key_file(settings: Settings, kind: KeyKind) -> Path:
    path = {
        KeyKind.SIGNING: settings.signing_keys_file,
        KeyKind.WORKER_TOKENS: settings.worker_token_keys_file,
        KeyKind.EVENTS: settings.event_keys_file,
    }[kind]
    if path is None:
        console.print(f"[red]no {kind} key file is configured[/red]")
        raise typer.Exit(2)
    return path


def _audit(
    settings: Settings, action: str, kind: KeyKind, before: dict[str, Any], active: str
) -> None:
    from engine.cli.operations import audit_cli

    after = {"active_key_id": active}
    asyncio.run(audit_cli(settings, action.replace("-", "_"), f"{kind}-keys", before, after))


def keys_init(directory: Path) -> None:
    """Create the code-signing keys, the worker-token keys and the event keys in DIRECTORY,
    if missing."""
    from engine.keyfiles import create_key_files

    create_key_files(directory)
    console.print(f"keys in {directory} (keep them out of version control)")
