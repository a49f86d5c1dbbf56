"""The built web UI, served at "/" behind every other route."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope


class FrontendMount(Mount):
    """The static UI at "/", stepping aside for any path an earlier route serves with other methods.

    Starlette gives a request to the first route that matches it fully, and a mount at "/" matches every path; it
    would answer `PUT /api/v1/chat` itself (405 with `Allow: GET, HEAD`). Declining those paths lets the API route's
    own 405 name the methods it takes.
    """

    def __init__(self, directory: Path, routes: Sequence[BaseRoute]) -> None:
        super().__init__("/", app=StaticFiles(directory=directory, html=True), name="frontend")
        self._routes = routes  # the app's route list itself, so routes added after this mount are seen too

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        for route in self._routes:
            if route is self:
                break
            if route.matches(scope)[0] is Match.PARTIAL:
                return Match.NONE, {}
        return super().matches(scope)
