"""The sandbox console: the page at ``/`` an integrator keeps open, and each API's docs.

The page is static (HTML, one vanilla script, CSS, shipped as package data): everything it shows
it reads from the control plane's own JSON endpoints, as a script would. Each API's interactive
docs are Swagger UI, whose files come from the ``openapi-ui-bundles`` package and are served from
here, so the console works without reaching any other host.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources

import openapi_ui_bundles
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from standin._core.control import control_error

STATIC = resources.files("standin.console.static")
# Every page of the console is a file; none is rendered per request.
NO_CACHE = {"Cache-Control": "no-cache"}


class Console:
    """The console's routes for a combined server serving ``apis``."""

    def __init__(self, apis: Collection[str]) -> None:
        self.apis = frozenset(apis)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/docs/{api}", self.docs, methods=["GET"]),
            Mount(
                "/console", StaticFiles(packages=[("standin.console.static", ".")]), name="console"
            ),
            Mount(
                "/swagger-ui",
                StaticFiles(directory=openapi_ui_bundles.swagger_ui.static_path),
                name="swagger-ui",
            ),
        ]

    async def index(self, request: Request) -> Response:
        return FileResponse(str(STATIC / "index.html"), headers=NO_CACHE)

    async def docs(self, request: Request) -> Response:
        """Swagger UI over ``/<api>/openapi.json``; the page finds the API in its own path."""
        api = request.path_params["api"]
        if api not in self.apis:
            raise control_error(404, f"unknown api {api!r}")
        return FileResponse(str(STATIC / "docs.html"), headers=NO_CACHE)
