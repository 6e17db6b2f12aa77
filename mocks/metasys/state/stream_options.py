"""What a tenant chose its Metasys streams to send beyond the guide (``POST
/_sandbox/metasys/streaming``): part of its state, so it is kept with it (SQLite, Redis) and a
replica that takes the tenant over streams the same way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamOptions:
    """Per tenant: what live systems do beyond the guide (FACTS: third-party clients read
    ``object.values.update`` as an array of ``{item, condition, subscriptionId}``, and offline
    devices send ``object.values.error``). Both off by default."""

    array_updates: bool = False
    offline_errors: bool = False


__all__ = ["StreamOptions"]
