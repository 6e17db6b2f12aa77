"""The combined app: every API under its prefix, the landing page and the control plane."""

from __future__ import annotations

import html

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from standin._core.accesslog import AccessLog
from standin._core.control import ControlPlane, control_error
from standin._core.errors import VendorError
from standin._core.handlers import exception_handlers
from standin._core.sandbox import Sandbox


def _routing_error(request: Request, status: int) -> VendorError:
    return control_error(status, "method not allowed" if status == 405 else "not found")


def build_app(sandbox: Sandbox, api: str | None = None) -> ASGIApp:
    """Every API of ``sandbox`` under ``/<key>``, or only ``api`` at its vendor paths at the root.

    The control plane is at ``/_sandbox`` either way.
    """
    mounts: dict[str, ASGIApp] = {"/_sandbox": ControlPlane(sandbox).app()}
    apis = frozenset(sandbox.apis)
    if api is not None:
        return AccessLog(PrefixDispatcher(mounts, sandbox.api(api).app()), apis, api)
    mounts.update({f"/{key}": vendor.app() for key, vendor in sandbox.apis.items()})
    root = Starlette(
        routes=[Route("/", LandingPage(sandbox).render, methods=["GET"])],
        exception_handlers=exception_handlers(_routing_error),
    )
    return AccessLog(PrefixDispatcher(mounts, root), apis)


class PrefixDispatcher:
    """Sends a request to the app mounted at its first path segment, else to ``fallback``.

    Unlike a Starlette ``Mount`` (a regex that stops at a newline), every path under a prefix,
    however odd, reaches that API's own router and so gets that vendor's error style.
    """

    def __init__(self, mounts: dict[str, ASGIApp], fallback: ASGIApp) -> None:
        self.mounts = mounts
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            root: str = scope.get("root_path", "")
            path: str = scope["path"]
            route = path[len(root) :] if root and path.startswith(root) else path
            for prefix, app in self.mounts.items():
                if route == prefix or route.startswith(prefix + "/"):
                    await app({**scope, "root_path": root + prefix}, receive, send)
                    return
        await self.fallback(scope, receive, send)


class LandingPage:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def render(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        # With an admin token the credentials are the control plane's to give, not the page's.
        guarded = bool(self.sandbox.admin_token)
        credentials = {} if guarded else self.sandbox.credentials()
        rows = []
        for key, api in self.sandbox.apis.items():
            creds = (
                "ask GET /_sandbox/credentials with the admin token"
                if guarded
                else orjson.dumps(credentials[key], option=orjson.OPT_INDENT_2).decode()
            )
            rows.append(
                "<tr>"
                f"<td><strong>{html.escape(api.title)}</strong><br><code>{key}</code></td>"
                f"<td><code>{html.escape(base)}/{key}</code><br>"
                f"<small>stands in for <code>{html.escape(api.real_base_url)}</code></small></td>"
                f"<td><pre>{html.escape(creds)}</pre></td>"
                f'<td><a href="/{key}/openapi.json">/{key}/openapi.json</a></td>'
                "</tr>"
            )
        control = ControlPlane(self.sandbox)
        endpoints = "".join(
            f"<li><code>{html.escape(m)} /_sandbox{html.escape(r.path)}</code></li>"
            for r in control.routes()
            if isinstance(r, Route)
            for m in sorted(r.methods or [])
            if m != "HEAD"
        )
        triggers = "".join(
            f"<li><code>{html.escape(m)} /_sandbox/{key}{html.escape(r.path)}</code></li>"
            for key, api in self.sandbox.apis.items()
            for r in api.control_routes()
            if isinstance(r, Route)
            for m in sorted(r.methods or [])
            if m != "HEAD"
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>standin</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.5rem;vertical-align:top}}
pre{{margin:0}}</style></head><body>
<h1>standin</h1>
<p>Stand-in servers for building-data APIs. Point a client at the base URL below instead of the
vendor's; paths, bodies, errors, tokens and rate limits answer as the vendor documents them.</p>
<table><tr><th>API</th><th>Base URL</th><th>Sandbox credentials</th><th>Contract</th></tr>
{"".join(rows)}</table>
<h2>Control plane</h2>
<p>Clock <code>{html.escape(self.sandbox.clock.mode)}</code>, tenants:
{len(self.sandbox.tenants.all())}.</p>
<ul>{endpoints}</ul>
<h2>Vendor triggers</h2>
<ul>{triggers}</ul>
</body></html>"""
        return HTMLResponse(page)
