"""Commands for merchants' side: the ledger's chains and offline code checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from engine.cli.common import DEFAULT_STATE, StateDir, console, settings_for


def ledger_verify(
    merchant: Annotated[str | None, typer.Option(help="one merchant (default: all)")] = None,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Recompute every hash chain; report the first broken link and exit 1 if there is one."""
    import asyncio

    from engine.cli.ledger import verify_chains

    result = asyncio.run(verify_chains(settings_for(state_dir), merchant))
    print(json.dumps(result))
    if result["broken"] is not None:
        raise typer.Exit(1)


def codes_verify(
    code: str,
    published_keys: Annotated[
        Path | None, typer.Option(help="the document GET /v1/keys publishes")
    ] = None,
    keys: Annotated[
        Path | None, typer.Option("--keys", hidden=True, help="the old name of --published-keys")
    ] = None,
) -> None:
    """Check a code offline against published public keys; exit 1 if it is not genuine."""
    from engine.domain.codes import verify_code
    from engine.domain.keyring import public_keys_from_document
    from engine.errors import InvalidCode

    if keys is not None:  # renamed on 2026-12-01; the old name goes after one release
        typer.echo("--keys is deprecated: use --published-keys", err=True)
    published_keys = published_keys or keys
    if published_keys is None:
        raise typer.BadParameter("--published-keys is required", param_hint="--published-keys")

    try:
        payload = verify_code(
            code, public_keys_from_document(json.loads(published_keys.read_text()))
        )
    except InvalidCode:
        console.print("[red]not a genuine voucher code[/red]")
        raise typer.Exit(1) from None
    print(
        json.dumps(
            {
                "genuine": True,
                "key_id": payload.key_id,
                "campaign_number": payload.campaign_number,
                "serial": payload.serial,
                "expires_at": payload.expires_at,
            }
        )
    )


def watch_rebuild(
    hours: Annotated[int, typer.Option(min=1, max=24 * 90, help="how far back")] = 24,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Give the cash-out watch back what it keeps (the redemptions and reversals it
    judges) from the ledger, after a lost log or a lost table; prints how many were
    missing. Safe to repeat."""
    import asyncio

    from engine.cli.ledger import rebuild_watch

    print(json.dumps(asyncio.run(rebuild_watch(settings_for(state_dir), hours))))
