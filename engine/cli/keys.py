"""Commands for keys: rotating the code-signing key, creating key files."""

from __future__ import annotations

from pathlib import Path

import typer

from engine.cli.common import DEFAULT_STATE, StateDir, console, settings_for


def keys_rotate(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Add a signing key and make it the active one; old keys keep verifying.

    Running API and stream processes read the key file at start: restart them.
    """
    import asyncio

    from engine.cli.operations import audit_cli
    from engine.keyfiles import load_keyring, write_secret

    settings = settings_for(state_dir)
    path = settings.signing_keys_file
    if path is None:
        console.print("[red]no key file is configured (NUANXIN_SIGNING_KEYS_FILE)[/red]")
        raise typer.Exit(2)
    before = load_keyring(path)
    ring = before.rotated()
    write_secret(path, ring.to_json())
    asyncio.run(
        audit_cli(
            settings,
            "signing_keys.rotate",
            "signing-keys",
            {"active_key_id": before.active_key_id},
            {"active_key_id": ring.active_key_id},
        )
    )
    console.print(f"key {ring.active_key_id} now signs; {len(ring.private_keys)} keys verify")


def keys_init(directory: Path) -> None:
    """Create the code-signing keys, the worker-token key and the event keys in DIRECTORY,
    if missing."""
    from engine.keyfiles import create_key_files

    create_key_files(directory)
    console.print(f"keys in {directory} (keep them out of version control)")
