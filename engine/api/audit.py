"""Recording operations actions in the audit log, from the route that performed them.

The actor is the authenticated caller: `ops` (or the name an operator gives in
X-Ops-Actor) or `merchant:<id>`. Secrets (API keys, webhook secrets, tokens) are
never part of what is recorded.
"""

from __future__ import annotations

import json
import re

from fastapi import Request

from engine.api.auth import services

_ACTOR = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
SECRET_FIELDS = frozenset({"api_key", "secret", "token"})


def operator(request: Request) -> str:
    given = request.headers.get("x-ops-actor", "")
    return f"ops:{given}" if _ACTOR.match(given) else "ops"


async def record(
    request: Request,
    action: str,
    target: str,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    actor = getattr(request.state, "actor", None) or operator(request)
    await services(request).db.insert_audit(
        actor,
        action,
        target,
        _clean(before),
        _clean(after),
        getattr(request.state, "request_id", None),
    )


def _clean(doc: dict | None) -> dict | None:
    if doc is None:
        return None
    cleaned = {k: v for k, v in doc.items() if k not in SECRET_FIELDS}
    return json.loads(json.dumps(cleaned, default=str))
