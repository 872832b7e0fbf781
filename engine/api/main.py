"""Entry point for uvicorn worker processes: settings come from the environment."""

from __future__ import annotations

from starlette.types import ASGIApp

from engine.api.app import create_app, served_app
from engine.logs import configure
from engine.settings import Settings


def app_from_env() -> ASGIApp:
    configure()
    settings = Settings()
    return served_app(create_app(settings), settings)
