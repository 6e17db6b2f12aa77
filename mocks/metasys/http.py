"""What every Metasys handler shares: the API root the caller reached, JSON bodies, the v4 media
type and the page/pageSize/sort envelope."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request

from standin._core.bodies import parse_json, read_capped
from standin._core.errors import VendorError
from standin._core.paging import Page, page_links, paginate
from standin._core.rendering import JSONBody
from standin.metasys import errors
from standin.metasys.errors import MEDIA_TYPE
from standin.metasys.query import Paging

T = TypeVar("T")
MAX_BODY_BYTES = 1024 * 1024
API_ROOT = "/api/v4"
PRIVATE_API_ROOT = "/api/private-api/v4"
"""Where v4 actually served the system operations (the reference's notes)."""
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
"""A ``uri-reference`` (RFC 3986 characters and percent-escapes), for batch request URLs."""


def respond(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONBody:
    return JSONBody(content, status, headers, MEDIA_TYPE)


def base_url(request: Request) -> str:
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}{API_ROOT}"


async def json_body(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The request body: JSON only (another Content-Type, a missing, malformed or body over
    ``limit`` bytes: 400), and only what can be answered back (see :func:`parse_json`)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.bad_request(f"Unsupported Content-Type: {media_type or 'none'}.")
    raw = await read_capped(request, limit, _too_large)
    if not raw.strip():
        raise errors.bad_request("A request body is required.")
    return parse_json(raw, _not_json)


def _too_large(limit: int) -> VendorError:
    return errors.bad_request("The request body is too large.")


def _not_json(reason: str) -> VendorError:
    return errors.bad_request("The request body is not valid JSON.")


def paged(
    request: Request,
    items: Sequence[T],
    paging: Paging,
    render: Callable[[T], Any],
    key: Callable[[T], Any],
) -> dict[str, Any]:
    """The ``{total, items, next, previous, self}`` envelope, sorted by ``key``."""
    ordered = sorted(items, key=key, reverse=paging.descending)
    page = paginate(ordered, paging.page, paging.page_size)
    next_url, previous_url = page_links(str(request.url), page)
    return {
        "total": page.total,
        "items": [render(item) for item in page.items],
        "next": next_url,
        "previous": previous_url,
        "self": str(request.url),
    }


def paged_window(
    request: Request,
    total: int,
    paging: Paging,
    window: Callable[[int, int, bool], list[T]],
    render: Callable[[T], Any],
) -> dict[str, Any]:
    """The same envelope as :func:`paged` for a list kept in its sort order: ``window(start,
    size, descending)`` gives the page's items, so a page costs its own items only."""
    start = (paging.page - 1) * paging.page_size
    page = Page(
        window(start, paging.page_size, paging.descending), total, paging.page, paging.page_size
    )
    next_url, previous_url = page_links(str(request.url), page)
    return {
        "total": page.total,
        "items": [render(item) for item in page.items],
        "next": next_url,
        "previous": previous_url,
        "self": str(request.url),
    }


def sort_text(value: Any) -> tuple[int, str]:
    """Sorts None first, then by text, so that mixed values never fail to compare."""
    return (0, "") if value is None else (1, str(value).lower())
