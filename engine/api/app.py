"""The FastAPI application factory. Nothing connects until the lifespan starts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, cast

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from engine.api import contract, problems
from engine.api.auth import authenticate_bulk
from engine.api.hot_routes import HotRoutes
from engine.api.middleware import BodyLimit, RequestContext
from engine.api.operation_ids import operation_id
from engine.api.routes import cases, merchants, ops, payouts, public, slots, stations, workers
from engine.api.services import Services
from engine.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await Services.start(settings)
        try:
            yield
        finally:
            await app.state.services.stop()

    app = FastAPI(
        title="Nuanxin voucher engine",
        version="1.6.0",
        description=(
            "Claim, issue and redeem union benefit vouchers. Errors are RFC 9457 problems"
            " (application/problem+json); every request that changes something takes an"
            " Idempotency-Key, so a retry is safe. Changes: schemas/CHANGELOG.md."
        ),
        contact={"name": "Nuanxin engine team", "url": "https://nuanxin.example/developers"},
        servers=[
            {"url": "https://api.nuanxin.example", "description": "the union's engine"},
            {"url": "http://127.0.0.1:8000", "description": "nuanxin up on this machine"},
        ],
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    # Routes are matched in order: the hot ones (claims, redemptions) first.
    routers = (workers, merchants, public, ops, stations, slots, payouts, cases)
    for router in (r.router for r in routers):
        app.include_router(router)
    static = resources.files("engine.api") / "static"
    # The pages and their scripts hold no data; everything comes from the API, with the
    # caller's own credential.
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for path, page in PAGES.items():
        app.add_api_route(path, _page(str(static / page)), include_in_schema=False, name=page)

    problems.install(app)
    contract.install(app)
    return app


TAGS = [
    {"name": "merchants", "description": "Tills and merchant systems, with a merchant's key."},
    {
        "name": "ops",
        "description": "The union's operations staff, with an operations token; payout "
        "batches also with a finance credential of the duty (payout-preparer, payout-approver).",
    },
    {"name": "payers", "description": "A co-funding payer, with its payer credential."},
    {"name": "public", "description": "Anyone: health, signing keys, published lotteries."},
    {"name": "workers", "description": "A worker's app, with the worker's bearer token."},
]
# The worker's page (the union's app opens it in a web view), the till's, the dashboard.
PAGES = {"/w/": "worker.html", "/m/": "merchant.html", "/ops": "ops.html"}
# Scripts and styles from this origin only (the QR reader compiles WebAssembly); the
# camera only for the till; no page may be framed by another site.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' blob: data:;"
        " style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _page(file: str) -> Callable[[], Awaitable[FileResponse]]:
    async def page() -> FileResponse:
        return FileResponse(file, media_type="text/html", headers=PAGE_HEADERS)

    return page


def served_app(app: FastAPI, settings: Settings) -> ASGIApp:
    """What the HTTP server runs: the framework app behind the pure ASGI layers.

    The layers sit outside FastAPI, so the hottest routes (hot_routes.py) skip the
    framework's own middleware stack as well as its routing: a request gets an id, a
    bounded body, and then either the thin layer's answer or the framework's.
    """
    routes = HotRoutes(app, settings.max_hot_in_flight) if settings.hot_routes else app
    layers = RequestContext(
        BodyLimit(
            routes,
            max_bytes=settings.max_body_bytes,
            max_bulk_bytes=settings.max_bulk_body_bytes,
            chunk_timeout_s=settings.body_chunk_timeout_s,
            total_timeout_s=settings.body_total_timeout_s,
            authenticate=authenticate_bulk,
        )
    )

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        # What Starlette sets for the routes: the layers outside it read the services there.
        scope["app"] = app
        await layers(scope, receive, send)

    if not settings.forwarded_allow_ips:
        return serve
    # Only behind a proxy named in the settings is X-Forwarded-For the client's address.
    # (uvicorn's ASGI types and Starlette's spell the same interface differently.)
    proxied = ProxyHeadersMiddleware(cast(Any, serve), trusted_hosts=settings.forwarded_allow_ips)
    return cast(ASGIApp, proxied)
