"""Operations run from the command line: audited, with progress shown."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.adapters import postgres
from engine.composition import Engine
from engine.domain.audit import Actor, AuditEntry
from engine.settings import Settings
from engine.usecases.reconcile import ReconcileReport


def cli_actor() -> Actor:
    return Actor(f"cli:{getpass.getuser()}")


async def audit_cli(
    settings: Settings,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    db = await postgres.connect(settings.database_url.get_secret_value(), 1)
    try:
        await db.insert_audit(AuditEntry.of(cli_actor(), action, target, before, after))
    finally:
        await db.close()


async def draw_lottery(settings: Settings, campaign_id: str, console: Console) -> dict[str, Any]:
    services = await Engine.start(settings)
    try:
        # Idempotent: a list already committed stays as it was published.
        await services.lotteries.commit(campaign_id, cli_actor())
        columns = (
            TextColumn("admitting winners"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("draw", total=None)
            doc = await services.lotteries.draw(
                campaign_id,
                cli_actor(),
                lambda done, total: progress.update(task, completed=done, total=total),
            )
        return doc
    finally:
        await services.stop()


async def run_reconcile(
    settings: Settings, repair: bool, log: Callable[[str], None], only: str | None = None
) -> ReconcileReport:
    engine = await Engine.start(settings, log=False)
    engine.reconciler.log = log
    try:
        return await engine.reconciler.reconcile(repair, cli_actor(), only)
    finally:
        await engine.stop()
