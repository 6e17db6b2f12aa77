"""The APIs standin serves, and the one way to make a sandbox of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from standin._core.api import VendorApiFactory
from standin._core.durable import SqlitePersistence
from standin._core.sandbox import Sandbox
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
    apis: Sequence[str] | None = None, *, data_dir: str | Path | None = None, **options: Any
) -> Sandbox:
    """A sandbox serving ``apis`` (default: all), seeded from the fixtures.

    With ``data_dir``, tenants, tokens and every acknowledged write are kept there (SQLite) and
    come back when a sandbox is made on the same directory; ``close()`` the sandbox when done.
    ``options`` go to :class:`~standin._core.sandbox.Sandbox` (``clock``, ``seed``,
    ``journal_capacity``, ``admin_token``, ``shared``, ``tenant_ttl``).
    """
    names = list(API_FACTORIES) if apis is None else list(apis)
    unknown = [name for name in names if name not in API_FACTORIES]
    if unknown:
        raise ValueError(f"unknown api: {', '.join(unknown)}; known: {', '.join(API_FACTORIES)}")
    if data_dir is not None:
        options["persistence"] = SqlitePersistence(data_dir)
    return Sandbox([API_FACTORIES[name] for name in names], **options)
