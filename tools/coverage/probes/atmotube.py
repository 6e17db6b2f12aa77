"""Every public method of the Atmotube reference client, called once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from standin.clients._http import Clock, Sleeper
from standin.clients.atmotube import AtmotubeClient
from tools.coverage.probes.probe import ClientProbe

DAY = dt.date(2024, 1, 15)
MAC = "C2:4E:91:7A:3B:10"


def connect(credentials: Mapping[str, Any], clock: Clock, sleep: Sleeper) -> AtmotubeClient:
    return AtmotubeClient(str(credentials["api_key"]), clock=clock, sleep=sleep)


PROBE: ClientProbe[AtmotubeClient] = ClientProbe(
    client_class=AtmotubeClient,
    connect=connect,
    calls={
        "page": [lambda c: c.page(MAC, date=DAY)],
        "page_csv": [lambda c: c.page_csv(MAC, date=DAY)],
        "readings": [lambda c: c.readings(MAC, DAY, DAY)],
    },
)
