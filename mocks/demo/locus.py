"""Locus: the reference's three common workflows, with the reference client.

Getting data for a component by its node id, getting its lifetime energy, and traversing the
hierarchy down to a component's data. Between the first two the sandbox's clock moves past the
access token's 3600 s and the next data request is answered 429 (the API serves one request at
a time per credential), so the client is seen refreshing its token and waiting out the 429.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from standin.clients.locus import DEFAULT_BASE_URL, BaseField, Component, LocusClient
from standin.demo.workflow import DemoContext, Step, expect
from standin.locus.errors import too_many_requests

TOKEN_LIFETIME = 3600
NODE_ID = "OB.TESTNODE.44"
"""The fixture's first inverter (the reference's example is ``ABC.123``)."""
FIELDS = ["W_avg", "Wh_sum"]
TZ = "US/Pacific"


def _month_start(day: dt.date, months_back: int) -> dt.datetime:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.datetime(index // 12, index % 12 + 1, 1)


def _measured_monthly(fields: list[BaseField]) -> list[str]:
    """The short names a monthly data request may ask for without field parameters."""
    return [
        name
        for base in fields
        if base.source == "Measured" and "monthly" in base.granularities
        if not base.field_parameters
        for name in base.short_names
    ]


class LocusWorkflows:
    title = "Locus: the reference's three common workflows"
    token_path: str | None = "/oauth/token"

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo
        credentials = demo.control.credentials("locus")
        self.partner = int(credentials["partner_id"])
        self.client = LocusClient(
            str(credentials["client_id"]),
            str(credentials["client_secret"]),
            username=str(credentials["username"]),
            password=str(credentials["password"]),
            http=demo.http,
            clock=demo.now,
            sleep=demo.sleep,
            base_url=demo.base_url or DEFAULT_BASE_URL,
        )
        # The last two whole months before this one, in the sites' zone.
        today = demo.now().date()
        self.start = _month_start(today, 2)
        self.end = _month_start(today, 0)
        self.component: Component | None = None
        self.walked: list[tuple[Component, list[BaseField]]] = []

    def close(self) -> None:
        self.client.close()

    def steps(self) -> Sequence[Step]:
        return [
            ("Log in (Resource Owner Password grant)", self.login),
            (f"Getting data for a component: node id {NODE_ID}", self.data_by_node_id),
            ("An hour later: the token has expired", self.an_hour_later),
            ("Getting lifetime energy for the component", self.lifetime_energy),
            ("Traversing the hierarchy: sites, components, data available", self.walk),
            ("Traversing the hierarchy: a meter's data", self.meter_data),
        ]

    def login(self) -> str:
        token = self.client.token()
        lifetime = round((token.expires_at - self.demo.now()).total_seconds())
        expect(abs(lifetime - TOKEN_LIFETIME) <= 1, f"the token lives {lifetime} s")
        expect(token.refresh_token is not None, "the password grant gave no refresh token")
        return f"bearer token with a refresh token, expires in {lifetime} s"

    def data_by_node_id(self) -> str:
        component, rows = self.client.component_data_by_node_id(
            self.partner, NODE_ID, FIELDS, self.start, self.end, gran="monthly", tz=TZ
        )
        self.component = component
        expect(component.node_id == NODE_ID, f"found node {component.node_id}")
        expect(len(rows) == 2, f"{len(rows)} monthly rows for two months")
        expect(
            [row.ts.replace(tzinfo=None) for row in rows]
            == [self.start, _month_start(self.end.date(), 1)],
            "the rows do not lead with the months' first instants",
        )
        energy = sum(row.values.get("Wh_sum") or 0.0 for row in rows)
        expect(energy > 0, "a solar inverter made no energy in two months")
        return (
            f"component {component.id} ({component.name}), {len(rows)} months from "
            f"{self.start:%Y-%m}, {energy / 1000:,.0f} kWh"
        )

    def an_hour_later(self) -> str:
        self.demo.control.advance(TOKEN_LIFETIME + 1)
        error = too_many_requests()
        self.demo.control.fail_next(
            "locus", "GET", "/v3/components/*/data", 429, error.body, error.headers
        )
        return (
            f"the sandbox clock moved on {TOKEN_LIFETIME + 1} s; "
            "the next data request will be answered 429"
        )

    def lifetime_energy(self) -> str:
        assert self.component is not None
        refreshed, throttled = self.demo.traffic.tokens_refreshed, self.demo.traffic.throttled
        energy = self.client.lifetime_energy(self.component.id)
        expect(energy > 0, "no lifetime energy")
        expect(self.demo.traffic.tokens_refreshed == refreshed + 1, "the token was not renewed")
        expect(self.demo.traffic.throttled == throttled + 1, "no 429 was waited out")
        return f"{energy / 1e6:,.1f} MWh since startup (token refreshed, a 429 waited out)"

    def walk(self) -> str:
        sites: set[int] = set()
        for site, component, fields in self.client.walk(self.partner):
            sites.add(site.id)
            self.walked.append((component, fields))
        kinds = sorted({component.node_type for component, _ in self.walked})
        expect(bool(self.walked), f"partner {self.partner} has no components")
        return (
            f"{len(sites)} sites with components, {len(self.walked)} components "
            f"({', '.join(kinds)})"
        )

    def meter_data(self) -> str:
        meters = [
            (component, _measured_monthly(fields))
            for component, fields in self.walked
            if component.node_type == "METER" and "Wh_sum" in _measured_monthly(fields)
        ]
        expect(bool(meters), "no meter measures energy")
        meter, measured = meters[0]
        fields = [name for name in FIELDS if name in measured]
        rows = self.client.component_data(
            meter.id, fields, self.start, self.end, gran="monthly", tz=TZ
        )
        expect(len(rows) == 2, f"{len(rows)} monthly rows for two months")
        expect(all(set(row.values) <= set(fields) for row in rows), "fields not asked for")
        return f"meter {meter.id} ({meter.name}): {', '.join(fields)} for {len(rows)} months"
