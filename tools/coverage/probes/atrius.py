"""Every public method of the Atrius reference client, called once per request it can send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from standin.clients._http import Clock, Sleeper
from standin.clients.atrius import AtriusClient
from tools.coverage.probes.probe import ClientProbe

METER = "3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c"
DAY = dt.date(2024, 1, 15)


def connect(credentials: Mapping[str, Any], clock: Clock, sleep: Sleeper) -> AtriusClient:
    return AtriusClient(
        str(credentials["client_id"]),
        str(credentials["client_secret"]),
        clock=clock,
        sleep=sleep,
    )


def _new_meter(client: AtriusClient) -> object:
    return client.create_meter(
        building="176498",
        gateway="48213",
        display_name="Probe",
        resource_type="temperature",
        reading_type="instantaneous",
        storage_unit="degf",
        display_unit="degf",
        source_unit="degf",
        scope="submeter",
    )


PROBE: ClientProbe[AtriusClient] = ClientProbe(
    client_class=AtriusClient,
    connect=connect,
    calls={
        "token": [lambda c: c.token()],
        "gateway": [lambda c: c.gateway("48213")],
        "organization": [lambda c: c.organization("6732")],
        "buildings": [lambda c: list(c.buildings())],
        "building": [lambda c: c.building("176498")],
        "create_building": [lambda c: c.create_building("6732", "Probe", "02139")],
        "meters": [lambda c: list(c.meters())],
        "meter": [lambda c: c.meter(METER)],
        "create_meter": [_new_meter],
        "update_meter": [
            lambda c: c.update_meter(METER, partial=True, display_name="Probe"),
            lambda c: c.update_meter(METER, partial=False, display_name="Probe"),
        ],
        "push": [lambda c: c.push("48213", {METER: [("2024-01-15T10:00:00Z", 1.0)]})],
        "data": [lambda c: c.data(METER, DAY, DAY)],
    },
)
