"""OpenAPI description of the problem+json answers every route may give."""

from __future__ import annotations

from typing import Any

from engine.api.public_answers import Problem

# `model` makes FastAPI publish the schema; the document then states it under the media
# type actually sent (contract.py moves it there from application/json).
_PROBLEM = {"model": Problem}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {**_PROBLEM, "description": text}
    for code, text in {
        401: "unauthorized",
        403: "forbidden, not-eligible or claim-window-closed",
        404: "not-found",
        409: "limit-reached, already-redeemed or request-in-progress",
        410: "sold-out or expired",
        413: "payload-too-large",
        422: "validation-error, invalid-code or idempotency-key-reused",
        503: "unavailable or overloaded (retry after the Retry-After seconds)",
    }.items()
}
