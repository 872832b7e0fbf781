"""Recording operations actions in the audit log, from the route that performed them.

The actor is the authenticated caller, set by the credential check: `ops:<name>` of a
named operations token (`ops:bootstrap` for the token from the settings) or
`merchant:<id>`; nothing the caller writes in a header can change it. Secrets (API
keys, webhook secrets, tokens) are never part of what is recorded.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from engine.api.auth import services

SECRET_FIELDS = frozenset({"api_key", "secret", "token"})


async def record(
    request: Request,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    actor = request.state.actor
    await services(request).db.insert_audit(
        actor,
        action,
        target,
        _clean(before),
        _clean(after),
        getattr(request.state, "request_id", None),
    )


def _clean(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    cleaned = {k: v for k, v in doc.items() if k not in SECRET_FIELDS}
    plain: dict[str, Any] = json.loads(json.dumps(cleaned, default=str))
    return plain
