"""Serving a contract from the app it describes, pointed at the sandbox that serves it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from standin import contracts
from standin._core.rendering import JSONBody


def contract_response(request: Request, api: str) -> Response:
    """The contract of ``api`` as JSON, listing this sandbox first among its servers."""
    document = contracts.load(api)
    # The mount prefix (e.g. /atmotube) is in root_path; base_url leaves it out.
    here = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
    document["servers"] = [
        {"url": here, "description": "this standin sandbox"},
        *document.get("servers", []),
    ]
    return JSONBody(document)
