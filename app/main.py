"""The ASGI application: routers, error handlers, lifespan, and the built web UI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from app.api.errors import install_error_handlers
from app.api.routes import auth, health, tasks
from app.core.config import Settings, get_settings
from app.runtime import Runtime

API_PREFIX = "/api/v1"
DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend" / "out"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; `settings` defaults to the environment's."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.from_settings(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Todo AI Chatbot",
        version="0.1.0",
        summary="A todo list you manage by chatting with it.",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(auth.router)
    api.include_router(tasks.router)
    app.include_router(api)
    app.include_router(health.router)

    frontend = Path(settings.frontend_dir) if settings.frontend_dir else DEFAULT_FRONTEND_DIR
    if frontend.is_dir():
        app.mount("/", StaticFiles(directory=frontend, html=True), name="frontend")
    return app
