"""Atrius: the integration guide's ten steps, with the reference client.

Steps 1-4 happen in the Atrius web UI; the sandbox hands out what they produce (an API user,
a client id and secret, a gateway number). Before step 10 the sandbox's clock moves past the
token's lifetime and the next data request is answered 429, so the client is seen renewing
its token and waiting out the throttle, as the guide asks integrations to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from standin.atrius.errors import throttled
from standin.clients.atrius import DEFAULT_BASE_URL, AtriusClient, Building, DataPoint, Meter
from standin.demo.workflow import DemoContext, Step, expect

TOKEN_LIFETIME = 36000
READINGS = [
    ("2024-01-15T10:00:00Z", 72.5),
    ("2024-01-15T10:15:00Z", 73.2),
    ("2024-01-15T10:30:00Z", 72.8),
]
"""The guide's step 9 example."""
DAY = dt.date(2024, 1, 15)


class AtriusGuide:
    title = "Atrius: the API guide's ten steps"
    token_path: str | None = "/o/token/"

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo
        self.credentials = {k: str(v) for k, v in demo.control.credentials("atrius").items()}
        self.client = AtriusClient(
            self.credentials["client_id"],
            self.credentials["client_secret"],
            http=demo.http,
            clock=demo.now,
            sleep=demo.sleep,
            base_url=demo.base_url or DEFAULT_BASE_URL,
        )
        self.organization = ""
        self.building: Building | None = None
        self.meter: Meter | None = None

    def close(self) -> None:
        self.client.close()

    def steps(self) -> Sequence[Step]:
        return [
            ("Create an admin user (web UI)", self.admin_user),
            ("Generate an API client (web UI)", self.api_client),
            ("Record the client id and secret", self.record),
            ("Create a gateway (web UI)", self.gateway_number),
            ("Obtain an OAuth token", self.token),
            ("Get the organization and buildings", self.organization_and_buildings),
            ("Create a building", self.create_building),
            ("Create a meter", self.create_meter),
            ("Push time series data", self.push),
            ("Verify the data, a day later", self.verify),
        ]

    def admin_user(self) -> str:
        return f"the sandbox's API user for this demo is {self.credentials['username']}"

    def api_client(self) -> str:
        client_id = self.credentials["client_id"]
        expect(bool(client_id) and bool(self.credentials["client_secret"]), "no API client")
        return f"client id {client_id[:8]}..."

    def record(self) -> str:
        return "kept in memory for the next steps"

    def gateway_number(self) -> str:
        number = self.credentials["gateway"]
        expect(len(number) == 5 and number.isdigit(), f"gateway {number!r} is not 5 digits")
        return f"gateway {number}"

    def token(self) -> str:
        token = self.client.token()
        expect(token.expires_in == TOKEN_LIFETIME, f"expires_in {token.expires_in}")
        return f"{token.token_type} token, expires in {token.expires_in} s"

    def organization_and_buildings(self) -> str:
        gateway = self.client.gateway(self.credentials["gateway"])
        self.organization = gateway.organization_id
        buildings = list(self.client.buildings())
        expect(
            all(b.organization_id == self.organization for b in buildings),
            "a building of another organization is listed",
        )
        return f"organization {self.organization}, {len(buildings)} buildings"

    def create_building(self) -> str:
        self.building = self.client.create_building(
            int(self.organization), "Your Building Name", "12345"
        )
        expect(
            self.building.id in {b.id for b in self.client.buildings()}, "not listed once created"
        )
        return f"building {self.building.id}"

    def create_meter(self) -> str:
        assert self.building is not None
        self.meter = self.client.create_meter(
            building=self.building.id,
            gateway=int(self.credentials["gateway"]),
            status="online",
            display_name="Meter Display Name Here",
            resource_type="temperature",
            reading_type="instantaneous",
            storage_unit="degf",
            display_unit="degf",
            source_unit="degf",
            scope="submeter",
            vendor_meter_id="Meter_ID_Here",
            default_timescale="month",
        )
        return f"meter {self.meter.uuid}"

    def push(self) -> str:
        assert self.meter is not None
        [report] = self.client.push(self.credentials["gateway"], {self.meter.uuid: READINGS})
        expect(report.accepted == len(READINGS), f"accepted {report.accepted} of 3")
        return f"{report.accepted} readings accepted"

    def verify(self) -> str:
        assert self.meter is not None
        self.demo.control.advance(TOKEN_LIFETIME)
        error = throttled("2")
        self.demo.control.fail_next(
            "atrius", "GET", f"/meters/{self.meter.uuid}/data*", 429, error.body, error.headers
        )
        points = self.client.data(self.meter.uuid, DAY, DAY, resolution="live")
        expected = [DataPoint(dt.datetime.fromisoformat(t), v) for t, v in READINGS]
        expect(points == expected, f"read back {points}, pushed {expected}")
        return f"{len(points)} readings read back as pushed (token renewed, a 429 waited out)"
