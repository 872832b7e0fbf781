"""`nuanxin workers import`: stream a CSV into PostgreSQL and the Redis profile cache."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.cli.operations import cli_actor
from engine.composition import Engine
from engine.errors import ValidationFailed
from engine.settings import Settings
from engine.usecases.workers import read_csv


async def run_import(
    settings: Settings, csv_file: Path, report_path: Path | None, console: Console
) -> dict[str, Any]:
    total = _count_rows(csv_file)
    engine = await Engine.start(settings, log=False)
    try:
        columns = (TextColumn("import"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with (
            open(csv_file, newline="", encoding="utf-8-sig") as f,  # noqa: ASYNC230 - CLI
            Progress(*columns, console=console) as progress,
        ):
            task = progress.add_task("import", total=total)
            try:
                result = await engine.workers.import_rows(
                    read_csv(f),
                    cli_actor(),
                    progress=lambda n: progress.update(task, completed=n),
                    source=csv_file.name,
                )
            except ValidationFailed as exc:
                console.print(f"[red]{exc.detail}[/red]")
                raise SystemExit(2) from None
    finally:
        await engine.stop()
    if result.rejected:
        report_path = report_path or csv_file.with_suffix(".rejected.csv")
        with open(report_path, "w", newline="") as out:  # noqa: ASYNC230
            writer = csv.writer(out)
            writer.writerow(["line", "id", "reason"])
            writer.writerows(result.rejected)
        console.print(f"{len(result.rejected)} rows rejected; reasons in {report_path}")
    summary = result.as_dict(max_rejections=0)
    summary.pop("rejections")
    return summary


def _count_rows(path: Path) -> int:
    with open(path, "rb") as f:
        return max(0, sum(1 for _ in f) - 1)
