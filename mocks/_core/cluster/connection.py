"""The Redis connection of a replica: short timeouts, no silent retries, and every Redis failure
turned into :class:`~standin._core.cluster.signals.StorageUnavailable` (a 503 with a clear body),
so that a replica recovers by itself when Redis is back: the next command connects again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from standin._core.cluster.signals import StorageUnavailable

PREFIX = "standin:"
"""Every key standin keeps in Redis starts with this."""
SOCKET_TIMEOUT = 1.0
"""Seconds a Redis command may take (a loopback round trip takes a fraction of a millisecond)."""


BULK_TIMEOUT = 30.0
"""Seconds a write of many log rows at once may take (a tenant's full logs written whole: some
20,000 rows, 4 MB, a fraction of a second on an idle machine, more on a busy one)."""


def connect(url: str, timeout: float = SOCKET_TIMEOUT) -> redis.Redis:
    """A client for ``url`` that fails fast rather than hanging a request on a dead Redis."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def shown(url: str) -> str:
    """``url`` without its password, fit for a log line or an error body."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


@contextmanager
def storage_calls(url: str) -> Iterator[None]:
    """Redis failures inside become :class:`StorageUnavailable` (answered 503, retried later)."""
    try:
        yield
    except redis.RedisError as failure:
        raise StorageUnavailable(
            f"Redis at {shown(url)} is unreachable ({type(failure).__name__}); retrying"
        ) from failure
