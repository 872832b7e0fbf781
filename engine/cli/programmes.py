"""Commands for the union's programmes: worker registers and lottery draws."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from engine.cli.common import DEFAULT_STATE, StateDir, console, settings_for


def workers_import(
    csv_file: Path,
    report: Annotated[Path | None, typer.Option(help="where to write rejected rows")] = None,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Import worker profiles from CSV (id, category, profile columns); idempotent."""
    import asyncio

    from engine.cli.importing import run_import

    settings = settings_for(state_dir)
    summary = asyncio.run(run_import(settings, csv_file, report, Console(stderr=True)))
    print(json.dumps(summary))


def lottery_draw(campaign_id: str, state_dir: StateDir = DEFAULT_STATE) -> None:
    """Commit the registrant list if needed, then draw and admit the winners (progress bar)."""
    import asyncio

    from engine.cli.operations import draw_lottery

    doc = asyncio.run(draw_lottery(settings_for(state_dir), campaign_id, Console(stderr=True)))
    print(
        json.dumps(
            {k: doc[k] for k in ("campaign_id", "state", "commitment", "seed_hex")}
            | {"winners": len(doc["winners"] or [])}
        )
    )


def lottery_verify(published: Path) -> None:
    """Re-run a draw from its published document (GET /v1/campaigns/{id}/lottery)."""
    from engine.domain import lottery

    doc = json.loads(published.read_text())
    if doc.get("seed_hex") is None:
        console.print("[red]the draw has not happened yet: no seed is published[/red]")
        raise typer.Exit(2)
    problems = lottery.verify(
        bytes.fromhex(doc["seed_hex"]),
        doc["commitment"],
        doc["registrants"],
        doc["registrants_digest"],
        doc["stock"],
        doc["winners"],
    )
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
    console.print(
        f"verified: {len(doc['winners'])} winners of {len(doc['registrants'])} "
        "registrants follow from the published seed"
    )
