"""Entry point for uvicorn worker processes: settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from engine.api.app import create_app
from engine.logs import configure
from engine.settings import Settings


def app_from_env() -> FastAPI:
    configure()
    return create_app(Settings())
