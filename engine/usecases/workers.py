"""Worker registration: one at a time, or hundreds of thousands from a CSV file."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.domain.audit import Actor, AuditEntry
from engine.domain.ids import PARTY_ID
from engine.domain.profiles import (
    PROFILE_FIELDS,
    ProfileError,
    WorkerProfile,
    parse_profile,
    register_entry,
)
from engine.domain.text import storable_text
from engine.errors import ValidationFailed
from engine.usecases.ports import AuditLog, LiveDefinitions, WorkerRecords


class Records(WorkerRecords, AuditLog, Protocol):
    """The register of workers; an import is audited."""


WORKER_ID = PARTY_ID
BATCH = 5000


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, id, reason)

    def as_dict(self, max_rejections: int = 1000) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "rejections": [
                {"line": line, "id": wid, "reason": reason}
                for line, wid, reason in self.rejected[:max_rejections]
            ],
        }


def read_csv(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a worker CSV with their line numbers; the header must name known columns."""
    reader = csv.DictReader(lines)
    columns = set(reader.fieldnames or ())
    unknown = columns - set(PROFILE_FIELDS) - {"id"}
    if "id" not in columns or "category" not in columns or unknown:
        raise ValidationFailed(
            "the header must have id and category, and only these columns: "
            + ", ".join(["id", *PROFILE_FIELDS])
            + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else "")
        )
    for row in reader:
        yield reader.line_num, row


def parse_row(row: dict[str, str | None]) -> WorkerProfile:
    worker_id = (row.get("id") or "").strip()
    if not WORKER_ID.match(worker_id):
        raise ProfileError("id must be 1-64 letters, digits, '.', '_' or '-'")
    if None in row or any(v is None for v in row.values()):
        raise ProfileError("the row has a different number of fields than the header")
    for name, value in row.items():
        if value is not None and not storable_text(value):
            raise ProfileError(f"{name} holds a control character (such as NUL)")
    return parse_profile(worker_id, {k: v for k, v in row.items() if k != "id"})


class Workers:
    def __init__(self, *, live: LiveDefinitions, records: Records) -> None:
        self.live, self.db = live, records

    async def register(self, worker_id: str, values: dict[str, Any]) -> bool:
        """Create or update one worker; True when created."""
        try:
            profile = parse_profile(worker_id, values)
        except ProfileError as exc:
            raise ValidationFailed(str(exc)) from None
        created, _ = await self._write([profile])
        return created == 1

    async def register_many(self, items: list[tuple[str, dict[str, Any]]]) -> int:
        """All or nothing: any invalid worker refuses the whole request."""
        profiles, errors = [], []
        for worker_id, values in items:
            try:
                profiles.append(parse_profile(worker_id, values))
            except ProfileError as exc:
                errors.append(f"{worker_id}: {exc}")
        if errors:
            raise ValidationFailed("; ".join(errors[:20]))
        await self._write(profiles)
        return len(profiles)

    async def import_rows(
        self,
        rows: Iterable[tuple[int, dict[str, Any]]],
        by: Actor,
        progress: Callable[[int], None] = lambda n: None,
        source: str | None = None,
    ) -> ImportReport:
        """Import idempotently: rows equal to what is stored change nothing.

        A file of hundreds of thousands of rows commits in batches, so its audit row comes
        last and records what the whole import did.
        """
        report, batch, seen = ImportReport(), [], set()
        for line, row in rows:
            report.rows += 1
            try:
                profile = parse_row(row)
                if profile.worker_id in seen:
                    raise ProfileError("the same id appears earlier in the file")
                seen.add(profile.worker_id)
                batch.append(profile)
            except ProfileError as exc:
                report.rejected.append((line, str(row.get("id") or "")[:64], str(exc)))
            if len(batch) >= BATCH:
                await self._flush(batch, report)
                progress(report.rows)
                batch = []
        await self._flush(batch, report)
        progress(report.rows)
        summary = report.as_dict(max_rejections=0) | ({"file": source} if source else {})
        summary.pop("rejections")
        await self.db.insert_audit(AuditEntry.of(by, "workers.import", "workers", after=summary))
        return report

    async def _flush(self, batch: list[WorkerProfile], report: ImportReport) -> None:
        if not batch:
            return
        created, updated = await self._write(batch)
        report.created += created
        report.updated += updated
        report.unchanged += len(batch) - created - updated

    async def _write(self, profiles: list[WorkerProfile]) -> tuple[int, int]:
        counts = await self.db.upsert_workers([register_entry(p) for p in profiles])
        await self.live.cache_profiles(profiles)
        return counts
