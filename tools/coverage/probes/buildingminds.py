"""Every public method of the BuildingMinds reference client, called once per request it can
send (``submit`` once per entity endpoint)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from standin.clients._http import Clock, Sleeper
from standin.clients.buildingminds import ENTITIES, BuildingMindsClient
from tools.coverage.probes.probe import ClientProbe

BATCH = "00000000-0000-4000-8000-000000000000"
"""An unknown batch: its 404 still shows which request was sent."""


def connect(credentials: Mapping[str, Any], clock: Clock, sleep: Sleeper) -> BuildingMindsClient:
    return BuildingMindsClient(
        str(credentials["client_id"]),
        str(credentials["client_secret"]),
        str(credentials["scope"]),
        tenant=str(credentials["tenant"]),
        clock=clock,
        sleep=sleep,
    )


def _submit(entity: str) -> Callable[[BuildingMindsClient], object]:
    # An empty record is refused by validation, which still shows the endpoint it went to.
    return lambda c: c.submit(entity, [{}])


PROBE: ClientProbe[BuildingMindsClient] = ClientProbe(
    client_class=BuildingMindsClient,
    connect=connect,
    calls={
        "token": [lambda c: c.token()],
        "batches": [lambda c: c.batches(limit=1)],
        "inbound": [lambda c: c.inbound(BATCH)],
        "all_inbound": [lambda c: c.all_inbound(BATCH)],
        "submit": [_submit(entity) for entity in ENTITIES],
        "wait": [lambda c: c.wait([BATCH], timeout=0)],
        "onboard": [lambda c: c.onboard({"building": [{}]}, timeout=0)],
    },
)
