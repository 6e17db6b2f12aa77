"""The APIs standin serves, and the one way to make a sandbox of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from standin._core.api import VendorApiFactory
from standin._core.durable import SqlitePersistence
from standin._core.journal import DEFAULT_BYTE_BUDGET
from standin._core.sandbox import DEFAULT_JOURNAL_CAPACITY, Sandbox
from standin.apis import API_KEYS
from standin.atmotube import AtmotubeApi
from standin.atrius import AtriusApi
from standin.buildingminds import BuildingMindsApi
from standin.locus import LocusApi
from standin.metasys import MetasysApi

API_FACTORIES: dict[str, VendorApiFactory] = {
    "atmotube": AtmotubeApi,
    "atrius": AtriusApi,
    "buildingminds": BuildingMindsApi,
    "locus": LocusApi,
    "metasys": MetasysApi,
}
assert tuple(API_FACTORIES) == API_KEYS, "standin.apis.API_KEYS lists every API, in this order"


def create_sandbox(
    apis: Sequence[str] | None = None,
    *,
    data_dir: str | Path | None = None,
    redis_url: str | None = None,
    advertise_url: str | None = None,
    **options: Any,
) -> Sandbox:
    """A sandbox serving ``apis`` (default: all), seeded from the fixtures.

    With ``data_dir``, tenants, tokens and every acknowledged write are kept there (SQLite) and
    come back when a sandbox is made on the same directory; ``close()`` the sandbox when done.
    With ``redis_url``, the sandbox is kept in Redis and shared by every sandbox made on the
    same URL (replicas behind a load balancer); ``advertise_url`` is where the others reach
    this one's server.
    ``options`` go to :class:`~standin._core.sandbox.Sandbox` (``clock``, ``seed``,
    ``journal_capacity``, ``journal_bytes``, ``admin_token``, ``shared``, ``tenant_ttl``).
    """
    names = list(API_FACTORIES) if apis is None else list(apis)
    unknown = [name for name in names if name not in API_FACTORIES]
    if unknown:
        raise ValueError(f"unknown api: {', '.join(unknown)}; known: {', '.join(API_FACTORIES)}")
    if data_dir is not None and redis_url is not None:
        raise ValueError("data_dir and redis_url are exclusive: state is kept in one place")
    if data_dir is not None:
        options["persistence"] = SqlitePersistence(data_dir)
    if redis_url is not None:
        if advertise_url is None:
            raise ValueError("with redis_url, advertise_url says where replicas reach this one")
        from standin._core.cluster.connection import storage_calls
        from standin._core.cluster.events import redis_stream_stores
        from standin._core.cluster.journal import RedisRequestJournal
        from standin._core.cluster.limits import RedisLimits
        from standin._core.cluster.persistence import RedisPersistence

        persistence = RedisPersistence(redis_url, advertise_url)
        options["persistence"] = persistence
        # The journal and the rate-limit counters are the replicas' too, on the same connection.
        capacity = options.get("journal_capacity", DEFAULT_JOURNAL_CAPACITY)
        byte_budget = options.get("journal_bytes", DEFAULT_BYTE_BUDGET)
        if "journal" not in options:
            # Buffered: a request does not wait for its entry to be kept (the journal's doc).
            journal = RedisRequestJournal(
                persistence.redis, redis_url, capacity, byte_budget=byte_budget, buffered=True
            )
            persistence.closing.append(journal.close)
            options["journal"] = journal
        options.setdefault("limit_store", RedisLimits(persistence.redis, redis_url))
        # Event streams resume on whichever replica serves their tenant next.
        options["stream_stores"] = redis_stream_stores(
            persistence.redis, failures=lambda: storage_calls(redis_url)
        )
    return Sandbox([API_FACTORIES[name] for name in names], **options)
