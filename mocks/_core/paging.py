"""The paging styles the vendors use: page/pageSize with links, offset/limit, skip/limit and
opaque continuation tokens bound to the query that produced them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(items: Sequence[T], page: int, page_size: int) -> Page[T]:
    """The 1-based ``page`` of ``items``; a page past the end is empty (callers decide if that is
    an error)."""
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size must be positive")
    start = (page - 1) * page_size
    return Page(list(items[start : start + page_size]), len(items), page, page_size)


def with_query(url: str, **changes: str | int | None) -> str:
    """``url`` with query parameters replaced (``None`` removes one), other parameters kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    query += [(k, str(v)) for k, v in changes.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def page_links(url: str, page: Page[T], page_param: str = "page") -> tuple[str | None, str | None]:
    """Absolute ``next`` and ``previous`` URLs for ``page`` of a list fetched from ``url``."""
    next_url = with_query(url, **{page_param: page.page + 1}) if page.has_next else None
    previous_url = None
    if page.has_previous:
        previous_url = with_query(url, **{page_param: min(page.page - 1, page.page_count)})
    return next_url, previous_url


def offset_limit(items: Sequence[T], offset: int, limit: int | None) -> list[T]:
    """``limit`` items from ``offset`` (``None``: all the rest); also serves skip/limit."""
    if offset < 0 or (limit is not None and limit < 0):
        raise ValueError("offset and limit must not be negative")
    end = None if limit is None else offset + limit
    return list(items[offset:end])


class ContinuationRejected(Exception):
    """A continuation token is malformed, forged, or belongs to another query."""


class ContinuationTokens:
    """Opaque, signed continuation tokens that remember the query they continue.

    The token carries a position and a digest of the query's other parameters; replaying it
    with a different query is refused, as is any token not made by this signer.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, query: Mapping[str, str | Sequence[str]], position: int) -> str:
        payload = orjson.dumps({"p": position, "q": self._digest(query)})
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + payload).rstrip(b"=").decode("ascii")

    def decode(self, token: str, query: Mapping[str, str | Sequence[str]]) -> int:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError) as error:
            raise ContinuationRejected("malformed continuation token") from error
        mac, payload = raw[:16], raw[16:]
        expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        if len(mac) != 16 or not hmac.compare_digest(mac, expected):
            raise ContinuationRejected("continuation token was not issued here")
        body = orjson.loads(payload)
        if body.get("q") != self._digest(query):
            raise ContinuationRejected("continuation token belongs to another query")
        position = body.get("p")
        if not isinstance(position, int) or position < 0:
            raise ContinuationRejected("malformed continuation token")
        return position

    @staticmethod
    def _digest(query: Mapping[str, str | Sequence[str]]) -> str:
        canonical = sorted(
            (key, value if isinstance(value, str) else ",".join(value))
            for key, value in query.items()
        )
        return hashlib.sha256(orjson.dumps(canonical)).hexdigest()[:24]
