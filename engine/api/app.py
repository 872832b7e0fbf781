"""The FastAPI application factory. Nothing connects until the lifespan starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from engine.api import problems
from engine.api.auth import authenticate_bulk
from engine.api.hot_routes import HotRoutes
from engine.api.middleware import BodyLimit, RequestContext
from engine.api.routes import merchants, ops, public, workers
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
        version="1.0.0",
        description="Claim, issue and redeem union benefit vouchers.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    # Routes are matched in order: the hot ones (claims, redemptions) first.
    for router in (workers.router, merchants.router, public.router, ops.router):
        app.include_router(router)
    static = resources.files("engine.api") / "static"
    # The page and its scripts hold no data; every figure comes from the ops API.
    app.mount("/ops/static", StaticFiles(directory=str(static)), name="ops-static")

    @app.get("/ops", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(str(static / "ops.html"), media_type="text/html")

    problems.install(app)
    # Innermost: the hot routes see a bounded body and a request id (hot_routes.py).
    app.add_middleware(HotRoutes, max_in_flight=settings.max_hot_in_flight)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        max_bulk_bytes=settings.max_bulk_body_bytes,
        chunk_timeout_s=settings.body_chunk_timeout_s,
        total_timeout_s=settings.body_total_timeout_s,
        authenticate=authenticate_bulk,
    )
    app.add_middleware(RequestContext)
    return app
