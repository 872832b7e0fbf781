"""What the audit log records: who did what to what, and the state before and after.

The actor is the authenticated caller (`ops:<name>`, `merchant:<id>`, `cli:<user>`),
never something the caller wrote in a header. Secrets (API keys, webhook secrets,
tokens) are never part of what is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SECRET_FIELDS = frozenset({"api_key", "secret", "token"})


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: Actor
    action: str
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        actor: Actor,
        action: str,
        target: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        return cls(actor, action, target, without_secrets(before), without_secrets(after))


def without_secrets(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The document as JSON would hold it, less every secret field."""
    if doc is None:
        return None
    kept = {k: v for k, v in doc.items() if k not in SECRET_FIELDS}
    plain: dict[str, Any] = json.loads(json.dumps(kept, default=str))
    return plain
