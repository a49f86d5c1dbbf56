"""The ASGI application: routers, error handlers, lifespan, and the built web UI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI

import telemetry
from app.agent.turn import chat_model
from app.agent.wiring import ChatComponents
from app.api.errors import install_error_handlers
from app.api.frontend import FrontendMount
from app.api.middleware import install_middleware
from app.api.routes import auth, chat, conversations, events, health, maintenance, slo, tasks
from app.core.collector import settle_after_startup
from app.core.config import Settings, get_settings
from app.recovery.metrics import install_recovery_collector
from app.runtime import Runtime
from app.worker.broker import EventBroker
from app.worker.reminders import ReminderWorker

API_PREFIX = "/api/v1"
DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend" / "out"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; `settings` defaults to the environment's."""
    settings = settings or get_settings()
    chat_components = ChatComponents.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.from_settings(settings)
        app.state.runtime = runtime
        broker = EventBroker(
            runtime.sessions, poll_seconds=settings.events_poll_seconds, queue_size=settings.events_queue_size
        )
        app.state.event_broker = broker
        try:
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(chat_components.running(runtime))
                model = chat_model(runtime)
                telemetry.initialise_series(app, model=(model.provider, model.model))
                await stack.enter_async_context(broker.running())
                if settings.reminder_worker:
                    await stack.enter_async_context(ReminderWorker(runtime.sessions, settings).running())
                settle_after_startup(settings.gc_young_threshold)
                yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Todo AI Chatbot",
        version="0.1.0",
        summary="A todo list you manage by chatting with it.",
        lifespan=lifespan,
        telemetry=telemetry.fastapi_options(),
    )
    install_error_handlers(app)
    install_middleware(app, settings)
    telemetry.setup(app, settings)
    install_recovery_collector(registry=telemetry.exposition.registry())

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(auth.router)
    api.include_router(tasks.router)
    api.include_router(chat.router)
    api.include_router(conversations.router)
    api.include_router(events.router)
    app.include_router(api)
    slo.install(app)
    maintenance.install(app, settings.slo_spec_path)
    app.include_router(health.router)
    chat_components.mount(app, settings)

    frontend = Path(settings.frontend_dir) if settings.frontend_dir else DEFAULT_FRONTEND_DIR
    if frontend.is_dir():
        app.router.routes.append(FrontendMount(frontend, app.router.routes))
    return app
