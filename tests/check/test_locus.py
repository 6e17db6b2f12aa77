"""The Locus target profile: password-grant tokens, positive cases the API accepts, and never two
requests in flight (the API serves one at a time per credential)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import schemathesis
from starlette.types import ASGIApp, Receive, Scope, Send

from standin import build_app, contracts, create_sandbox
from standin.check.pacing import PacedSession, Pacer
from standin.check.profiles import PROFILES
from standin.check.profiles.base import Target
from standin.check.profiles.locus import LocusConnection
from standin.check.report import summary
from standin.check.runner import CheckOptions, run_check
from tests.check.conftest import FakeTime, Served, serving

SCHEMA = schemathesis.openapi.from_dict(contracts.load("locus"))


@contextmanager
def connected(served: Served, fake_time: FakeTime) -> Iterator[LocusConnection]:
    creds = served.sandbox.credentials()["locus"]
    limit = PROFILES["locus"].requests_per_minute
    pacer = Pacer(limit, clock=fake_time.clock, sleep=fake_time.sleep)
    with PacedSession(pacer) as session:
        target = Target("locus", served.base_url("locus"), creds, session, fake_time.clock)
        yield LocusConnection(target)


def token_requests(served: Served) -> list[tuple[str, int]]:
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"api": "locus"}).json()
    return [(e["path"], e["status"]) for e in journal["requests"] if e["path"] == "/oauth/token"]


def send(served: Served, connection: LocusConnection, case: Any) -> httpx.Response:
    return httpx.get(
        served.base_url("locus") + case.formatted_path,
        params=case.query,
        headers={"Authorization": f"Bearer {connection.token()}"},
    )


def test_the_locus_token_is_renewed_a_minute_before_it_expires(
    served: Served, fake_time: FakeTime
) -> None:
    with connected(served, fake_time) as connection:
        first = connection.token()
        fake_time.now += 3600 - 60 - 1
        assert connection.token() == first
        fake_time.now += 1
        renewed = connection.token()
    assert renewed != first
    assert token_requests(served) == [("/oauth/token", 200)] * 2


def test_a_positive_data_case_asks_for_fields_the_component_has_within_its_period(
    served: Served, fake_time: FakeTime
) -> None:
    operation = SCHEMA["/v3/components/{componentId}/data"]["GET"]
    query = {"fields": "a,b", "gran": "hourly", "tz": "Nowhere/X", "start": "2031-13-01"}
    case = operation.Case(path_parameters={"componentId": 456}, query=query)
    with connected(served, fake_time) as connection:
        connection._prepare_data_query(case)
        response = send(served, connection, case)
        listed = httpx.get(
            served.base_url("locus") + "/v3/components/456/dataavailable",
            headers={"Authorization": f"Bearer {connection.token()}"},
        ).json()
    assert response.status_code == 200, response.text
    hourly = {
        a["shortName"]
        for base in listed["baseFields"]
        if "hourly" in base["granularities"]
        for a in base["aggregations"]
    }
    assert set(case.query["fields"].split(",")) <= hourly
    assert case.query["tz"] != "Nowhere/X"
    start, end = (datetime.fromisoformat(case.query[k]) for k in ("start", "end"))
    assert (start.year, (end - start).days) == (2024, 5)


def test_a_positive_partner_alerts_case_has_an_open_during_window_of_30_days(
    served: Served, fake_time: FakeTime
) -> None:
    operation = SCHEMA["/v3/partners/{partnerId}/alerts"]["GET"]
    query = {"tz": "UTC", "updatedSince": "2001-01-01T00:00:00", "openDuringMin": "x"}
    partner = served.sandbox.credentials()["locus"]["partner_id"]
    case = operation.Case(path_parameters={"partnerId": partner}, query=query)
    with connected(served, fake_time) as connection:
        connection._prepare_alert_query(case)
        response = send(served, connection, case)
    assert response.status_code == 200, response.text
    assert "updatedSince" not in case.query
    low, high = (datetime.fromisoformat(case.query[k]) for k in ("openDuringMin", "openDuringMax"))
    assert (high - low).days == 30


class InFlight:
    """Counts the requests under /locus being served at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.now = 0
        self.most = 0
        self.served = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/locus/"):
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.most = max(self.most, self.now)
        self.served += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def test_the_locus_check_never_has_two_requests_in_flight(fake_time: FakeTime) -> None:
    sandbox = create_sandbox()
    counted = InFlight(build_app(sandbox))
    with serving(counted) as origin:
        pacer = Pacer(600, clock=fake_time.clock, sleep=fake_time.sleep)
        options = CheckOptions("locus", f"{origin}/locus", max_examples=2, seed=11)
        report = run_check(options, pacer=pacer)
    assert report.ok, summary(report, 2)
    assert counted.served > 2 * 21
    assert counted.most == 1
    assert report.throttled == 0
    assert 429 not in {entry.status for entry in sandbox.journal.entries("locus", 10_000)}
