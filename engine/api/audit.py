"""Who is acting, for the audit rows the use cases write.

The actor is the authenticated caller, set by the credential check: `ops:<name>` of a
named operations token (`ops:bootstrap` for the token from the settings) or
`merchant:<id>`; nothing the caller writes in a header can change it.
"""

from __future__ import annotations

from fastapi import Request

from engine.domain.audit import Actor


def actor_of(request: Request) -> Actor:
    return Actor(request.state.actor, getattr(request.state, "request_id", None))
