"""Every public method of the Locus reference client, called once per request it can send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from standin.clients._http import Clock, Sleeper
from standin.clients.locus import LocusClient
from tools.coverage.probes.probe import ClientProbe

PARTNER = 123
CLIENT = 419010
SITE = 123
METER = 54369
INVERTER = 456
START = dt.datetime(2024, 1, 1)
END = dt.datetime(2024, 1, 2)


def connect(credentials: Mapping[str, Any], clock: Clock, sleep: Sleeper) -> LocusClient:
    return LocusClient(
        str(credentials["client_id"]),
        str(credentials["client_secret"]),
        username=str(credentials["username"]),
        password=str(credentials["password"]),
        clock=clock,
        sleep=sleep,
    )


PROBE: ClientProbe[LocusClient] = ClientProbe(
    client_class=LocusClient,
    connect=connect,
    calls={
        "token": [lambda c: c.token()],
        "client": [lambda c: c.client(CLIENT)],
        "partner_clients": [lambda c: c.partner_clients(PARTNER)],
        "site": [lambda c: c.site(SITE)],
        "client_sites": [lambda c: c.client_sites(CLIENT)],
        "partner_sites": [lambda c: c.partner_sites(PARTNER)],
        "install_info": [lambda c: c.install_info(SITE)],
        "model_settings": [lambda c: c.model_settings(SITE)],
        "component": [lambda c: c.component(METER)],
        "site_components": [lambda c: c.site_components(SITE)],
        "client_components": [lambda c: c.client_components(CLIENT)],
        "partner_components": [lambda c: c.partner_components(PARTNER, node_id="OB.TESTNODE.%")],
        "component_data_available": [lambda c: c.component_data_available(INVERTER)],
        "site_data_available": [lambda c: c.site_data_available(SITE)],
        "bulk_data_available": [lambda c: c.bulk_data_available(PARTNER)],
        "component_data": [
            lambda c: c.component_data(INVERTER, ["Wh_sum"], START, END, gran="hourly", tz="UTC")
        ],
        "site_data": [lambda c: c.site_data(SITE, ["Wh_sum"], START, END, gran="hourly", tz="UTC")],
        "latest": [lambda c: c.latest(INVERTER, ["W_avg"], tz="UTC")],
        "bulk_data": [lambda c: c.bulk_data(PARTNER, ["Wh_sum"], START, END, tz="UTC")],
        "partner_alerts": [
            lambda c: c.partner_alerts(
                PARTNER, tz="UTC", open_during=(START, START + dt.timedelta(days=30))
            )
        ],
        "site_alerts": [lambda c: c.site_alerts(SITE, tz="UTC")],
        "component_alerts": [lambda c: c.component_alerts(INVERTER, tz="UTC")],
        "component_data_by_node_id": [
            lambda c: c.component_data_by_node_id(
                PARTNER, "OB.TESTNODE.44", ["Wh_sum"], START, END, gran="hourly", tz="UTC"
            )
        ],
        "lifetime_energy": [lambda c: c.lifetime_energy(INVERTER)],
        "walk": [lambda c: c.walk(PARTNER)],
    },
)
