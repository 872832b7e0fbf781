"""Every error leaves the API as RFC 9457 problem+json, mapped here and only here."""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Send

from engine import errors
from engine.errors import EngineError, NotYetIssued, Overloaded, Unavailable
from engine.metrics import ERRORS

TYPE_BASE = "https://nuanxin.example/problems/"
MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("engine.api")

_HTTP_SLUGS = {
    400: "validation-error",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    411: "length-required",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
}


# The HTTP status of each engine error: a class not listed takes its nearest listed base's.
STATUS: dict[type[EngineError], int] = {
    errors.EngineError: 500,
    errors.SoldOut: 410,
    errors.LimitReached: 409,
    errors.NotEligible: 403,
    errors.ClaimWindowClosed: 403,
    errors.RegistrationRequired: 403,
    errors.AlreadyRedeemed: 409,
    errors.InsufficientBalance: 409,
    errors.OrderBelowThreshold: 422,
    errors.ReversalWindowClosed: 409,
    errors.TooManyAttempts: 429,
    errors.RateLimited: 429,
    errors.Revoked: 410,
    errors.InvalidCode: 422,
    errors.Expired: 410,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.ValidationFailed: 422,
    errors.RequestInProgress: 409,
    errors.Unavailable: 503,
}


def status_of(exc: EngineError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem_parts(
    status: int,
    slug: str,
    title: str,
    detail: str,
    path: str,
    request_id: str | None,
    **extra: Any,
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The body and the extra headers of a problem answer."""
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
        **extra,
    }
    if request_id:
        body["request_id"] = request_id
    headers = None
    if status == 503:
        headers = {"Retry-After": "1"}
    elif status == 429:
        headers = {"Retry-After": str(extra.get("retry_after_s", 60))}
    return body, headers


def problem(
    status: int, slug: str, title: str, detail: str, request: Request, **extra: Any
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body, headers = problem_parts(
        status, slug, title, detail, request.url.path, request_id, **extra
    )
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


Answer = tuple[int, dict[str, Any], dict[str, str] | None]


def exception_answer(exc: Exception, path: str, request_id: str | None) -> Answer:
    """Status, body and headers for whatever a route raised: an engine error as mapped
    above; anything else is a bug, logged and answered 500. Both paths use it (the
    framework's handlers and hot_routes.py), so they answer alike."""
    if isinstance(exc, EngineError):
        return engine_problem(exc, path, request_id)
    log.exception("unhandled error", path=path, exc_info=exc)
    ERRORS.labels("api").inc()
    body, headers = problem_parts(
        500, "internal-error", "Internal error", "Internal error", path, request_id
    )
    return 500, body, headers


def engine_problem(exc: EngineError, path: str, request_id: str | None) -> Answer:
    """Status, body and headers for an engine error, logged as the security trail wants."""
    if isinstance(exc, Unavailable) and not isinstance(exc, NotYetIssued | Overloaded):
        log.warning("unavailable", path=path, cause=repr(exc.__cause__))
    status = status_of(exc)
    if status in (401, 403, 429):  # for the security trail; never the credential
        log.info("refused", path=path, status=status, reason=exc.slug)
    body, headers = problem_parts(
        status, exc.slug, exc.title, exc.detail, path, request_id, **exc.extra
    )
    return status, body, headers


def install(app: FastAPI) -> None:
    @app.exception_handler(EngineError)
    @app.exception_handler(Exception)
    async def raised(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        status, body, headers = exception_answer(exc, request.url.path, request_id)
        return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Echoing input back could leak secrets (tokens, codes), so only locations and messages.
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
            for e in exc.errors()[:20]
        ]
        return problem(
            422,
            "validation-error",
            "The request is not valid",
            "See errors for each invalid field",
            request,
            errors=errors,
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        slug = _HTTP_SLUGS.get(exc.status_code, "error")
        return problem(exc.status_code, slug, str(exc.detail), str(exc.detail), request)


async def send_json(
    send: Send, status: int, doc: dict[str, Any], media_type: str, extra: dict[str, str] | None
) -> None:
    """Answer with a JSON document, rendered as Starlette's JSONResponse renders it (so the
    ASGI layers and the framework answer byte for byte alike)."""
    body = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", media_type.encode()),
        *((k.lower().encode(), v.encode()) for k, v in (extra or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
